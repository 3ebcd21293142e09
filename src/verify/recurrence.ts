import { modelToBytes } from '../../export/onnx-write.js';
import { Progress } from '../../ir/progress.js';
import { f32, type Tensor } from '../../ir/tensor.js';
import type { Dim } from '../../ir/types.js';
import { compileModel, type CompileOptions, type ModelFile, type Weights } from '../compile.js';
import type { ModelIo } from '../models/arch.js';
import { UserError } from '../errors.js';
import type { OrtBackend } from '../runtime/backend.js';
import { readStates } from '../metadata.js';
import { runSteps, zeroStates } from '../step-runner.js';
import { compareToReference, verdict, type Comparison } from './compare.js';
import { assemble, slicePositions, stepInput, type Layout } from './sequence.js';

export interface RecurrenceInput {
  /** The whole input sequence, in the model's layout, and its length and batch. */
  x: Tensor;
  layout: Layout;
  L: number;
  B: number;
  /** The convolution graph's output on x (onnxruntime), and the references each graph is also checked against (the float64 reference interpreter's, a PyTorch run's), by name. */
  convOutput: Float32Array;
  references: [string, ArrayLike<number>][];
  /** The convolution graph's output shape for a length (io.outputShape). */
  outputShape: (len: Dim) => Dim[];
  /** Which step outputs the conv output holds (io.stepRows); absent: every position. */
  stepRows?: ModelIo['stepRows'];
  /** The relative tolerance of every comparison (default TOLERANCES.REL_TO_PEAK). */
  tolerance?: number;
}

export interface RecurrenceChecks {
  rows: [string, Comparison][];
  /** Why a check did not run ("step: …", "prefill: …"), one line each. */
  skipped: string[];
}

/**
 * The step graph from zero states over the whole input (vs conv and vs the float64 reference),
 * then the prefill graph over a first part continued by steps (vs the conv output where the steps
 * produce it). The conv output holds the step outputs at the positions `stepRows` names (every
 * position for a per-position model; the last one for a classifier that pools or reads the last
 * position). Each graph that the model refuses (a UserError: no recurrence, as for DSS-softmax and
 * bidirectional kernels, or a forced --dplr-step diagonal that fails its check) skips only its
 * own checks.
 */
export async function checkRecurrence(backend: OrtBackend, file: ModelFile, weights: Weights | null, opts: CompileOptions, input: RecurrenceInput, progress = Progress.none): Promise<RecurrenceChecks> {
  const { x, layout, L, B, convOutput, references } = input;
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
  const kept = input.stepRows?.(L) ?? { start: 0, count: L, squeeze: false };
  /** Step outputs (those of the conv rows' positions, in order) in the conv output's layout. */
  const gather = (outputs: Tensor[]) => (kept.squeeze ? (outputs[0]!.data as Float32Array) : assemble(outputs, outLayout));
  const convRows = (from: number, to: number) => {
    if (kept.squeeze) return convOutput;
    const shape = input.outputShape(kept.count === L ? L : kept.count).map((d) => (d === 'batch' ? B : (d as number)));
    return slicePositions(f32(convOutput, shape), outLayout, from - kept.start, to - kept.start).data as Float32Array;
  };

  const step = progress.run('compile step graph', (task) => attempt('step', () => compileModel(file, weights, { ...opts, mode: 'step', progress: task.progress }).model));
  if (!step) return { rows, skipped };
  const specs = readStates(step);
  const session = await backend.createSession(modelToBytes(step));
  try {
    await progress.run(`run step graph (${L} positions)`, async (task) => {
      const stepped = await runSteps(session, specs, L, (t) => stepInput(x, layout, t), zeroStates(specs, B));
      const stepY = gather(stepped.outputs.slice(kept.start, kept.start + kept.count));
      const where = kept.count === L ? '' : kept.squeeze ? ` at position ${kept.start}` : ` at positions ${kept.start}-${kept.start + kept.count - 1}`;
      const vsConv = compareToReference(stepY, convOutput, input.tolerance);
      rows.push([`step (from zero state${where}) vs conv`, vsConv]);
      const verdicts = [`vs conv ${verdict(vsConv)}`];
      for (const [name, ref] of references) {
        const c = compareToReference(stepY, ref, input.tolerance);
        rows.push([`step vs ${name}`, c]);
        verdicts.push(`vs ${name} ${verdict(c)}`);
      }
      task.detail(verdicts.join(', '));
    });

    const prefill = progress.run('compile prefill graph', (task) => attempt('prefill', () => compileModel(file, weights, { ...opts, mode: 'prefill', progress: task.progress }).model));
    if (!prefill) return { rows, skipped };
    // Prefill a first part, then step to the end: the steps must reproduce the conv rows after it.
    const P = Math.max(1, kept.start > 0 ? Math.min(kept.start, Math.floor(L / 2)) : Math.floor(L / 2));
    await progress.run(`run prefill (${P} positions) + steps`, async (task) => {
      const pre = await backend.run(modelToBytes(prefill), new Map([['input', slicePositions(x, layout, 0, P)]]));
      const rest = await runSteps(session, specs, L - P, (t) => stepInput(x, layout, P + t), new Map(specs.map((s) => [s.input, pre.get(s.output)!])));
      const from = Math.max(kept.start, P), to = kept.start + kept.count;
      let row: [string, Comparison];
      if (from < to) {
        const got = gather(rest.outputs.slice(from - P, to - P));
        row = [`prefill (${P} positions) + step vs conv`, compareToReference(got, convRows(from, to), input.tolerance)];
      } else {
        // Every conv row lies in the prefilled part (a decoder reading the first positions): the prefill's own output holds them.
        row = [`prefill (${P} positions) vs conv`, compareToReference(pre.get('output')!.data as Float32Array, convOutput, input.tolerance)];
      }
      rows.push(row);
      task.detail(`vs conv ${verdict(row[1])}`);
    });
  } finally {
    await session.release();
  }
  return { rows, skipped };
}
