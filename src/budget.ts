import type { CostPart } from './models/cost.js';
import type { ParamSpec, SsmLayerInfo } from './models/layer.js';
import { UserError } from './errors.js';
import { chunkLength } from '../passes/conv/chunked.js';

/**
 * What a compile will cost, estimated from the arguments before anything is allocated: the
 * parameters and the graph from the arch's parameter list (so every arch gets this for free),
 * arch-specific work the arch declares (S4 DPLR's dense float64 matrices), and, once the
 * high-level graph exists, each long convolution's kernel work at a fixed length. A compile over
 * the budget is refused with the estimate; `--allow-large` (CompileOptions.budget = null) lifts it.
 */

export type { CostPart };

export interface Budget {
  /** Peak memory the compile may be estimated to need. */
  memoryBytes: number;
  /** Time the compile may be estimated to take. */
  seconds: number;
}

const GiB = 2 ** 30;

/** Half the development machine's 24 GiB and five minutes: beyond either, ask first. */
export const DEFAULT_BUDGET: Budget = { memoryBytes: 12 * GiB, seconds: 300 };

/**
 * Rates measured on the development machine (2 cores, Node 20), conservative by about 2×:
 * a parameter is held as float64 while initialised or checked, as float32 in the IR and again in
 * the written file; a parameter tensor brings ~40 IR nodes, each a few KiB and visited by ~15
 * passes and the verifier after each.
 */
const BYTES_PER_PARAMETER = 24;
const SECONDS_PER_PARAMETER = 5e-8;
const NODES_PER_PARAMETER_TENSOR = 40;
const BYTES_PER_NODE = 4096;
const SECONDS_PER_NODE = 4e-4;
/** float64 multiply-adds per second in the interpreter and the compile-time linear algebra. */
export const FLOPS_PER_SECOND = 5e8;

/** Parameters and graph size, from the model's parameter list alone. */
export function estimateFromParams(specs: readonly ParamSpec[]): CostPart[] {
  let params = 0;
  for (const s of specs) params += s.shape.reduce((n, d) => n * d, 1);
  const nodes = NODES_PER_PARAMETER_TENSOR * specs.length;
  return [
    { what: `parameters (${fmtCount(params)} values in ${specs.length} tensors)`, bytes: params * BYTES_PER_PARAMETER, seconds: params * SECONDS_PER_PARAMETER },
    { what: `graph (~${fmtCount(nodes)} nodes)`, bytes: nodes * BYTES_PER_NODE, seconds: nodes * SECONDS_PER_NODE },
  ];
}

/**
 * Each long convolution at a fixed length, by the lowering it will get (`lowering`: what
 * select-lowering will pick; null when unknown, priced as one that reads taps).
 *
 * A lowering that reads taps gets them computed at compile time, then their spectrum (fourstep:
 * a float64 FFT per row, fourstep-kernel.ts; dft: the DFT folded by the reference interpreter):
 * a diagonal kernel's taps directly from power tables (passes/vandermonde-taps.ts): per-channel
 * modes (λ [H,N]) C·H·N·L multiply-adds as running sums (~1·10^-8 s each measured, S4D H=256,
 * N=32, L=16384), modes shared by the channels (λ [N], `sharedModes`) one blocked product
 * (~1.4·10^-9 s); an S4 DPLR kernel's taps are its arch's to price (s4-dplr-cost.ts). The spectrum
 * costs ~2.5·10^-7 s per row and point of the transform (n ≈ 2L, Bluestein's FFT for the four-step
 * lengths: 7.8-8.6 ms a row at n = 32800). Taps beyond what fold-constants folds stay in the graph
 * for onnxruntime (priced 0 here). A lowering that reads the state-space description (chunked,
 * doubling) never forms the kernel: a diagonal kernel's chunk weights are computed directly,
 * C·H·(T+2N)·T values at its chunk length T, and a dense one's are the arch's to price.
 */
export function estimateConvolutions(layers: readonly (SsmLayerInfo & { lowering: { reads: 'taps' | 'state-space' } | null; sharedModes?: boolean })[], seqLen: number | null, foldLimitBytes: number): CostPart[] {
  if (seqLen === null) return [];
  return layers.map((l) => {
    const { H, N } = l, C = l.channels, L = seqLen;
    const sides = l.bidirectional ? 2 : 1;
    const dplr = l.kernel === 'dplr';
    if (l.lowering?.reads === 'state-space') {
      const T = chunkLength(L);
      const values = dplr ? 0 : sides * C * H * (T + 2 * N) * T;
      return { what: `layer ${l.name} chunk weights (C=${C}, H=${H}, N=${N})`, bytes: values * 8, seconds: values * SECONDS_PER_WEIGHT };
    }
    // The largest constant formed: a diagonal kernel's taps per side (lower-vandermonde folds each
    // side that fits the limit), an S4 DPLR kernel's both sides in one tensor.
    const taps = sides * C * H * L;
    if ((dplr ? taps : C * H * L) * 8 > foldLimitBytes) return { what: `layer ${l.name} kernel at L=${L} (C=${C}, H=${H}, N=${N}, left to onnxruntime)`, bytes: 0, seconds: 0 };
    const products = dplr ? 0 : taps * N;
    const points = 2 * L;
    const spectrum = sides * C * H * points;
    const tables = dplr ? 0 : 2 * N * L; // one mode table at a time: [2N, L] float64
    return {
      what: `layer ${l.name} ${dplr ? "kernel taps' spectrum" : 'kernel and its spectrum'} at L=${L} (C=${C}, H=${H}, N=${N}${l.sharedModes ? ', modes shared' : ''})`,
      // float64 taps and their float32 copy, the table, the spectrum's float32 halves (3 values a point) and a row's float64 work
      bytes: 2 * (taps * 12 + tables * 8 + spectrum * 12 + points * 64),
      seconds: 2 * (products * (l.sharedModes ? SECONDS_PER_SHARED_PRODUCT : SECONDS_PER_CHANNEL_PRODUCT) + spectrum * SECONDS_PER_SPECTRUM_POINT),
    };
  });
}

/** Measured rates (2-core development machine, Node 20); the estimate doubles them, as the other rates err about 2× high. */
const SECONDS_PER_CHANNEL_PRODUCT = 1.05e-8;
const SECONDS_PER_SHARED_PRODUCT = 1.4e-9;
const SECONDS_PER_SPECTRUM_POINT = 2.5e-7;
/** A chunk weight computed directly (chunk-weights.ts): ~2·10^-9 s measured, with its share of writing the file. */
const SECONDS_PER_WEIGHT = 5e-9;

/** Refuse a compile whose estimate exceeds the budget, with the estimate and the way to go ahead. */
export function checkBudget(parts: readonly CostPart[], budget: Budget | null, what = 'the compile'): void {
  if (budget === null) return;
  const bytes = parts.reduce((s, p) => s + p.bytes, 0);
  const seconds = parts.reduce((s, p) => s + p.seconds, 0);
  if (bytes <= budget.memoryBytes && seconds <= budget.seconds) return;
  const over = [
    ...(bytes > budget.memoryBytes ? [`${fmtBytes(bytes)} of memory (limit ${fmtBytes(budget.memoryBytes)})`] : []),
    ...(seconds > budget.seconds ? [`${fmtSeconds(seconds)} (limit ${fmtSeconds(budget.seconds)})`] : []),
  ];
  const top = [...parts].sort((a, b) => (bytes > budget.memoryBytes ? b.bytes - a.bytes : b.seconds - a.seconds)).slice(0, 3)
    .map((p) => `${p.what}: ${fmtBytes(p.bytes)}, ${fmtSeconds(p.seconds)}`);
  throw new UserError(`${what} is estimated to need ${over.join(' and ')}; most of it: ${top.join('; ')}; make the model or --seq-len smaller, or pass --allow-large to go ahead`);
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return `${b} bytes`;
  if (b >= 2 ** 40 * 1024) return `${(b / 2 ** 50).toExponential(1)} PiB`;
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0;
  while (b >= 1024 && u < units.length - 1) {
    b /= 1024;
    u++;
  }
  return `${u === 0 ? b : b.toFixed(1)} ${units[u]}`;
}

export function fmtSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min`;
  if (s < 2 * 86400 * 365) return `${(s / 3600).toPrecision(2)} h`;
  return `${(s / 86400 / 365).toExponential(1)} years`;
}

function fmtCount(n: number): string {
  return n < 1e6 ? String(n) : n.toExponential(1);
}
