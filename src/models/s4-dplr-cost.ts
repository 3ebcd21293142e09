import type { CompileCostTarget } from './arch.js';
import type { CostPart } from './cost.js';
import { DPLR_MAX_DYNAMIC_LENGTH } from './s4-dplr.js';

/**
 * The compile-time work of one S4 DPLR layer, from its arguments alone (before anything is
 * allocated), counted the way the code does it (dplr-real.ts, dplr-taps.ts, dplr-chunked.ts,
 * dplr-diagonal.ts) with M = d_state real states per feature (the half state's real basis):
 *
 *   power dA^l_kernel     (log2 l_kernel + 1) products         the untruncated C (and a fresh model's C~, again)
 *   untruncated C         one LU, M³/3 (Schur basis: O(M²))     step, prefill, the dense state space
 *   C~ table              one squaring per doubling             kernels longer than l_kernel (dynamic: up to 2^20)
 *   taps (fixed L)        8·IJ·(M/2)·F MACs + the Cauchy matrix  F = L_int/2 + 1 frequencies, IJ = (1+r)(C+r)
 *                         + the inverse FFTs, C·L_int·log2 L_int
 *   chunk weights         log2 T squarings + (1+C)·T·M² MACs   the chunked lowering's dense form (folded)
 *   stepper check         one complex eigendecomposition per copy + 4096 impulse taps per feature (step, prefill)
 *
 * Each product is M³ multiply-adds on a dense matrix; where features share one continuous A (every
 * fresh model — HiPPO-LegS is the same for every copy — and checkpoints with n_ssm < H) it is
 * quasi-triangular in their shared Schur basis, M³/6 (priced M³/3: see below), after one Schur
 * form per copy. A fixed
 * length reads either the taps or the chunk weights, never both (they are computed lazily, for
 * the lowering chosen): the larger of the two is counted.
 *
 * Memory: the cached powers (three M×M float64 matrices per feature), the C~ table, and the taps'
 * float64 spectra and float32 taps, or the chunk weights' float64 intermediates.
 */

/** float64 multiply-adds per second of the compile-time kernels (JS gemm: ~1.2·10^9 measured), conservative by ~2×. */
export const DPLR_MACS_PER_SECOND = 6e8;
/** A division and the bookkeeping around it in the Cauchy matrix, in multiply-add time. */
const MACS_PER_CAUCHY_ENTRY = 8;
/** One complex eigendecomposition (complex QR iterations) of an M×M matrix, in M³ real multiply-adds. */
const EIGEN_CUBES = 40;
/** A real Schur form of an M×M matrix, in M³ multiply-adds (Hessenberg reduction and Francis steps: ~66 measured at M = 128 and 256). */
const SCHUR_CUBES = 70;
/** The taps' impulse check of the diagonal stepper, per feature (dplr-diagonal.ts IMPULSE_CHECK_LENGTH). */
const IMPULSE_TAPS = 4096;
/** The chunked lowering's chunk length for a dense kernel (chunked.ts chunkLength: 64 up to 4K positions, 128 beyond). */
const chunkOf = (L: number | null) => (L !== null && L > 4096 ? 128 : 64);

export interface DplrCostArgs {
  H: number;
  /** d_state: real states per feature. */
  M: number;
  rank: number;
  /** Kernel channels, both sides of a bidirectional kernel counted. */
  Ck: number;
  /** Independent (A, B, P) copies. */
  nSsm: number;
  bidirectional: boolean;
  /** l_max, or null (the official default, 1024). */
  lMax: number | null;
  /** Whether the parameters are a fresh initialisation (every copy the same HiPPO matrix). */
  fresh: boolean;
}

export function dplrCompileCost(a: DplrCostArgs, target: CompileCostTarget): CostPart[] {
  const { H, M, rank, Ck, nSsm } = a;
  const lKernel = a.lMax ?? 1024;
  // Features with one shared continuous A work in its Schur basis (quasi-triangular products).
  const shared = a.fresh || nSsm < H;
  // A quasi-triangular product is M³/6 multiply-adds, but runs only 3-7× faster than a dense one
  // (3.2× measured at M = 64, 7× at 128): priced at M³/3.
  const product = shared ? M ** 3 / 3 : M ** 3;
  const schurForms = shared ? (a.fresh ? 1 : nSsm) * SCHUR_CUBES * M ** 3 : 0;
  const power = (e: number) => (Math.ceil(Math.log2(Math.max(e, 2))) + 1) * product;
  const lu = shared ? M ** 2 : M ** 3 / 3;
  const matrices = 3 * H * M * M * 8;
  const parts: { what: string; macs: number; bytes: number }[] = [];
  // A fresh model's C~ = C(I − dA^l_kernel) is formed by its initialisation, with a power of its own.
  const base = H * ((a.fresh ? 2 : 1) * power(lKernel) + lu) + schurForms;
  parts.push({ what: `dA^${lKernel} and the untruncated C per feature`, macs: base, bytes: matrices });

  if (target.mode === 'conv') {
    const maxLen = target.seqLen ?? DPLR_MAX_DYNAMIC_LENGTH;
    let doublings = 0;
    while (lKernel * 2 ** doublings < maxLen) doublings++;
    const table = H * doublings * product;
    const tableBytes = (doublings + 1) * Ck * H * (M / 2) * 16;
    if (target.seqLen === null) {
      parts.push({ what: `C~ table for ${doublings + 1} kernel lengths up to ${DPLR_MAX_DYNAMIC_LENGTH}`, macs: table, bytes: tableBytes });
    } else {
      const L = target.seqLen, Lint = lKernel * 2 ** doublings, F = Math.floor(Lint / 2) + 1;
      const IJ = (1 + rank) * (Ck + rank);
      const taps = H * (8 * IJ * (M / 2) * F + 2 * M * F * MACS_PER_CAUCHY_ENTRY) + 2.5 * Ck * H * Lint * Math.log2(Lint);
      const tapsBytes = Ck * H * (16 * F + 4 * L) + 4 * M * F * 8;
      // The dense chunked form: causal kernels only; its intermediates fold in float64.
      const T = chunkOf(L), S = M;
      const chunk = a.bidirectional ? 0 : H * (Math.log2(T) * S ** 3 + (1 + Ck) * T * S * S);
      const chunkBytes = a.bidirectional ? 0 : 3 * H * (1 + Ck) * T * S * 8;
      const [form, macs, bytes] = taps >= chunk ? ['taps', taps, tapsBytes] : ['chunk weights', chunk, chunkBytes];
      parts.push({ what: `C~ at L_int=${Lint} and the ${form} at L=${L}`, macs: table + macs, bytes: tableBytes + bytes });
    }
  } else {
    // The stepper's check (auto / diagonal): decomposed copy by copy, each feature's impulse response compared.
    const copies = a.fresh ? 1 : nSsm;
    const check = copies * EIGEN_CUBES * M ** 3 + H * IMPULSE_TAPS * M * (4 + rank);
    const prefill = target.mode === 'prefill' ? H * (64 * M * M + power(64)) : 0;
    parts.push({ what: `the stepper's parameters and its diagonal check${prefill ? ', the prefill weights' : ''}`, macs: check + prefill, bytes: H * M * M * 16 });
  }
  const macs = parts.reduce((s, p) => s + p.macs, 0);
  const bytes = parts.reduce((s, p) => s + p.bytes, 0);
  const what = parts.map((p) => p.what).join('; ');
  return [{
    what: `S4 DPLR compile-time math (H=${H}, d_state=${M}, ${shared ? 'Schur basis shared by features' : 'dense per feature'}: ${scientific(macs)} multiply-adds — ${what})`,
    bytes,
    seconds: macs / DPLR_MACS_PER_SECOND,
  }];
}

/** 5.4·10^10 */
function scientific(x: number): string {
  const e = Math.floor(Math.log10(Math.max(x, 1)));
  return `${(x / 10 ** e).toFixed(1)}·10^${e}`;
}
