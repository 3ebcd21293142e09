/**
 * `--precision fp32|fp16|bf16`: file size, error, session load time and latency per precision, in
 * one run (the machines are noisy: read the ratios to fp32), on onnxruntime-node CPU and
 * onnxruntime-web wasm, one thread:
 *  - an S4D block (H = 256, N = 64, the lowering-notes layer) at L = 4096 with the fourstep
 *    lowering (its folded DFT matrices and spectrum are most of the file) and with auto; error
 *    against the float64 reference interpreter on the float32 model;
 *  - the bundled gss-code language model on its 1024 held-out tokens (public_eval): the
 *    dynamic-length conv graph (error against the PyTorch float32 logits, and the bits per byte)
 *    and a step of the step graph (error over the first 128 tokens stepped from zero states).
 * Each precision stores its weights in 16 bits and computes in float32 on these runtimes; the
 * 'fp16 compute' row plans the fp16 graph for a runtime with float16 kernels (its dense nodes in
 * float16) and runs it on the CPU provider anyway, which casts around every float16 op it lacks:
 * its error is what such a device gives (to a rounding), its time says nothing about one.
 * `node dist/bench/precision.js` runs it alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { argmaxRow, bitsPerByte, buildModel, compileModel, measureAccuracy, modelToBytes, ortRunner, parseModelFile, readSafetensors, readStates, runSteps, zeroStates, type AccuracyCase, type AccuracyMode, type Compiled, type CompileOptions, type ModelFile, type Weights } from 'ssmc';
import { evaluateModel, f32, fromTensor, i64, type Tensor } from 'ssmc/ir';
import { FORMATS, ORT_CPU, type Precision } from 'ssmc/passes';
import { nodeBackend, type OrtBackend } from 'ssmc/runtime';
import { wasmBackend } from 'ssmc/runtime/web';
import { median, tokenAt } from './timing.js';
import { printWhenMain } from './standalone.js';
// The runtime with float16 kernels the tests plan fp16-compute graphs for.
import { FLOAT16_DEVICE } from '../test/helpers/precision.js';

interface Variant {
  label: string;
  precision: Precision;
  runtime?: string;
}

const VARIANTS: Variant[] = [
  { label: 'fp32', precision: 'fp32' },
  { label: 'fp16', precision: 'fp16' },
  { label: 'bf16', precision: 'bf16' },
  { label: 'fp16 compute', precision: 'fp16', runtime: FLOAT16_DEVICE.id },
];

interface Workload {
  name: string;
  file: ModelFile;
  weights: () => Weights | null;
  options: Partial<CompileOptions>;
  /** Feeds for one timed run. */
  feeds: () => Map<string, Tensor>;
  /** Step graphs: time one step in a running sequence instead. */
  step?: boolean;
  /** The input, mode and reference the error is measured on. */
  accuracy: () => { c: AccuracyCase; mode: AccuracyMode; against: string };
  /** Language models: the bits per byte of the conv output on these tokens. */
  tokens?: number[];
}

export interface PrecisionRow {
  workload: string;
  precision: string;
  bytes: number;
  bytes_ratio: number;
  /** max|y − reference| / max(1, max|reference|), and in units of the format's u. */
  error: number;
  error_units: number | null;
  against: string;
  /** Language models: bits per byte on the held-out tokens, and how often the top token is fp32's. */
  bits_per_byte?: number;
  top1_as_fp32?: number;
  node: { load_ms: number; run_ms: number; run_ratio: number };
  wasm: { load_ms: number; run_ms: number; run_ratio: number } | null;
}

const GSS = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));
/** The float64 reference interpreter's output of the float32 model (dozens of seconds at L = 4096: computed once per model and input). */
const references = new Map<string, Float64Array>();

function float64Reference(key: string, file: ModelFile, x: Tensor): Float64Array {
  let ref = references.get(key);
  if (!ref) {
    const hi = buildModel(file, null, { opset: 17, seqLen: null, mode: 'conv', precision: 'fp32' });
    ref = Float64Array.from(evaluateModel(hi.model, { input: fromTensor(x) }).get('output')!.data);
    references.set(key, ref);
  }
  return ref;
}

function workloads(quick: boolean): Workload[] {
  const L = quick ? 1024 : 4096, H = 256;
  const s4d: ModelFile = { arch: 's4-block', args: { d_model: H, d_state: 128, mode: 'diag', init: 'diag-lin', disc: 'zoh', transposed: false }, seed: 3 };
  const x = f32(Array.from({ length: L * H }, (_, i) => Math.sin(i * 0.37) * Math.cos(i * 0.011)), [1, L, H]);
  const s4dAccuracy = () => ({ c: { file: s4d, weights: () => null, input: x, layout: 'BLH' as const, reference: float64Reference(`s4d-${L}`, s4d, x) }, mode: 'conv (fixed length)' as const, against: 'float64 reference' });
  const gss = parseModelFile(readFileSync(`${GSS}model.json`, 'utf8'), 'examples/gss-code/model.json');
  const gssWeights = () => ({ tensors: readSafetensors(new Uint8Array(readFileSync(`${GSS}gss_code.weights.safetensors`)), 'gss_code.weights.safetensors'), source: 'gss-code' });
  const evalSet = readSafetensors(new Uint8Array(readFileSync(`${GSS}public_eval.safetensors`)), 'public_eval.safetensors');
  const tokens = evalSet.get('tokens')!, logits = evalSet.get('logits')!.data as Float32Array;
  const ids = Array.from(tokens.data as BigInt64Array, Number);
  const STEPS = 128, V = 256;
  return [
    { name: `S4D block H=${H} N=64, L=${L}, fourstep`, file: s4d, weights: () => null, options: { seqLen: L, lowering: 'fourstep' }, feeds: () => new Map([['input', x]]), accuracy: s4dAccuracy },
    { name: `S4D block H=${H} N=64, L=${L}, auto`, file: s4d, weights: () => null, options: { seqLen: L }, feeds: () => new Map([['input', x]]), accuracy: s4dAccuracy },
    {
      name: 'gss-code conv, 1024 tokens', file: gss, weights: gssWeights, options: { seqLen: null }, feeds: () => new Map([['input', tokens]]), tokens: ids,
      accuracy: () => ({ c: { file: gss, weights: gssWeights, input: tokens, layout: 'BL', reference: logits }, mode: 'conv (dynamic length)', against: 'PyTorch float32 logits' }),
    },
    {
      name: 'gss-code step', file: gss, weights: gssWeights, options: { mode: 'step', seqLen: null }, feeds: () => new Map(), step: true,
      accuracy: () => ({
        c: { file: gss, weights: gssWeights, input: i64(ids.slice(0, STEPS), [1, STEPS]), layout: 'BL', reference: logits.subarray(0, STEPS * V) },
        mode: 'step', against: `PyTorch float32 logits, ${STEPS} steps`,
      }),
    },
  ];
}

/** One timed run: a step in a running sequence (step graphs) or a whole-sequence run. */
interface Timer {
  warm(): Promise<void>;
  once(): Promise<number>;
  release(): Promise<void>;
}

async function timer(backend: OrtBackend, bytes: Uint8Array, w: Workload, model: Compiled['model']): Promise<Timer> {
  const session = await backend.createSession(bytes, { threads: 1 });
  const specs = w.step ? readStates(model) : [];
  let states = zeroStates(specs, 1);
  let t = 0;
  const once = async () => {
    const t0 = performance.now();
    if (w.step) states = (await runSteps(session, specs, 1, () => i64([tokenAt(t++)], [1]), states)).states;
    else await session.run(w.feeds());
    return performance.now() - t0;
  };
  return { warm: async () => { for (let i = 0; i < (w.step ? 16 : 1); i++) await once(); }, once, release: () => session.release() };
}

async function loadMs(backend: OrtBackend, bytes: Uint8Array): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const s = await backend.createSession(bytes, { threads: 1 });
    times.push(performance.now() - t0);
    await s.release();
  }
  return median(times);
}

/** Load and run times of each graph on one backend, the variants taking turns round after round (so load on the machine falls on all of them alike). */
async function timeAll(backend: OrtBackend, graphs: { bytes: Uint8Array; model: Compiled['model'] }[], w: Workload, rounds: number): Promise<{ load_ms: number; run_ms: number; run_ratio: number }[]> {
  const loads: number[] = [];
  for (const g of graphs) loads.push(await loadMs(backend, g.bytes));
  const timers: Timer[] = [];
  const times: number[][] = graphs.map(() => []);
  try {
    for (const g of graphs) timers.push(await timer(backend, g.bytes, w, g.model));
    for (const t of timers) await t.warm();
    for (let r = 0; r < rounds; r++) for (const [i, t] of timers.entries()) times[i]!.push(await t.once());
  } finally {
    for (const t of timers) await t.release();
  }
  const base = median(times[0]!);
  return graphs.map((_, i) => ({ load_ms: +loads[i]!.toFixed(1), run_ms: +median(times[i]!).toFixed(3), run_ratio: +(median(times[i]!) / base).toFixed(2) }));
}

export async function benchPrecision(quick = false): Promise<{ table: string; json: unknown }> {
  const rows: PrecisionRow[] = [];
  const rounds = quick ? 5 : 15;
  const targets = [ORT_CPU, FLOAT16_DEVICE];
  for (const w of workloads(quick)) {
    const graphs = VARIANTS.map((v) => {
      const { model } = compileModel(w.file, w.weights(), { opset: 17, seqLen: null, ...w.options, precision: v.precision, runtime: v.runtime, targets });
      return { v, model, bytes: modelToBytes(model) };
    });
    const node = await timeAll(nodeBackend, graphs, w, rounds);
    // The float16-compute row plans for a device these runtimes are not: it runs once, on the CPU provider.
    const wasm = await timeAll(wasmBackend, graphs.filter((g) => !g.v.runtime), w, rounds);
    const { c, mode, against } = w.accuracy();
    let fp32Logits: ArrayLike<number> | null = null;
    for (const [i, g] of graphs.entries()) {
      const compile = { ...w.options, runtime: g.v.runtime, targets };
      const [acc] = await measureAccuracy(c, g.v.precision, { runner: ortRunner(nodeBackend), compile, modes: [mode] });
      const error = acc!.output!.maxAbs / Math.max(1, acc!.output!.peak);
      const row: PrecisionRow = {
        workload: w.name, precision: g.v.label, bytes: g.bytes.byteLength, bytes_ratio: +(g.bytes.byteLength / graphs[0]!.bytes.byteLength).toFixed(3),
        error, error_units: g.v.precision === 'fp32' ? null : +(error / FORMATS[g.v.precision].unitRoundoff).toFixed(2), against,
        node: node[i]!, wasm: wasm[i] ?? null,
      };
      if (w.tokens) {
        const y = acc!.values!;
        fp32Logits ??= y;
        row.bits_per_byte = +bitsPerByte(y, w.tokens, 256).toFixed(4);
        let same = 0;
        for (let t = 0; t < w.tokens.length; t++) if (argmaxRow(y, t, 256) === argmaxRow(fp32Logits, t, 256)) same++;
        row.top1_as_fp32 = same / w.tokens.length;
      }
      rows.push(row);
    }
  }
  const mib = (b: number) => (b / 2 ** 20).toFixed(2);
  const ms = (x: number) => x.toFixed(x < 10 ? 2 : 0);
  const err = (r: PrecisionRow) => `${r.error.toExponential(1)}${r.error_units === null ? '' : ` (${r.error_units.toFixed(2)} u)`}`;
  const lm = (r: PrecisionRow) => (r.bits_per_byte === undefined ? '' : `; ${r.bits_per_byte.toFixed(4)} bits/byte, top-1 = fp32's at ${(100 * r.top1_as_fp32!).toFixed(1)} %`);
  const lines = [
    'one thread; medians; run-time ratios to fp32 in the same run; error: max|Δ| / max(1, peak) against the reference named, u = 2^-11 (fp16), 2^-8 (bf16)',
    '| workload | precision | file MiB | vs fp32 | error | node load ms | node run ms | vs fp32 | wasm load ms | wasm run ms | vs fp32 |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.workload} | ${r.precision} | ${mib(r.bytes)} | ${r.bytes_ratio.toFixed(2)}× | ${err(r)} vs ${r.against}${lm(r)} | ${r.node.load_ms.toFixed(0)} | ${ms(r.node.run_ms)} | ${r.node.run_ratio.toFixed(2)}× | ${r.wasm ? `${r.wasm.load_ms.toFixed(0)} | ${ms(r.wasm.run_ms)} | ${r.wasm.run_ratio.toFixed(2)}×` : '— | — | —'} |`),
  ];
  return { table: lines.join('\n'), json: { bench: 'precision', threads: 1, rows } };
}

printWhenMain(import.meta.url, () => benchPrecision(process.argv.includes('--quick')));
