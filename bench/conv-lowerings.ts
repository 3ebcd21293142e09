/**
 * Conv-mode latency of one layer, and of its long convolution alone, under every lowering:
 * S4D (N=64), GSS (E with the paper's proportions F=4E, H=E/4, N=512) and S4 DPLR (N=64), at widths
 * 256 and 512, L ∈ {1024, 4096, 16384}, 1 and 2 threads, fixed-length graphs (kernels folded),
 * onnxruntime-node CPU, in one run; the machines are noisy, so read the ratios within a row. Where
 * `python3` has torch, a PyTorch eager reference of the same layer (bench/torch_reference.py, our own
 * code) runs next to it. `node dist/bench/conv-lowerings.js [--quick] [--layers s4d,gss,s4-dplr]
 * [--widths 256,512] [--lengths 1024,4096,16384] [--threads 1,2] [--torch-long]` runs it (or a part) alone.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildModel, type Compiled, type CompileOptions, findArch, lowerModel, type ModelFile, modelToBytes, Progress, Rng, UserError, type Weights } from 'ssmc';
import { f32, isLongConv, Model } from 'ssmc/ir';
import { LOWERINGS } from 'ssmc/passes';
import { nodeBackend } from 'ssmc/runtime';
import { timeSession } from './timing.js';
import { printWhenMain } from './standalone.js';

export interface LayerSpec {
  id: 's4d' | 'gss' | 's4-dplr';
  label: string;
  /** Complex modes of the layer's SSM. */
  N: number;
  file(width: number): ModelFile;
}

export const LAYERS: LayerSpec[] = [
  { id: 's4d', label: 'S4D (H, N=64)', N: 64, file: (w) => ({ arch: 's4-block', args: { d_model: w, d_state: 64, mode: 'diag', init: 'diag-lin', disc: 'zoh', transposed: false } }) },
  { id: 'gss', label: 'GSS (E, F=4E, H=E/4, N=512)', N: 512, file: (w) => ({ arch: 'gss', args: { dim: w, dim_expansion_factor: 4, dss_kernel_H: w / 4, dss_kernel_N: 512 } }) },
  { id: 's4-dplr', label: 'S4 DPLR (H, N=64)', N: 64, file: (w) => ({ arch: 's4-block', args: { d_model: w, d_state: 64, mode: 'dplr', init: 'legs', transposed: false } }) },
];

/**
 * A lowering the cost model expects to be this many times slower than the fastest one, and slower
 * than FLOOR_MS, is not run (noted instead): the direct Conv at long lengths would take minutes.
 */
const SKIP_FACTOR = 8;
const SKIP_FLOOR_MS = 1000;
/** Timed runs per measurement: at least one, up to REPEATS or until TIME_BUDGET_MS is spent. */
const REPEATS = 3;
const TIME_BUDGET_MS = 2500;

export interface ConvBenchRow {
  layer: LayerSpec['id'];
  width: number;
  L: number;
  threads: number;
  /** 'layer': the whole layer graph; 'conv': its long convolution alone (u → y, kernel folded). */
  part: 'layer' | 'conv';
  lowering: string;
  ms: number | null;
  note: string;
  /** The cost model's estimate, where the lowering was not run because of it. */
  estimate_ms?: number;
  /** Nodes of the compiled graph's main graph (where it compiled). */
  nodes?: number;
}

export interface ConvBenchOptions {
  quick?: boolean;
  /** Subsets of the grid (default: all of it; --quick: width 256, L 1024 and 4096, 1 thread). */
  layers?: LayerSpec['id'][];
  widths?: number[];
  lengths?: number[];
  threads?: number[];
  /** Run the PyTorch reference at L = 16384 as well (eager takes many seconds there). */
  torchLong?: boolean;
  /** Each case (layer, width, length, part, lowering, threads) is a task of this progress. */
  progress?: Progress;
}

export function randomInput(dims: number[], seed: number): ReturnType<typeof f32> {
  let s = seed >>> 0;
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return f32(data, dims);
}

function timeModel(bytes: Uint8Array, inputDims: number[], threads: number): Promise<number> {
  return timeSession(nodeBackend, bytes, new Map([['input', randomInput(inputDims, 1)]]), threads, { repeats: REPEATS, minRuns: 1, budgetMs: TIME_BUDGET_MS });
}

/**
 * The layer's long convolution alone: the first LongConv of the built (unlowered) layer, fed by a new
 * input `input` [1,H,L]; its kernel subgraph stays (and folds, the length being fixed).
 */
function convOnly(built: Compiled): Compiled {
  const g = built.model.graph;
  const conv = g.nodes.find(isLongConv);
  if (!conv) throw new Error('the layer has no LongConv');
  const model = built.model;
  const oldInput = g.inputs[0]!;
  g.renameValue(oldInput, '__layer_input');
  const u = g.addInput('input', conv.input(0).type);
  conv.setInput(0, u);
  g.replaceOutput(0, conv.outputs[0]!);
  return { ...built, model: model as Model, decisions: [] };
}

function dropUnusedInputs(c: Compiled): void {
  const g = c.model.graph;
  for (let i = g.inputs.length - 1; i >= 0; i--) if (g.inputs[i]!.uses.length === 0) g.inputs.splice(i, 1);
}

/** A fresh initialisation per layer and width, made once (S4 DPLR's takes seconds: C~ needs dA^l_kernel). */
const initCache = new Map<string, Weights>();

function initialWeights(spec: LayerSpec, width: number): Weights {
  const key = `${spec.id}|${width}`;
  let w = initCache.get(key);
  if (!w) {
    const file = spec.file(width);
    w = { tensors: new Map(findArch(file.arch).configure(file.args).layer.init(new Rng(0))), source: `${spec.id} init` };
    initCache.set(key, w);
  }
  return w;
}

export function compileFor(spec: LayerSpec, width: number, L: number, lowering: string, part: 'layer' | 'conv', threads = 1): Compiled & { bytes: Uint8Array; estimate: number | null; inputDims: number[] } {
  const opts: CompileOptions = { seqLen: L, opset: 17, lowering, threads };
  let built = buildModel(spec.file(width), initialWeights(spec, width), opts);
  if (part === 'conv') built = convOnly(built);
  lowerModel(built, opts);
  dropUnusedInputs(built);
  const est = built.decisions.map((d) => d.estimates.find((e) => e.lowering === lowering)?.ms ?? null);
  const estimate = est.some((e) => e === null) ? null : est.reduce((a, b) => a! + b!, 0);
  const dims = built.model.graph.inputs[0]!.type.shape!.map((d) => (typeof d === 'number' ? d : 1));
  return { ...built, bytes: modelToBytes(built.model), estimate, inputDims: dims };
}

/** The lowering --lowering auto picks for this layer's convolution (threads matter to the cost model). */
function autoChoice(spec: LayerSpec, width: number, L: number, threads: number): string {
  return compileFor(spec, width, L, 'auto', 'conv', threads).decisions[0]!.lowering;
}

/** The first Python with torch: `python3` on PATH, else Debian's (python3-torch installs into /usr/bin/python3). */
const PYTHONS = ['python3', '/usr/bin/python3'];
let python = 'python3';

export function torchAvailable(): string | null {
  for (const candidate of PYTHONS) {
    const r = spawnSync(candidate, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) {
      python = candidate;
      return r.stdout.trim();
    }
  }
  return null;
}

let torchBlas = 'unknown';

export function torchLatency(spec: LayerSpec, width: number, L: number, threads: number): number | null {
  return torchTimes(spec, width, L, threads)?.ms ?? null;
}

/** PyTorch eager's median wall and CPU milliseconds per run of the layer (bench/torch_reference.py), or null when it failed. */
export function torchTimes(spec: LayerSpec, width: number, L: number, threads: number): { ms: number; cpu_ms: number } | null {
  const script = fileURLToPath(new URL('../../bench/torch_reference.py', import.meta.url));
  const job = { layer: spec.id, width, N: spec.id === 'gss' ? spec.N : 2 * spec.N, L, threads, reps: REPEATS };
  // torch.set_num_threads does not reach OpenBLAS's own thread pool: pin every pool to `threads`.
  const pools = String(threads);
  const env = { ...process.env, OMP_NUM_THREADS: pools, OPENBLAS_NUM_THREADS: pools, MKL_NUM_THREADS: pools };
  const r = spawnSync(python, [script], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 1 << 20, env });
  if (r.status !== 0) return null;
  const out = JSON.parse(r.stdout) as { ms: number; cpu_ms: number; blas?: string };
  torchBlas = out.blas ?? torchBlas;
  return { ms: out.ms, cpu_ms: out.cpu_ms };
}

export async function benchConvLowerings(opts: ConvBenchOptions = {}): Promise<{ table: string; json: unknown }> {
  const progress = opts.progress ?? Progress.none;
  const widths = opts.widths ?? (opts.quick ? [256] : [256, 512]);
  const lengths = opts.lengths ?? (opts.quick ? [1024, 4096] : [1024, 4096, 16384]);
  const threadCounts = opts.threads ?? (opts.quick ? [1] : [1, 2]);
  const layers = LAYERS.filter((l) => !opts.layers || opts.layers.includes(l.id));
  const torch = torchAvailable();
  const rows: ConvBenchRow[] = [];
  const autos: { layer: string; width: number; L: number; threads: number; lowering: string }[] = [];

  for (const spec of layers) {
    for (const width of widths) {
      for (const L of lengths) {
        for (const part of ['conv', 'layer'] as const) {
          for (const lowering of LOWERINGS.map((l) => l.name)) {
            const base = { layer: spec.id, width, L, part, lowering };
            let compiled: ReturnType<typeof compileFor>;
            try {
              compiled = progress.run(`compile ${spec.id} ${width} L=${L} ${part} ${lowering}`, () => compileFor(spec, width, L, lowering, part));
            } catch (e) {
              if (!(e instanceof UserError)) throw e;
              for (const threads of threadCounts) rows.push({ ...base, threads, ms: null, note: `n/a: ${e.message.replace(/^--lowering \w+ cannot lower the long convolution of layer '[^']*': /, '').replace(/; use --lowering auto.*$/, '')}` });
              continue;
            }
            const fastest = Math.min(...compiled.decisions.flatMap((d) => d.estimates.map((e) => e.ms ?? Infinity)));
            const nodes = compiled.model.graph.nodes.length;
            for (const threads of threadCounts) {
              const est = compiled.estimate;
              if (est !== null && est > SKIP_FLOOR_MS && est > SKIP_FACTOR * fastest) {
                rows.push({ ...base, threads, ms: null, note: `not run: the cost model expects it over ${SKIP_FACTOR}× slower than the fastest lowering and over ${SKIP_FLOOR_MS / 1000} s per pass`, estimate_ms: Math.round(est), nodes });
                continue;
              }
              const ms = await progress.run(`${spec.id} ${width} L=${L} ${part} ${lowering} ${threads}t`, async (task) => {
                const t = await timeModel(compiled.bytes, compiled.inputDims, threads);
                task.detail(`${t.toFixed(1)} ms`);
                return t;
              });
              rows.push({ ...base, threads, ms: +ms.toFixed(2), note: '', nodes });
            }
          }
        }
        for (const threads of threadCounts) {
          autos.push({ layer: spec.id, width, L, threads, lowering: autoChoice(spec, width, L, threads) });
          const base = { layer: spec.id, width, L, threads, part: 'layer' as const, lowering: 'torch-eager' as const };
          if (!torch) rows.push({ ...base, ms: null, note: 'python3 with torch not found' });
          else if (L > 4096 && !opts.torchLong) rows.push({ ...base, ms: null, note: 'not run at L > 4096 (eager takes many seconds; --torch-long runs it)' });
          else {
            const ms = progress.run(`${spec.id} ${width} L=${L} torch-eager ${threads}t`, (task) => {
              const t = torchLatency(spec, width, L, threads);
              task.detail(t === null ? 'failed' : `${t.toFixed(1)} ms`);
              return t;
            });
            rows.push({ ...base, ms, note: ms === null ? 'the torch reference failed' : `torch ${torch}` });
          }
        }
      }
    }
  }
  const torchLabel = torch ? `${torch}, BLAS: ${torchBlas}` : null;
  return { table: formatTables(rows, autos, torchLabel), json: { bench: 'conv-lowerings', runtime: 'onnxruntime-node cpu', torch: torchLabel, rows, auto: autos } };
}

function formatTables(rows: ConvBenchRow[], autos: { layer: string; width: number; L: number; threads: number; lowering: string }[], torch: string | null): string {
  const cell = (r: ConvBenchRow | undefined) => (r === undefined ? '' : r.ms === null ? (r.note.startsWith('n/a') ? 'n/a' : '—') : r.ms.toFixed(1));
  const out: string[] = [];
  for (const part of ['conv', 'layer'] as const) {
    out.push('');
    out.push(part === 'conv'
      ? 'Long convolution alone (u → y, kernel folded), onnxruntime-node CPU, ms per pass (median); best/dft = dft ms ÷ best ms'
      : `Whole layer, onnxruntime-node CPU, ms per pass (median)${torch ? `; PyTorch eager ${torch} (bench/torch_reference.py)` : '; PyTorch: python3 with torch not found'}`);
    const names = LOWERINGS.map((l) => l.name);
    const cols = part === 'layer' ? [...names, 'torch-eager'] : names;
    out.push(`| layer | width | L | threads | ${cols.join(' | ')} | auto picks | best/dft |`);
    out.push(`|---|---:|---:|---:|${cols.map(() => '---:').join('|')}|---|---:|`);
    const keys = [...new Set(rows.filter((r) => r.part === part).map((r) => `${r.layer}|${r.width}|${r.L}|${r.threads}`))];
    for (const key of keys) {
      const [layer, width, L, threads] = key.split('|');
      const mine = rows.filter((r) => r.part === part && `${r.layer}|${r.width}|${r.L}|${r.threads}` === key);
      const timed = mine.filter((r) => r.ms !== null && r.lowering !== 'torch-eager');
      const best = timed.reduce<ConvBenchRow | null>((a, r) => (a === null || r.ms! < a.ms! ? r : a), null);
      const dft = mine.find((r) => r.lowering === 'dft');
      const ratio = best && dft?.ms ? `${(dft.ms / best.ms!).toFixed(1)}× (${best.lowering})` : '';
      const auto = autos.find((a) => `${a.layer}|${a.width}|${a.L}|${a.threads}` === key)?.lowering ?? '';
      out.push(`| ${layer} | ${width} | ${L} | ${threads} | ${cols.map((c) => cell(mine.find((r) => r.lowering === c))).join(' | ')} | ${auto} | ${ratio} |`);
    }
  }
  const notes = [...new Set(rows.filter((r) => r.ms === null).map((r) => `${r.lowering}: ${r.note}`))];
  if (notes.length > 0) out.push('', 'Not timed:', ...notes.map((n) => `  ${n}`));
  return out.join('\n');
}

/** `--layers s4d,gss --widths 512 --lengths 16384 --threads 1,2`: one part of the grid. */
export function gridOptions(argv: string[]): Pick<ConvBenchOptions, 'layers' | 'widths' | 'lengths' | 'threads'> {
  const list = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]!.split(',') : undefined;
  };
  const ints = (name: string) => list(name)?.map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: '${x}' is not a positive integer`);
    return n;
  });
  const layers = list('layers');
  for (const l of layers ?? []) if (!LAYERS.some((s) => s.id === l)) throw new Error(`--layers: unknown layer '${l}'; one of ${LAYERS.map((s) => s.id).join(', ')}`);
  return { layers: layers as LayerSpec['id'][] | undefined, widths: ints('widths'), lengths: ints('lengths'), threads: ints('threads') };
}

printWhenMain(import.meta.url, (progress) => {
  const argv = process.argv.slice(2);
  return benchConvLowerings({ quick: argv.includes('--quick'), torchLong: argv.includes('--torch-long'), ...gridOptions(argv), progress });
});
