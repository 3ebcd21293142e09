import { dft, fftPow2 } from '../../ir/interp/fft.js';
import type { FourstepPlan } from './fourstep.js';

/**
 * The four-step lowering's kernel spectrum from stored taps (an S4 DPLR kernel's, computed at
 * compile time; `k`, `kRev` [C,H,Lk] as float64 values), computed directly in float64 — the exact DFT of every circular kernel row, in the
 * plan's permuted order — where the graph form multiplies the taps by the float32 stage matrices
 * and the constant folder evaluates those MatMuls in float64: O(n²/n1) per row there, here
 * O(n log n) per two rows (two real rows share one complex transform, radix-2 or Bluestein).
 *
 * Row (c, h) of the circular kernel, length n: the causal taps k[c,h,0..causalTaps) at the head,
 * the anti-causal ones at the tail (position n−1−j holds k_rev[c,h,j], j < reverseTaps), zeros
 * between. Its spectrum X[κ] = Σ_m kc[m]·exp(−2πi·m·κ/n) is stored at position p of the plan's
 * order: p = ((k1·n2 + k2)·n3 + k3)… (k1 slowest) holds κ = k1 + n1·k2 + n1·n2·k3 + … .
 *
 * Returns what the lowering multiplies the input's spectrum by, both float32:
 *   Kr        [n,1,1,C,H]   Re X
 *   KiSigned  [n,2,1,C,H]   (−Im X, Im X)
 */
export function kernelSpectrum(plan: FourstepPlan, k: Float64Array, kRev: Float64Array | null, C: number, H: number, Lk: number, LkRev: number): { Kr: Float32Array; KiSigned: Float32Array } {
  const { n } = plan;
  const rows = C * H;
  const kappa = permutedFrequencies(plan.factors);
  const Kr = new Float32Array(n * rows), KiSigned = new Float32Array(2 * n * rows);
  const re = new Float64Array(n), im = new Float64Array(n);
  const pow2 = (n & (n - 1)) === 0;
  const fill = (out: Float64Array, row: number) => {
    out.fill(0);
    for (let j = 0; j < plan.causalTaps; j++) out[j] = k[row * Lk + j]!;
    if (kRev) for (let j = 0; j < plan.reverseTaps; j++) out[n - 1 - j] = kRev[row * LkRev + j]!;
  };
  for (let row = 0; row < rows; row += 2) {
    // x = a + i·b for rows a, b: A[κ] = (X[κ] + conj X[n−κ]) / 2, B[κ] = (X[κ] − conj X[n−κ]) / 2i.
    fill(re, row);
    if (row + 1 < rows) fill(im, row + 1);
    else im.fill(0);
    let xr: Float64Array = re, xi: Float64Array = im;
    if (pow2) fftPow2(re, im, -1);
    else [xr, xi] = dft(re, im, -1);
    for (let p = 0; p < n; p++) {
      const q = kappa[p]!, r = (n - q) % n;
      const ar = (xr[q]! + xr[r]!) / 2, ai = (xi[q]! - xi[r]!) / 2;
      store(Kr, KiSigned, p, row, rows, ar, ai);
      if (row + 1 < rows) store(Kr, KiSigned, p, row + 1, rows, (xi[q]! + xi[r]!) / 2, (xr[r]! - xr[q]!) / 2);
    }
  }
  return { Kr, KiSigned };
}

function store(Kr: Float32Array, KiSigned: Float32Array, p: number, row: number, rows: number, xr: number, xi: number): void {
  Kr[p * rows + row] = xr;
  KiSigned[2 * p * rows + row] = -xi;
  KiSigned[(2 * p + 1) * rows + row] = xi;
}

/** κ at every position p of the permuted order (above). O(n). */
function permutedFrequencies(factors: readonly number[]): Int32Array {
  const n = factors.reduce((a, f) => a * f, 1);
  const out = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    // Digits of p, least significant (k_S) first.
    let rest = p, kappa = 0;
    const digits: number[] = [];
    for (let s = factors.length - 1; s >= 0; s--) {
      digits[s] = rest % factors[s]!;
      rest = Math.floor(rest / factors[s]!);
    }
    let P = 1;
    for (let s = 0; s < factors.length; s++) {
      kappa += P * digits[s]!;
      P *= factors[s]!;
    }
    out[p] = kappa;
  }
  return out;
}
