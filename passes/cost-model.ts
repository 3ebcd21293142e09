import { fourstepLengthsUnsupported, fourstepPlan, planWork } from './lower-fftconv-fourstep.js';
import type { Lowering } from './lowering-tag.js';

/**
 * A cost model of the long-convolution lowerings per runtime, calibrated on the measurements in
 * ../shared/docs/lowering-notes.md (onnxruntime 1.30, 2-core AVX2 machine, H = 256): it predicts
 * milliseconds from operation counts and per-kernel throughputs. Its job is ranking, not timing:
 * the lowerings differ by 5-40×, far more than the model's error.
 */

export const RUNTIMES = ['ort-cpu', 'ort-wasm'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** What the model needs to know about one convolution. */
export interface ConvFacts {
  /** Channels H and kernel channels C of FFTConv(u [B,H,L], k [C,H,Lk]). */
  H: number;
  C: number;
  /** Fixed sequence length, or null when it is symbolic. */
  L: number | null;
  /** Fixed kernel length, or null when it follows L. */
  Lk: number | null;
  bidirectional: boolean;
  /**
   * Complex modes per channel when the kernel comes from a diagonal SSM, or half the real state
   * size of a realized one (S4 DPLR); else null (no chunked form).
   */
  diagModes: number | null;
  /** The chunk recurrence multiplies by a dense [2N,2N] transition (a realized kernel), not by μ^T. */
  denseTransition?: boolean;
}

interface Throughput {
  /** GFLOP/s of batched MatMul at the sizes these lowerings use, per thread (threads scale it). */
  matmul: number;
  /** GFLOP/s of the DFT kernel (serial, scalar radix-2: threads do not help). */
  dft: number;
  /** GFLOP/s of a depthwise Conv, per thread. */
  conv: number;
  /** G element-ops/s of small elementwise kernels (the chunk Scan's steps). */
  elementwise: number;
  /** How many threads help (onnxruntime-web runs one without cross-origin isolation). */
  maxThreads: number;
}

/** Fixed cost of one Scan step (launching its body's few kernels), ms. */
const SCAN_STEP_OVERHEAD_MS = 0.02;

const THROUGHPUT: Record<Runtime, Throughput> = {
  'ort-cpu': { matmul: 55, dft: 0.9, conv: 3.7, elementwise: 1, maxThreads: 64 },
  'ort-wasm': { matmul: 15, dft: 0.6, conv: 1.2, elementwise: 0.4, maxThreads: 1 },
};

/** The length a dynamic-length graph is planned for when ranking lowerings. */
export const PLANNING_LENGTH = 2048;

export function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

function log2(x: number): number {
  return Math.log2(Math.max(x, 2));
}

/** The chunk length of the chunked form: 64 up to 4K positions, 128 beyond (the notes' best). */
export function chunkLength(L: number | null): number {
  if (L === null) return 64;
  if (L > 4096) return 128;
  return Math.min(64, nextPow2(L));
}

/**
 * Threads speed the four-step MatMuls up by threads^0.65: two run about 1.55× faster than one
 * (notes: 9.5 → 6.2 ms at 1K, 281 → 180 ms at 16K). One thread sustains about the MatMul
 * throughput in the units of planWork (the plan's MatMul work and memory passes, ×8·n flops per
 * row): measured with H = 256, 9.4 / 43 / 222 ms at L = 1K / 4K / 16K against 10.6 / 45 / 236 estimated.
 */
const FOURSTEP_THREAD_EXPONENT = 0.65;

export interface Estimate {
  lowering: Lowering;
  /** Predicted milliseconds for batch 1, or null when the lowering cannot take this convolution. */
  ms: number | null;
  /** Why it cannot, or what the estimate assumed. */
  note: string;
}

/** Every lowering's predicted time for one convolution (batch 1) on `runtime` with `threads`. */
export function estimateAll(f: ConvFacts, runtime: Runtime, threads: number): Estimate[] {
  const t = THROUGHPUT[runtime];
  const par = Math.max(1, Math.min(threads, t.maxThreads));
  const L = f.L ?? PLANNING_LENGTH;
  const Lk = f.Lk ?? L;
  const sides = f.bidirectional ? 2 : 1;
  const planned = f.L === null ? ` (dynamic length, planned for L=${PLANNING_LENGTH})` : '';
  const ms = (flops: number, gflops: number) => flops / (gflops * 1e6);

  // DFT: a power of two ≥ L + Lk (radix-2 in onnxruntime; dynamic lengths compute it in the graph),
  // two real rows per complex transform; the kernel's transforms run too when they cannot fold.
  const nDft = nextPow2(L + Lk);
  const rows = f.H + f.C * f.H + (f.L === null ? f.C * f.H : 0); // transforms of u, of y, of k when not folded
  const dft: Estimate = {
    lowering: 'dft',
    ms: ms((rows / 2) * 5 * nDft * log2(nDft), t.dft),
    note: `${rows} real transforms of ${nDft}, two per complex DFT${planned}`,
  };

  let fourstep: Estimate;
  const fourstepRefusal = f.L === null || f.Lk === null ? null : fourstepLengthsUnsupported(f.L, f.Lk, f.bidirectional);
  if (f.L === null || f.Lk === null) {
    fourstep = { lowering: 'fourstep', ms: null, note: 'needs a fixed length (compile with --seq-len N)' };
  } else if (fourstepRefusal) {
    fourstep = { lowering: 'fourstep', ms: null, note: fourstepRefusal };
  } else {
    const plan = fourstepPlan(f.L, f.Lk, f.bidirectional);
    const w = planWork(plan);
    const flops = 8 * plan.n * f.H * (w.forward + f.C * w.inverse);
    fourstep = {
      lowering: 'fourstep',
      ms: ms(flops, t.matmul * par ** FOURSTEP_THREAD_EXPONENT),
      note: `FFT ${plan.n} = ${plan.factors.join('·')} as MatMuls`,
    };
  }

  let chunked: Estimate;
  if (f.diagModes === null) {
    chunked = { lowering: 'chunked', ms: null, note: 'the kernel is not produced by a diagonal SSM' };
  } else if (f.Lk !== null && f.L !== null && f.Lk < f.L) {
    chunked = { lowering: 'chunked', ms: null, note: `the kernel (${f.Lk}) is shorter than the input (${f.L})` };
  } else {
    const T = chunkLength(f.L);
    const N2 = 2 * f.diagModes;
    const matmul = 2 * L * f.H * (f.C * T + N2 + f.C * N2) * sides;
    const nc = Math.ceil(L / T);
    // The Scan over chunks: per step a fixed overhead and ~6 elementwise passes over [H,2N]
    // (measured ≈ 0.12 ms a step at H=256, N=32), or with a dense transition H small [1,2N]·[2N,2N]
    // MatMuls (measured 0.083 ms of MatMul a step at H=256, 2N=64: 2.1 MFLOP at ~45 % of the
    // MatMul rate); threads do not help.
    const stepWork = f.denseTransition ? (2 * f.H * N2 * N2) / (t.matmul * 0.45 * 1e6) : (6 * f.H * N2) / (t.elementwise * 1e6);
    const scanMs = nc * sides * (SCAN_STEP_OVERHEAD_MS + stepWork);
    chunked = {
      lowering: 'chunked',
      ms: ms(matmul, t.matmul * 0.6 * par) + scanMs,
      note: f.denseTransition ? `chunks of ${T}, state-space realization with ${N2} real states${planned}` : `chunks of ${T}, ${f.diagModes} complex modes${planned}`,
    };
  }

  const direct: Estimate = {
    lowering: 'direct',
    ms: ms(2 * L * Lk * f.C * f.H * sides, t.conv * par),
    note: `depthwise Conv, ${Lk} taps${sides > 1 ? ' each side' : ''}${planned}`,
  };
  return [dft, fourstep, chunked, direct];
}

/** The fastest applicable lowering, with the reason in words. */
export function chooseLowering(f: ConvFacts, runtime: Runtime, threads: number): { lowering: Lowering; reason: string; estimates: Estimate[] } {
  const estimates = estimateAll(f, runtime, threads);
  const usable = estimates.filter((e) => e.ms !== null).sort((a, b) => a.ms! - b.ms!);
  const best = usable[0]!;
  const runnerUp = usable[1];
  const vs = runnerUp ? `, ${(runnerUp.ms! / best.ms!).toFixed(1)}× faster than ${runnerUp.lowering}` : '';
  return { lowering: best.lowering, reason: `est. ${best.ms!.toFixed(2)} ms on ${runtime}${vs}; ${best.note}`, estimates };
}
