import { modelToBytes } from '../../export/onnx-write.js';
import { f32, type Tensor } from '../../ir/tensor.js';
import type { Dim } from '../../ir/types.js';
import { compileModel, type CompileOptions, type ModelFile, type Weights } from '../compile.js';
import { UserError } from '../errors.js';
import type { OrtBackend } from '../runtime/backend.js';
import { readStates } from '../metadata.js';
import { runSteps, zeroStates } from '../step-runner.js';
import { compareToReference, type Comparison } from './compare.js';
import { assemble, slicePositions, stepInput, type Layout } from './sequence.js';

export interface RecurrenceInput {
  /** The whole input sequence, in the model's layout, and its length and batch. */
  x: Tensor;
  layout: Layout;
  L: number;
  B: number;
  /** The convolution graph's output on x (onnxruntime) and the float64 reference's. */
  convOutput: Float32Array;
  reference: ArrayLike<number>;
  /** The convolution graph's output shape for a length (io.outputShape). */
  outputShape: (len: Dim) => Dim[];
}

export interface RecurrenceChecks {
  rows: [string, Comparison][];
  /** Why a check did not run ("step: …", "prefill: …"), one line each. */
  skipped: string[];
}

/**
 * The step graph from zero states over the whole input (vs conv and vs the float64 reference),
 * then the prefill graph over the first half continued by steps (vs the conv output's second
 * half). Each graph that the model refuses (a UserError: no recurrence, as for DSS-softmax and
 * bidirectional kernels, or a forced --dplr-step diagonal that fails its check) skips only its
 * own checks.
 */
export async function checkRecurrence(backend: OrtBackend, file: ModelFile, weights: Weights | null, opts: CompileOptions, input: RecurrenceInput): Promise<RecurrenceChecks> {
  const { x, layout, L, B, convOutput, reference } = input;
  const outLayout: Layout = layout === 'BL' ? 'BLH' : layout; // token ids in, [B,L,V] logits out
  const rows: [string, Comparison][] = [], skipped: string[] = [];
  const attempt = <T>(what: string, f: () => T): T | null => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      skipped.push(`${what}: ${e.message}`);
      return null;
    }
  };

  const step = attempt('step', () => compileModel(file, weights, { ...opts, mode: 'step' }).model);
  if (!step) return { rows, skipped };
  const specs = readStates(step);
  const session = await backend.createSession(modelToBytes(step));
  try {
    const stepped = await runSteps(session, specs, L, (t) => stepInput(x, layout, t), zeroStates(specs, B));
    const stepY = assemble(stepped.outputs, outLayout);
    rows.push(['step (from zero state) vs conv', compareToReference(stepY, convOutput)]);
    rows.push(['step vs float64 reference', compareToReference(stepY, reference)]);

    const prefill = attempt('prefill', () => compileModel(file, weights, { ...opts, mode: 'prefill' }).model);
    if (!prefill) return { rows, skipped };
    const half = Math.floor(L / 2);
    const pre = await backend.run(modelToBytes(prefill), new Map([['input', slicePositions(x, layout, 0, half)]]));
    const rest = await runSteps(session, specs, L - half, (t) => stepInput(x, layout, half + t), new Map(specs.map((s) => [s.input, pre.get(s.output)!])));
    const shape = input.outputShape(L).map((d) => (d === 'batch' ? B : (d as number)));
    const convTail = slicePositions(f32(convOutput, shape), outLayout, half, L);
    rows.push([`prefill (${half} positions) + step vs conv`, compareToReference(assemble(rest.outputs, outLayout), convTail.data as Float32Array)]);
  } finally {
    await session.release();
  }
  return { rows, skipped };
}
