import { modelToBytes } from '../../export/onnx-write.js';
import { evaluateModel } from '../../ir/interp/evaluate.js';
import { fromTensor, toTensor } from '../../ir/interp/rtensor.js';
import type { Model } from '../../ir/model.js';
import { f32, type Tensor } from '../../ir/tensor.js';
import type { Precision } from '../../passes/precision/formats.js';
import type { PrecisionReport } from '../../passes/precision/lower-precision.js';
import { buildModel, compileModel, type CompileOptions, type ModelFile, type Weights } from '../compile.js';
import { UserError } from '../errors.js';
import { readStates, stateDims } from '../metadata.js';
import type { OrtBackend } from '../runtime/backend.js';
import { compareToReference, type Comparison } from './compare.js';
import { assemble, lengthOf, stepInput, type Layout } from './sequence.js';
import { precisionTolerance } from './tolerances.js';

/**
 * How accurate a model compiled at a precision is, in each mode, against the float64 reference
 * of the float32 model (the golden output, or the reference interpreter on the high-level graph),
 * run in onnxruntime or in the reference interpreter itself — the oracle of what a 16-bit graph
 * should produce: it reads the 16-bit weights as stored and computes exactly, rounding an op's
 * result to its dtype only when asked (a device computing in float16).
 */

/** Something that runs a compiled model: onnxruntime (node, wasm) or the reference interpreter. */
export interface ModelRunner {
  readonly name: string;
  open(model: Model): Promise<{ run(feeds: Map<string, Tensor>): Promise<Map<string, Tensor>>; release(): Promise<void> }>;
}

/** onnxruntime through one of its backends. */
export function ortRunner(backend: OrtBackend): ModelRunner {
  return {
    name: `onnxruntime-${backend.name}`,
    open: async (model) => {
      const session = await backend.createSession(modelToBytes(model));
      return { run: (feeds) => session.run(feeds), release: () => session.release() };
    },
  };
}

/**
 * The float64 reference interpreter running the compiled graph as it is. `roundResults`: every
 * op's float result rounded to its dtype, as a device computing each op exactly and storing its
 * result in float16 (or float32) would.
 */
export function interpreterRunner(opts: { roundResults?: boolean } = {}): ModelRunner {
  return {
    name: opts.roundResults ? 'interpreter (each result rounded to its dtype)' : 'interpreter (float64)',
    open: async (model) => ({
      run: async (feeds) => {
        const out = evaluateModel(model, new Map([...feeds].map(([k, v]) => [k, fromTensor(v)])), { roundResults: opts.roundResults });
        return new Map([...out].map(([k, v]) => [k, toTensor(v, v.dtype === 'float16' || v.dtype === 'bfloat16' ? 'float32' : v.dtype)]));
      },
      release: async () => {},
    }),
  };
}

export type AccuracyMode = 'conv (fixed length)' | 'conv (dynamic length)' | 'step' | 'prefill';
export const ACCURACY_MODES: readonly AccuracyMode[] = ['conv (fixed length)', 'conv (dynamic length)', 'step', 'prefill'];

/** One model and input to measure. */
export interface AccuracyCase {
  file: ModelFile;
  weights: () => Weights | null;
  /** The whole input sequence, in the model's layout. */
  input: Tensor;
  layout: Layout;
  /** The float32 model's output in float64 (a golden output_f64); computed by the interpreter when absent. */
  reference?: ArrayLike<number>;
}

export interface AccuracyRow {
  mode: AccuracyMode;
  /** Why the mode does not apply (no recurrence, …), or null. */
  skipped: string | null;
  /** The output against the float64 reference, with the precision's tolerance. */
  output: Comparison | null;
  /** The output itself (to compare two runners on the same graph), and a prefill graph's final states, concatenated. */
  values: ArrayLike<number> | null;
  stateValues: ArrayLike<number> | null;
  /** Prefill: every final state against the float64 reference's, the same tolerance relative to the state's peak. */
  states: Comparison | null;
  /** What lower-precision did for this graph. */
  report: PrecisionReport | null;
  /** The compiled graph's size in bytes. */
  bytes: number;
}

export interface AccuracyOptions {
  runner: ModelRunner;
  /** Compile options beside the mode, length and precision (opset 17 by default). */
  compile?: Partial<CompileOptions>;
  modes?: readonly AccuracyMode[];
  /** The comparisons' tolerance (default: precisionTolerance of the precision, float16 compute as the graph says). */
  rel?: number;
}

/** The float64 reference of the float32 model: its output and (prefill) final states. */
function reference(c: AccuracyCase, mode: 'conv' | 'prefill', opts: Partial<CompileOptions>): Map<string, ArrayLike<number>> {
  const hi = buildModel(c.file, c.weights(), { opset: 17, ...opts, seqLen: null, mode, precision: 'fp32' });
  const out = evaluateModel(hi.model, { input: fromTensor(c.input) });
  return new Map([...out].map(([k, v]) => [k, v.data]));
}

/** The precision's accuracy in each mode: compile, run, compare. */
export async function measureAccuracy(c: AccuracyCase, precision: Precision, opts: AccuracyOptions): Promise<AccuracyRow[]> {
  const L = lengthOf(c.input, c.layout), B = c.input.dims[0]!;
  const outLayout: Layout = c.layout === 'BL' ? 'BLH' : c.layout;
  let convRef: ArrayLike<number> | undefined = c.reference;
  const rows: AccuracyRow[] = [];
  for (const mode of opts.modes ?? ACCURACY_MODES) {
    const compileMode = mode === 'step' ? 'step' : mode === 'prefill' ? 'prefill' : 'conv';
    let compiled;
    try {
      compiled = compileModel(c.file, c.weights(), { opset: 17, ...opts.compile, mode: compileMode, seqLen: mode === 'conv (fixed length)' ? L : null, precision });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      rows.push({ mode, skipped: e.message, output: null, values: null, stateValues: null, states: null, report: null, bytes: 0 });
      continue;
    }
    const { model } = compiled;
    const rel = opts.rel ?? precisionTolerance(precision, Object.keys(compiled.precision?.computed16 ?? {}).length > 0);
    const session = await opts.runner.open(model);
    try {
      let y: ArrayLike<number>;
      let states: Comparison | null = null;
      let stateValues: number[] | null = null;
      if (mode === 'step') {
        const specs = readStates(model);
        let s = new Map(specs.map((spec): [string, Tensor] => {
          const dims = stateDims(spec, B);
          return [spec.input, f32(new Float32Array(dims.reduce((a, d) => a * d, 1)), dims)];
        }));
        const outs: Tensor[] = [];
        for (let t = 0; t < L; t++) {
          const r = await session.run(new Map([['input', stepInput(c.input, c.layout, t)], ...s]));
          outs.push(r.get('output')!);
          s = new Map(specs.map((spec) => [spec.input, r.get(spec.output)!]));
        }
        y = assemble(outs, outLayout);
      } else {
        const r = await session.run(new Map([['input', c.input]]));
        y = r.get('output')!.data as Float32Array;
        if (mode === 'prefill') {
          const ref = reference(c, 'prefill', opts.compile ?? {});
          convRef ??= ref.get('output')!;
          const specs = readStates(model);
          stateValues = specs.flatMap((s) => Array.from(r.get(s.output)!.data as Float32Array));
          states = compareToReference(stateValues, specs.flatMap((s) => Array.from(ref.get(s.output)!)), rel);
        }
      }
      convRef ??= reference(c, 'conv', opts.compile ?? {}).get('output')!;
      rows.push({ mode, skipped: null, output: compareToReference(y, convRef, rel), values: y, stateValues, states, report: compiled.precision, bytes: modelToBytes(model).byteLength });
    } finally {
      await session.release();
    }
  }
  return rows;
}

/** An error as a multiple of the format's unit roundoff u, relative to max(1, peak): '0.52 u'. */
export function inUnits(c: Comparison, unitRoundoff: number): string {
  return `${(c.maxAbs / Math.max(1, c.peak) / unitRoundoff).toFixed(2)} u`;
}

