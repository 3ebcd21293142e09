/**
 * The FFT-based lowerings of one long convolution LongConv(u [1,H,L], k [1,H,L]) head to head, as in
 * ../shared/docs/lowering-notes.md: the plain DFT graph (one rfft per row), the DFT graph with two
 * real rows packed per complex transform, and the four-step FFT as MatMuls (with its chosen plan,
 * and optionally other factorisations). Fixed length, kernel folded, onnxruntime-node CPU, medians
 * after a warm-up. Machines are noisy: compare the variants of one row, as ratios.
 *   node dist/bench/fftconv-lowerings.js [--H 256] [--L 1024,4096,16384] [--threads 1] [--factors 64x32,32x64]
 */
import { modelToBytes, Progress, Rng } from 'ssmc';
import { Builder, f32, LONG_CONV, longConv, Model, type Node, SSMC_DOMAIN, type Tensor, tensorType, type Value } from 'ssmc/ir';
import { csePass, dcePass, dftConv, foldConstantsPass, fourstepConv, fourstepPlan, lowerComplexPass, planWithFactors, rewriteNodes } from 'ssmc/passes';
import { nodeBackend } from 'ssmc/runtime';
import { timeSession } from './timing.js';
import { printWhenMain } from './standalone.js';

export interface FftConvBenchOptions {
  /** Channels (default 256, as in the notes). */
  H?: number;
  /** Sequence lengths (default 1024, 4096, 16384). */
  lengths?: number[];
  /** Intra-op threads (default 1). */
  threads?: number;
  /** Extra four-step factorisations to time, e.g. [[64, 32], [32, 64]]; those too short for L are skipped. */
  factors?: number[][];
  /** Timed runs per variant, at most (default 9), within about 3 s. */
  repeats?: number;
  /** Each (length, variant) is a task of this progress. */
  progress?: Progress;
}

export interface FftConvBenchRow {
  L: number;
  H: number;
  threads: number;
  variant: string;
  ms: number;
  /** What the variant computes: FFT size and factors. */
  note: string;
}

type Rewriter = (b: Builder, node: Node) => Value;

interface Variant {
  name: string;
  note: (L: number) => string;
  lower: Rewriter;
}

function randomTensor(dims: number[], seed: number, decay = 0): Tensor {
  const rng = new Rng(seed);
  const L = dims.at(-1)!;
  const n = dims.reduce((a, b) => a * b, 1);
  // A decaying kernel, like an SSM's: the values matter only for overflow, not for time.
  return f32(Array.from({ length: n }, (_, i) => rng.normal() * Math.exp(-decay * (i % L))), dims);
}

/**
 * LongConv(u [1,H,L], k [1,H,L]) lowered by `lower`, then the usual tail. The kernel's transform
 * folds unless one of its results passes fold-constants' size limit; `kernelFolded` says which.
 */
function lowered(H: number, L: number, lower: Rewriter): { bytes: Uint8Array; kernelFolded: boolean } {
  const model = new Model(17);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  const b = new Builder(model.graph, 17);
  const u = model.graph.addInput('input', tensorType('float32', [1, H, L]));
  const k = b.initializer('k', randomTensor([1, H, L], 2, 4 / L));
  const y = longConv(b, { kernel: 'taps', u, k, kRev: null });
  model.graph.renameValue(y, 'output');
  model.graph.outputs.push(y);
  rewriteNodes(model, SSMC_DOMAIN, LONG_CONV, (bb, node) => [lower(bb, node)]);
  const target = { opset: 17 };
  for (const pass of [lowerComplexPass, foldConstantsPass, csePass, dcePass]) pass.run(model, target);
  // A node that does not depend on the input is part of the kernel's transform, left to every call.
  const fromInput = new Set<Value>(model.graph.inputs);
  for (const n of model.graph.nodes) if (n.inputs.some((v) => v !== null && fromInput.has(v))) n.outputs.forEach((o) => fromInput.add(o));
  const kernelFolded = model.graph.nodes.every((n) => n.inputs.some((v) => v !== null && fromInput.has(v)));
  return { bytes: modelToBytes(model), kernelFolded };
}

function time(bytes: Uint8Array, H: number, L: number, threads: number, repeats: number): Promise<number> {
  return timeSession(nodeBackend, bytes, new Map([['input', randomTensor([1, H, L], 1)]]), threads, { repeats, minRuns: 2, budgetMs: 3000 });
}

function describePlan(L: number, factors?: number[]): string {
  const p = factors ? planWithFactors(L, L, false, factors) : fourstepPlan(L, L, false);
  return `n=${p.n}=${p.factors.join('·')}, rows ${p.inputRows}/${p.factors[0]}`;
}

function variants(opts: FftConvBenchOptions): Variant[] {
  const pow2 = (L: number) => `n=${2 ** Math.ceil(Math.log2(2 * L))}`;
  const list: Variant[] = [
    { name: 'dft', note: (L) => `${pow2(L)}, one rfft per row`, lower: dftConv({ pack: false }) },
    { name: 'dft-packed', note: (L) => `${pow2(L)}, two rows per complex DFT`, lower: dftConv({ pack: true }) },
    { name: 'fourstep', note: (L) => describePlan(L), lower: fourstepConv(fourstepPlan) },
  ];
  for (const f of opts.factors ?? []) {
    list.push({ name: `fourstep ${f.join('x')}`, note: (L) => describePlan(L, f), lower: fourstepConv((L, Lk, bidir) => planWithFactors(L, Lk, bidir, f)) });
  }
  return list;
}

/** Time every variant at every length; rows in order of length, then variant. */
export async function benchFftConvLowerings(opts: FftConvBenchOptions = {}): Promise<FftConvBenchRow[]> {
  const H = opts.H ?? 256, threads = opts.threads ?? 1, repeats = opts.repeats ?? 9;
  const progress = opts.progress ?? Progress.none;
  const rows: FftConvBenchRow[] = [];
  for (const L of opts.lengths ?? [1024, 4096, 16384]) {
    for (const v of variants(opts)) {
      let note: string;
      try {
        note = v.note(L);
      } catch {
        continue; // a forced factorisation too short for this length
      }
      const ms = await progress.run(`L=${L} ${v.name}`, async (task) => {
        const t0 = performance.now();
        const { bytes, kernelFolded } = lowered(H, L, v.lower);
        const built = performance.now() - t0;
        if (!kernelFolded) note += '; kernel transform not folded (over the fold-constants size limit), runs every call';
        const t = await time(bytes, H, L, threads, repeats);
        task.detail(`${t.toFixed(1)} ms (${note}; built in ${(built / 1000).toFixed(1)} s, ${(bytes.length / 2 ** 20).toFixed(1)} MiB)`);
        return t;
      });
      rows.push({ L, H, threads, variant: v.name, ms, note });
    }
  }
  return rows;
}

export function formatRows(rows: FftConvBenchRow[]): string {
  const out = ['| L | variant | ms | vs dft | note |', '|---:|---|---:|---:|---|'];
  for (const r of rows) {
    const dft = rows.find((x) => x.L === r.L && x.variant === 'dft');
    out.push(`| ${r.L} | ${r.variant} | ${r.ms.toFixed(1)} | ${dft ? (dft.ms / r.ms).toFixed(2) + '×' : ''} | ${r.note} |`);
  }
  return out.join('\n');
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

printWhenMain(import.meta.url, async (progress) => {
  const list = (s: string | undefined) => s?.split(',').map(Number);
  const opts: FftConvBenchOptions = {
    H: Number(argValue('--H') ?? 256),
    lengths: list(argValue('--L')),
    threads: Number(argValue('--threads') ?? 1),
    factors: argValue('--factors')?.split(',').map((f) => f.split('x').map(Number)),
    progress,
  };
  const rows = await benchFftConvLowerings(opts);
  return { table: formatRows(rows), json: rows };
});
