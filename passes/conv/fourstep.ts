import type { Builder } from '../../ir/builder.js';
import type { Node } from '../../ir/node.js';
import { readLongConv, type LongConv } from '../../ir/ops/long-conv.js';
import { f32, lazyTensor } from '../../ir/tensor.js';
import type { Value } from '../../ir/value.js';
import { DATA_MOVEMENT_OPS, constantValue } from '../constant-value.js';
import { kernelSpectrum } from './fourstep-kernel.js';
import { MAX_FOLD_BYTES } from '../fold-constants.js';
import type { ConvFacts, ConvLowering, LoweringEstimate } from './lowering.js';
import type { RuntimeTarget } from './targets.js';

/**
 * LongConv as a four-step (Cooley-Tukey / Monarch) FFT whose every step is a MatMul, after
 * ../shared/docs/lowering-notes.md: onnxruntime's MatMul runs 40-60× faster than its DFT kernel.
 *
 * An FFT of size n = n1·…·nS splits the time index m = Σ_s m_s·(n_{s+1}·…·nS) (m1 slowest) and
 * the frequency index κ_S = k1 + n1·k2 + n1n2·k3 + … (k1 fastest). With P_s = n1·…·n_s and
 * κ_s = κ_{s−1} + P_{s−1}·k_s, stage s contracts m_s with, for every already-known κ_{s−1},
 *   W_s[κ_{s−1}][k_s, m_s] = ω_{P_s}^{m_s·κ_s},   ω_P = exp(−2πi/P)
 * (this is the size-n_s DFT times the twiddle ω_{P_s}^{m_s·κ_{s−1}}, folded into one matrix per
 * row). Stage 1 has one matrix; stage s has P_{s−1} of them: one batched MatMul per stage. The
 * spectrum stays in this permuted order (no bit reversal): the product with the kernel's spectrum is
 * pointwise, and the inverse undoes the stages in reverse order with the conjugate transposes
 * (scaled by 1/n_s each).
 *
 * Layout: time-major, [m, rows] with rows = (b, h) for u and (c, h) for the kernel, so every stage
 * is W · X with a long row dimension and no transposes between stages. Complex tensors are real
 * float32 tensors with a (re, im) axis next to the contracted index: a stage contracts the 2·n_s
 * index (part, m_s) and writes (k_s, part), which is already the next stage's (part, m_{s+1}) order
 * after a free Reshape. The input is real and zero past L, so stage 1 reads only the rows of m1
 * that hold data (about half); the last inverse stage writes only the rows of m1 that hold the first
 * L outputs, and only their real part.
 */

/** How one convolution is transformed: the FFT size, its factors, and the rows of m1 that carry data. */
export interface FourstepPlan {
  L: number;
  Lk: number;
  bidirectional: boolean;
  /** FFT size, the product of `factors`; ≥ the length a linear convolution needs. */
  n: number;
  /** n1, n2[, n3]: one MatMul stage each, n1 the slowest time index. */
  factors: number[];
  stages: number;
  /** Causal taps that can reach an output: min(Lk, L). */
  causalTaps: number;
  /** Anti-causal taps that can reach an output: min(Lk, L − 1), 0 without k_rev. */
  reverseTaps: number;
  /** Values of m1 that hold input samples (t < L): the forward stage 1 of u contracts only these. */
  inputRows: number;
  /** Values of m1 that hold kernel taps (all n1 with k_rev, whose taps sit at the tail). */
  kernelRows: number;
  /** Values of m1 that hold the first L outputs: the last inverse stage computes only these. */
  outputRows: number;
}

/** Stages by length, as measured in the notes: 2 up to 2K positions, 3 from 4K (memory-bound beyond). */
const TWO_STAGES_UP_TO = 2048;

/**
 * Relative cost of one stage's elementwise memory traffic (reading and writing the 2·n·rows floats
 * it transforms), in units of one step of factor: on the notes' machine a pass over memory costs
 * about as much as a MatMul stage with factor 12 (60 GFLOP/s against about 10 GB/s).
 */
const STAGE_TRAFFIC = 12;

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** The rows of m1 that positions 0..len−1 fall into, when m1 has stride n/n1. */
function rowsOf(len: number, n: number, n1: number): number {
  return Math.min(n1, ceilDiv(len, n / n1));
}

/** The plan for given factors (exported for the benchmark and tests; fourstepPlan picks the factors). */
export function planWithFactors(L: number, Lk: number, bidirectional: boolean, factors: number[]): FourstepPlan {
  if (!Number.isInteger(L) || L < 1 || !Number.isInteger(Lk) || Lk < 1) throw new Error(`four-step FFT: lengths must be positive integers, got L=${L}, Lk=${Lk}`);
  const causalTaps = Math.min(Lk, L);
  const reverseTaps = bidirectional ? Math.min(Lk, L - 1) : 0;
  const n = factors.reduce((a, f) => a * f, 1);
  if (n < minimumSize(L, causalTaps, reverseTaps)) throw new Error(`four-step FFT: size ${n} = ${factors.join('·')} is too short for L=${L}, Lk=${Lk}`);
  const n1 = factors[0]!;
  return {
    L, Lk, bidirectional, n, factors: [...factors], stages: factors.length, causalTaps, reverseTaps,
    inputRows: rowsOf(L, n, n1),
    kernelRows: reverseTaps > 0 ? n1 : rowsOf(causalTaps, n, n1),
    outputRows: rowsOf(L, n, n1),
  };
}

/**
 * The shortest circular convolution that equals the linear one on outputs 0..L−1: causal taps
 * j < Lc wrap onto outputs only when n < L + Lc − 1; the reversed anti-causal taps sit at n−Lr..n−1
 * and must stay above output L−1, so n ≥ L + Lr.
 */
function minimumSize(L: number, causalTaps: number, reverseTaps: number): number {
  return Math.max(1, L + causalTaps - 1, reverseTaps > 0 ? L + reverseTaps : 0);
}

/**
 * A plan's work per row of u (forward) and per output row (inverse), in units of one complex MatMul
 * stage of factor 1 over the spectrum (8·n real flops): stage 1 of u reads only its data rows (a
 * real input: half a complex stage), each batched stage costs its factor, and each stage's pass over
 * memory costs STAGE_TRAFFIC; the inverse mirrors it (its stage 1 real-only on outputRows).
 */
export function planWork(p: FourstepPlan): { forward: number; inverse: number } {
  const batched = p.factors.slice(1).reduce((a, f) => a + f, 0);
  const traffic = STAGE_TRAFFIC * p.stages;
  return { forward: p.inputRows / 2 + batched + traffic, inverse: p.outputRows / 2 + batched + traffic };
}

function planCost(p: FourstepPlan): number {
  const w = planWork(p);
  return p.n * (w.forward + w.inverse);
}

/**
 * Choose the FFT size and factors for a convolution of u [.,.,L] with k [.,.,Lk]: 2 stages up to 2K positions,
 * 3 beyond. Factors need not be powers of two (a DFT matrix has any size), so n is the cheapest
 * product ≥ the size the convolution needs: for L = 4099 that is about 8.2K, not 16K. Among those
 * the cost counts that stage 1 and the last inverse stage touch only the rows that hold data, so
 * n1 may be larger than the other factors; the others stay near-square.
 */
export function fourstepPlan(L: number, Lk: number, bidirectional: boolean): FourstepPlan {
  const need = minimumSize(L, Math.min(Lk, L), bidirectional ? Math.min(Lk, L - 1) : 0);
  const stages = L <= TWO_STAGES_UP_TO ? 2 : 3;
  const limit = Math.ceil(4 * need ** (1 / stages)) + 8; // factors beyond 4× the even split never pay
  let best: FourstepPlan | null = null, bestCost = Infinity;
  const consider = (factors: number[]) => {
    const p = planWithFactors(L, Lk, bidirectional, factors);
    const c = planCost(p);
    if (c < bestCost) [best, bestCost] = [p, c];
  };
  for (let n1 = 1; n1 <= Math.min(limit, need); n1++) {
    if (stages === 2) {
      consider([n1, ceilDiv(need, n1)]);
      continue;
    }
    for (let n2 = 1; n2 <= Math.min(limit, ceilDiv(need, n1)); n2++) consider([n1, n2, ceilDiv(need, n1 * n2)]);
  }
  return best!;
}

/**
 * The DFT matrices a plan stores, forward and inverse: stage s holds P_{s−1} matrices of
 * (2·n_s)² floats, 16·n·n_s bytes for the last stage, so they grow as n^(4/3) and pass any model
 * file's size near a million positions (the twiddles would then have to be applied elementwise).
 */
export function planMatrixBytes(p: FourstepPlan): number {
  let bytes = 4 * (2 * p.factors[0]! * (p.inputRows + p.kernelRows) + p.outputRows * 2 * p.factors[0]!);
  for (let s = 1; s < p.stages; s++) bytes += 2 * 4 * stageBatch(p.factors, s) * (2 * p.factors[s]!) ** 2;
  return bytes;
}

/** The largest set of DFT matrices the lowering writes into a model (L = 65536 takes about 140 MiB). */
export const MAX_MATRIX_BYTES = 256 * 2 ** 20;

/** Why a convolution of these lengths cannot take the four-step lowering, or null when it can. */
export function fourstepLengthsUnsupported(L: number, Lk: number, bidirectional: boolean): string | null {
  if (L < 1 || Lk < 1) return `the four-step FFT needs at least one position and one tap (L=${L}, kernel ${Lk})`;
  const p = fourstepPlan(L, Lk, bidirectional);
  const bytes = planMatrixBytes(p);
  if (bytes > MAX_MATRIX_BYTES) {
    return `the four-step FFT of ${p.n} = ${p.factors.join('·')} points would store ${(bytes / 2 ** 20).toFixed(0)} MiB of DFT matrices (limit ${MAX_MATRIX_BYTES / 2 ** 20} MiB); use --lowering dft or chunked for L=${L}`;
  }
  return null;
}

type TapsConv = Extract<LongConv, { kernel: 'taps' }>;

const NEEDS_FIXED_LENGTH = 'the four-step FFT needs a fixed length; compile with --seq-len N';

/** Why a LongConv node cannot take the four-step lowering as it stands, or null when it can. */
export function fourstepUnsupported(node: Node): string | null {
  const conv = readLongConv(node);
  return conv.kernel === 'taps' ? tapsUnsupported(conv) : `the four-step FFT reads taps, and this LongConv has a ${conv.kernel} kernel`;
}

function tapsUnsupported({ u, k, kRev }: TapsConv): string | null {
  const [, H, L] = u.type.shape ?? [];
  const [C, Hk, Lk] = k.type.shape ?? [];
  if (typeof L !== 'number' || typeof Lk !== 'number') return NEEDS_FIXED_LENGTH;
  if (typeof H !== 'number' || typeof C !== 'number' || Hk !== H) return 'the four-step FFT needs static channel counts (u [B,H,L], k [C,H,Lk])';
  if (kRev && JSON.stringify(kRev.type.shape) !== JSON.stringify(k.type.shape)) return 'k_rev must have the shape of k';
  return fourstepLengthsUnsupported(L, Lk, kRev !== null);
}

// ---------------------------------------------------------------------------------------------
// The DFT matrices (float64 angles, reduced exactly before cos/sin; stored as float32)

/** κ_{s−1} for every batch row β of stage s, where β counts (k1, …, k_{s−1}) with k_{s−1} fastest. */
function kappas(factors: number[], stage: number): number[] {
  let ks = [0], P = 1;
  for (let s = 0; s < stage; s++) {
    const f = factors[s]!;
    ks = ks.flatMap((kappa) => Array.from({ length: f }, (_, k) => kappa + P * k));
    P *= f;
  }
  return ks;
}

function angle(num: number, den: number): number {
  return (2 * Math.PI * (num % den)) / den;
}

/**
 * Forward stage s ≥ 1 (0-based index `s`): [P_{s−1}, 2n_s rows (k, part), 2n_s columns (part, m)],
 * the real form of out = c·in with c = ω_{P_s}^{m·κ_s}: [[cr, −ci], [ci, cr]].
 */
function forwardStage(factors: number[], s: number): { data: Float32Array; dims: number[] } {
  const ns = factors[s]!, batch = kappas(factors, s), P = batch.length * ns, w = 2 * ns;
  const data = new Float32Array(batch.length * w * w);
  batch.forEach((kappaPrev, beta) => {
    for (let k = 0; k < ns; k++) {
      for (let m = 0; m < ns; m++) {
        const a = -angle(m * (kappaPrev + (P / ns) * k), P), cr = Math.cos(a), ci = Math.sin(a);
        const at = (kp: number, mp: number) => beta * w * w + (2 * k + kp) * w + mp * ns + m;
        data[at(0, 0)] = cr; data[at(0, 1)] = -ci;
        data[at(1, 0)] = ci; data[at(1, 1)] = cr;
      }
    }
  });
  return { data, dims: [batch.length, w, w] };
}

/**
 * Inverse stage s ≥ 1: [P_{s−1}, 2n_s rows (part, m), 2n_s columns (k, part)], c = ω_{P_s}^{−m·κ_s}/n_s
 * (the conjugate transpose of the forward stage over n_s, so the stages together divide by n).
 */
function inverseStage(factors: number[], s: number): { data: Float32Array; dims: number[] } {
  const ns = factors[s]!, batch = kappas(factors, s), P = batch.length * ns, w = 2 * ns;
  const data = new Float32Array(batch.length * w * w);
  batch.forEach((kappaPrev, beta) => {
    for (let m = 0; m < ns; m++) {
      for (let k = 0; k < ns; k++) {
        const a = angle(m * (kappaPrev + (P / ns) * k), P), cr = Math.cos(a) / ns, ci = Math.sin(a) / ns;
        const at = (mp: number, kp: number) => beta * w * w + (mp * ns + m) * w + 2 * k + kp;
        data[at(0, 0)] = cr; data[at(0, 1)] = -ci;
        data[at(1, 0)] = ci; data[at(1, 1)] = cr;
      }
    }
  });
  return { data, dims: [batch.length, w, w] };
}

/** Forward stage 1 of a real input that is zero for m1 ≥ rows: [2n1 (k, part), rows]. */
function forwardFirstReal(n1: number, rows: number): { data: Float32Array; dims: number[] } {
  const data = new Float32Array(2 * n1 * rows);
  for (let k = 0; k < n1; k++) {
    for (let m = 0; m < rows; m++) {
      const a = -angle(m * k, n1);
      data[2 * k * rows + m] = Math.cos(a);
      data[(2 * k + 1) * rows + m] = Math.sin(a);
    }
  }
  return { data, dims: [2 * n1, rows] };
}

/** Inverse stage 1, real part only, rows m1 < rows: [rows, 2n1 (k, part)], Re(c·z) = cr·zr − ci·zi. */
function inverseFirstReal(n1: number, rows: number): { data: Float32Array; dims: number[] } {
  const data = new Float32Array(rows * 2 * n1);
  for (let m = 0; m < rows; m++) {
    for (let k = 0; k < n1; k++) {
      const a = angle(m * k, n1);
      data[m * 2 * n1 + 2 * k] = Math.cos(a) / n1;
      data[m * 2 * n1 + 2 * k + 1] = -Math.sin(a) / n1;
    }
  }
  return { data, dims: [rows, 2 * n1] };
}

// ---------------------------------------------------------------------------------------------
// The graph

function constant(b: Builder, name: string, m: { data: Float32Array; dims: number[] }): Value {
  return b.initializer(b.graph.freshName(name), f32(m.data, m.dims));
}

/** The first `taps` positions of x [N,M,T] (all of them when it has no more), time-major [taps, N, M]. */
function timeMajor(b: Builder, x: Value, taps: number, reversed = false): Value {
  const T = x.type.shape?.[2];
  let cut = x;
  if (reversed) cut = b.slice(x, [taps - 1], [Number.MIN_SAFE_INTEGER], [2], [-1]);
  else if (T !== taps) cut = b.slice(x, [0], [taps], [2]);
  return b.transpose(cut, [2, 0, 1]);
}

/** Zero rows appended along axis 0 of a rank-3 tensor. */
function padRows(b: Builder, x: Value, extra: number): Value {
  return extra > 0 ? b.op('Pad', [x, b.i64([0, 0, 0, extra, 0, 0], [6], 'pads')]) : x;
}

/**
 * The forward FFT of a real time-major signal x [rows·n/n1, …] (zero from row `rows`·n/n1 on):
 * → [P_{S−1}, 2n_S (k_S, part), …], i.e. [n, 2, …] in the permuted order κ.
 */
function forward(b: Builder, plan: FourstepPlan, x: Value, rows: number, stages: Value[]): Value {
  const f = plan.factors;
  const first = constant(b, 'fourstep_w1', forwardFirstReal(f[0]!, rows));
  let y = b.matmul(first, b.reshape(x, [rows, -1])); // [2n1, n/n1·rows]
  for (let s = 1; s < f.length; s++) y = b.matmul(stages[s - 1]!, b.reshape(y, [stageBatch(f, s), 2 * f[s]!, -1]));
  return y;
}

/** P_s: how many matrices stage s (0-based) has. */
function stageBatch(factors: number[], s: number): number {
  return factors.slice(0, s).reduce((a, x) => a * x, 1);
}

/** The inverse of `forward` for Y [n, 2, …] in the permuted order: the first L positions, real, [L, …]. */
function inverse(b: Builder, plan: FourstepPlan, Y: Value, stages: Value[]): Value {
  const f = plan.factors;
  let x = Y;
  for (let s = f.length - 1; s >= 1; s--) x = b.matmul(stages[s - 1]!, b.reshape(x, [stageBatch(f, s), 2 * f[s]!, -1]));
  const last = constant(b, 'fourstep_w1_inverse', inverseFirstReal(f[0]!, plan.outputRows));
  return b.matmul(last, b.reshape(x, [2 * f[0]!, -1])); // [outputRows, n/n1·rows]
}

/**
 * LongConv(u [B,H,L], k [C,H,Lk], k_rev?) → y [B,C,H,L] as a four-step FFT of MatMuls:
 *   kc = [k, 0…, reverse(k_rev)] of length n (time-major), K = FFT(kc), U = FFT(u padded)
 *   y = IFFT(U ⊙ K)[:L]
 * The kernel's chain depends only on k (and k_rev), so a constant kernel folds into K.
 * `choosePlan` picks the factorisation (the benchmark compares others with it).
 */
export function fourstepConv(choosePlan: (L: number, Lk: number, bidirectional: boolean) => FourstepPlan = fourstepPlan): (b: Builder, node: Node) => Value {
  return (b, node) => lowerWithPlan(b, node, choosePlan);
}

function lowerWithPlan(b: Builder, node: Node, choosePlan: (L: number, Lk: number, bidirectional: boolean) => FourstepPlan): Value {
  const conv = readLongConv(node);
  const why = conv.kernel === 'taps' ? tapsUnsupported(conv) : `internal: the four-step FFT reads taps, LongConv '${node.name}' has a ${conv.kernel} kernel`;
  if (why) throw new Error(why);
  const { u, k, kRev } = conv as TapsConv;
  const [, H, L] = u.type.shape as [unknown, number, number];
  const [C, , Lk] = k.type.shape as [number, number, number];
  const plan = choosePlan(L, Lk, kRev !== null);
  const stride = plan.n / plan.factors[0]!;
  const fwd = plan.factors.slice(1).map((_, i) => constant(b, `fourstep_w${i + 2}`, forwardStage(plan.factors, i + 1)));
  const inv = plan.factors.slice(1).map((_, i) => constant(b, `fourstep_w${i + 2}_inverse`, inverseStage(plan.factors, i + 1)));

  let Kr: Value, KiSigned: Value; // [n,1,1,C,H] and (−Ki, Ki) [n,2,1,C,H]
  const stored = storedTaps(b, k, kRev);
  if (stored) {
    // Taps of constants: the spectrum computed directly (fourstep-kernel.ts), once, when read.
    const spectrum = once(() => kernelSpectrum(plan, stored.k, stored.kRev, C, H, Lk, stored.LkRev));
    Kr = b.initializer(b.graph.freshName('fourstep_kernel_re'), lazyTensor('float32', [plan.n, 1, 1, C, H], () => spectrum().Kr));
    KiSigned = b.initializer(b.graph.freshName('fourstep_kernel_im'), lazyTensor('float32', [plan.n, 2, 1, C, H], () => spectrum().KiSigned));
  } else {
    // The kernel, circular and time-major [n or kernelRows·stride, C, H]: causal taps at the head,
    // the anti-causal taps reversed at the tail (k_rev[j] multiplies u[t+1+j]: circular lag −1−j).
    const causal = timeMajor(b, k, plan.causalTaps);
    const kc = kRev && plan.reverseTaps > 0
      ? b.concat([padRows(b, causal, plan.n - plan.causalTaps - plan.reverseTaps), timeMajor(b, kRev, plan.reverseTaps, true)], 0)
      : padRows(b, causal, plan.kernelRows * stride - plan.causalTaps);
    const K = b.reshape(forward(b, plan, kc, plan.kernelRows, fwd), [plan.n, 2, 1, C, H]);
    Kr = b.slice(K, [0], [1], [1]);
    KiSigned = b.mul(b.slice(K, [1], [2], [1]), b.f32([-1, 1], [1, 2, 1, 1, 1], 'i_sign'));
  }

  const x = padRows(b, timeMajor(b, u, L), plan.inputRows * stride - L);
  const U = b.reshape(forward(b, plan, x, plan.inputRows, fwd), [plan.n, 2, -1, 1, H]);
  // U·K = (Ur·Kr − Ui·Ki, Ui·Kr + Ur·Ki) = U·Kr + (Ui, Ur)·(−Ki, Ki): four memory passes (the
  // elementwise work costs as much as a MatMul stage here, so the sign lives in the constant).
  const swapped = b.op('Gather', [U, b.i64([1, 0], [2], 'swap')], { axis: 1 });
  const Y = b.add(b.mul(U, Kr), b.mul(swapped, KiSigned)); // [n, 2, B, C, H]

  const rows = plan.outputRows * stride;
  let y = b.reshape(inverse(b, plan, Y, inv), [rows, -1, C, H]);
  if (rows !== L) y = b.slice(y, [0], [L], [0]);
  return b.transpose(y, [1, 2, 3, 0]);
}

/**
 * The taps' values in float64 when they are a function of constants: stored (an S4 DPLR kernel's
 * two sides are cut, padded and reshaped from its taps), or computed by a graph of constants (a
 * Vandermonde kernel at a fixed length: its lowering shares the exponentials across channels, and
 * the reference interpreter evaluates it here as fold-constants would, within the same limit on a
 * result's size) — null when the length or the parameters are not constants, and the kernel stays
 * in the graph. Either way the spectrum is then a float64 FFT per row pair (fourstep-kernel.ts),
 * where folding the stage MatMuls costs O(n²/n1) per row (gss-code at L = 16384: 25.4 → 11.8 s of
 * compile from this alone).
 */
function storedTaps(b: Builder, k: Value, kRev: Value | null): { k: Float64Array; kRev: Float64Array | null; LkRev: number } | null {
  for (const limits of [{ ops: DATA_MOVEMENT_OPS, maxElements: MAX_STORED_TAPS }, { maxElements: MAX_FOLD_BYTES / 8 }]) {
    const memo = new Map();
    const kd = constantValue(k, b.opset, memo, limits);
    const rd = kd && kRev ? constantValue(kRev, b.opset, memo, limits) : null;
    if (kd && (!kRev || rd)) return { k: kd.data, kRev: rd?.data ?? null, LkRev: rd?.dims[2] ?? 0 };
  }
  return null;
}

/** Taps read as float64 at most (elements): 128 MiB. */
const MAX_STORED_TAPS = 1 << 24;

function once<T>(f: () => T): () => T {
  let value: { v: T } | null = null;
  return () => (value ??= { v: f() }).v;
}

/**
 * Threads speed the four-step MatMuls up by threads^0.65: two run about 1.55× faster than one
 * (notes: 9.5 → 6.2 ms at 1K, 281 → 180 ms at 16K). One thread sustains about the MatMul
 * throughput in the units of planWork (the plan's MatMul work and memory passes, ×8·n flops per
 * row): measured with H = 256, 9.4 / 43 / 222 ms at L = 1K / 4K / 16K against 10.6 / 45 / 236 estimated.
 */
const FOURSTEP_THREAD_EXPONENT = 0.65;

function whyNot(f: ConvFacts): string | null {
  if (!f.hasTaps) return 'its dense kernel comes without taps; only the chunked form computes it';
  if (f.L === null || f.Lk === null) return NEEDS_FIXED_LENGTH;
  return fourstepLengthsUnsupported(f.L, f.Lk, f.bidirectional);
}

function estimate(f: ConvFacts, t: RuntimeTarget, threads: number): LoweringEstimate {
  const plan = fourstepPlan(f.L!, f.Lk!, f.bidirectional);
  const w = planWork(plan);
  const flops = 8 * plan.n * f.H * (w.forward + f.C * w.inverse);
  const par = Math.max(1, Math.min(threads, t.maxThreads));
  return { ms: flops / (t.matmulGflops * par ** FOURSTEP_THREAD_EXPONENT * 1e6), note: `FFT ${plan.n} = ${plan.factors.join('·')} as MatMuls` };
}

export const fourstepLowering: ConvLowering = {
  name: 'fourstep',
  description: 'four-step FFT as batched MatMuls (fixed length), spectrum product, inverse, first L rows',
  reads: 'taps',
  needs: ['MatMul'],
  whyNot,
  estimate,
  lower: fourstepConv(),
};
