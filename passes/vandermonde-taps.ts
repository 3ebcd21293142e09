import { gemm } from '../ir/linalg.js';
import type { RTensor } from '../ir/interp/rtensor.js';

/**
 * A Vandermonde kernel's taps at compile time, K[c,h,l] = scale·Re Σ_n coef[c,h,n]·μ[h,n]^l with
 * μ = exp(λ), l < L, in float64 typed arrays — for λ, the coefficients and L constants, where the
 * graph form (lower-vandermonde.ts) would have the constant folder materialise exp(λ·l) for every
 * mode and position ([H,N,L] complex values per-channel: 537 MB for an S4D layer H=256, N=32 at
 * L = 4096, 2 GB of peak memory and 4 s) and multiply it out.
 *
 * Powers: μ^l = μ^(B·j) · μ^i for l = B·j + i, i < B — the first from exp of λ·B·j directly, the
 * second by repeated multiplication (≤ B steps of ~2 ulp each), so every power is within ~1e-14
 * of exp(λ·l) however long L is, at one complex multiply per (mode, position) and one exp per B.
 *
 * Shared modes (λ [N], DSS and GSS): one table of powers [2N, L], then one real product
 * [C·H, 2N]·[2N, L] (ir/linalg.ts gemm): O(N·L + C·H·N·L). Per-channel modes (λ [H,N]): a table
 * per channel, consumed at once: O(C·H·N·L), memory O(N·L) beyond the taps. Each tap is summed over
 * the table's rows in order (Re parts, then Im parts).
 */
const BLOCK = 64;

/** λ (interleaved pairs, [H,N] or [N]), coef (pairs, [C,H,N]) → taps [C,H,L] (float64). */
export function vandermondeTaps(lambda: RTensor, coef: RTensor, scale: number, L: number): Float64Array {
  const [C, H, N] = coef.dims as [number, number, number];
  const shared = lambda.dims.length === 1;
  const out = new Float64Array(C * H * L);
  // table rows: Re μ_n^l for n < N, then −Im μ_n^l: Re(c·μ^l) = Re c·Re μ^l − Im c·Im μ^l.
  const table = new Float64Array(2 * N * L);
  const weights = new Float64Array((shared ? C * H : C) * 2 * N);
  const fillWeights = (h: number | null) => {
    const rows = h === null ? C * H : C;
    for (let r = 0; r < rows; r++) {
      const [c, hh] = h === null ? [Math.floor(r / H), r % H] : [r, h];
      for (let n = 0; n < N; n++) {
        const k = 2 * ((c * H + hh) * N + n);
        weights[r * 2 * N + n] = scale * coef.data[k]!;
        weights[r * 2 * N + N + n] = scale * coef.data[k + 1]!;
      }
    }
  };
  if (shared) {
    powerTable(table, lambda.data, 0, N, L);
    fillWeights(null);
    gemm(C * H, 2 * N, L, weights, 0, table, 0, out, 0);
    return out;
  }
  for (let h = 0; h < H; h++) {
    powerTable(table, lambda.data, h * N, N, L);
    fillWeights(h);
    // A few output rows (C is 1 or 2): row-times-table as running sums over the table's rows,
    // both read in order (gemm's column walk would stride L values per step).
    for (let c = 0; c < C; c++) {
      const o = (c * H + h) * L;
      for (let k = 0; k < 2 * N; k++) {
        const w = weights[c * 2 * N + k]!, t = k * L;
        for (let l = 0; l < L; l++) out[o + l] += w * table[t + l]!;
      }
    }
  }
  return out;
}

/** Rows n (Re μ^l) and N + n (−Im μ^l), l < L, of the modes first..first+N−1 of λ (pairs). O(N·L). */
function powerTable(table: Float64Array, lambda: Float64Array, first: number, N: number, L: number): void {
  const smallRe = new Float64Array(BLOCK), smallIm = new Float64Array(BLOCK);
  for (let n = 0; n < N; n++) {
    const lr = lambda[2 * (first + n)]!, li = lambda[2 * (first + n) + 1]!;
    const ur = Math.exp(lr) * Math.cos(li), ui = Math.exp(lr) * Math.sin(li);
    let pr = 1, pi = 0;
    for (let i = 0; i < BLOCK; i++) {
      smallRe[i] = pr; smallIm[i] = pi;
      const nr = pr * ur - pi * ui;
      pi = pr * ui + pi * ur;
      pr = nr;
    }
    const re = n * L, im = (N + n) * L;
    for (let start = 0; start < L; start += BLOCK) {
      const mag = Math.exp(lr * start), gr = mag * Math.cos(li * start), gi = mag * Math.sin(li * start);
      const end = Math.min(L, start + BLOCK);
      for (let l = start; l < end; l++) {
        const sr = smallRe[l - start]!, si = smallIm[l - start]!;
        table[re + l] = gr * sr - gi * si;
        table[im + l] = -(gr * si + gi * sr);
      }
    }
  }
}
