import { dft, fftPow2 } from '../../ir/interp/fft.js';
import { gemm } from '../../ir/linalg.js';
import type { DplrSystem } from './s4-dplr.js';

/**
 * The S4 DPLR kernel's taps at a fixed length, in float64 — what the graph form of dplrKernel
 * computes (and fold-constants would fold), written for speed: the Cauchy sums at the roots of
 * unity of L_int, the Woodbury correction (rank 1 or 2), the bilinear factor 2/(1+ω) and the
 * inverse real FFT, for the first L ≤ L_int taps.
 *
 * Per feature, with I = 1 + r rows [B; P] and J = C + r rows [C~; P̄] (v = B̂_i Ĉ_j Δ):
 *   S_ij(z_k) = Σ_n v_ij,n / (z_k − Δa_n) + conj(v_ij,n) / (z_k − conj(Δa_n))
 * for the F = ⌊L_int/2⌋ + 1 frequencies is one real matrix product [2IJ × 4N'] · [4N' × F],
 * O(F·N'·I·J); the inverse FFTs are O(L_int log L_int) per two channels (two real series share a
 * complex transform). Memory O(F·N' + C·H·L).
 *
 * `ctilde` is C~ for L_int (complex [C,H,N']); returns float32 [C,H,L].
 */
export function dplrTaps(sys: DplrSystem, ctilde: Float64Array, Lint: number, L: number): Float32Array {
  const { H, N, C, rank } = sys;
  if (rank > 2) throw new Error(`internal: the DPLR kernel supports rank 1 and 2, got ${rank}`);
  const I = 1 + rank, J = C + rank, IJ = I * J, F = Math.floor(Lint / 2) + 1;
  const nyquist = Lint % 2 === 0 ? F - 1 : -1;
  // Frequencies: z_k = 2(1 − ω)/(1 + ω) = 2i·tan(πk/L_int), and the factor 2/(1 + ω), ω = e^{−2πik/L_int}.
  const zIm = new Float64Array(F), facRe = new Float64Array(F), facIm = new Float64Array(F);
  for (let k = 0; k < F; k++) {
    if (k === nyquist) continue;
    const th = (2 * Math.PI * k) / Lint, wr = 1 + Math.cos(th), wi = -Math.sin(th), den = wr * wr + wi * wi;
    zIm[k] = 2 * Math.tan(th / 2);
    facRe[k] = (2 * wr) / den;
    facIm[k] = (-2 * wi) / den;
  }
  const S2 = 2 * N, K4 = 4 * N;
  const V = new Float64Array(2 * IJ * K4), R = new Float64Array(K4 * F), S = new Float64Array(2 * IJ * F);
  const spectra = new Float64Array(2 * C * H * F); // [C,H,F] complex, before the inverse FFT
  for (let h = 0; h < H; h++) {
    const dt = sys.dt[h]!;
    const Bhat = (i: number, n: number): [number, number] => {
      const src = i === 0 ? sys.B : sys.P, off = i === 0 ? h * N + n : (i - 1) * H * N + h * N + n;
      return [src[2 * off]!, src[2 * off + 1]!];
    };
    const Chat = (j: number, n: number): [number, number] => {
      if (j < C) return [ctilde[2 * ((j * H + h) * N + n)]!, ctilde[2 * ((j * H + h) * N + n) + 1]!];
      const off = (j - C) * H * N + h * N + n;
      return [sys.P[2 * off]!, -sys.P[2 * off + 1]!];
    };
    // V, real form: row q = (Re v | −Im v) over the 2N' poles, row IJ + q = (Im v | Re v).
    for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) {
      const q = i * J + j;
      for (let n = 0; n < N; n++) {
        const [br, bi] = Bhat(i, n), [cr, ci] = Chat(j, n);
        const vr = (br * cr - bi * ci) * dt, vi = (br * ci + bi * cr) * dt;
        // pole n carries v, its conjugate pole conj(v)
        V[q * K4 + n] = vr;
        V[q * K4 + N + n] = vr;
        V[q * K4 + S2 + n] = -vi;
        V[q * K4 + S2 + N + n] = vi;
        V[(IJ + q) * K4 + n] = vi;
        V[(IJ + q) * K4 + N + n] = -vi;
        V[(IJ + q) * K4 + S2 + n] = vr;
        V[(IJ + q) * K4 + S2 + N + n] = vr;
      }
    }
    // R = 1/(z_k − p): rows (Re) then (Im), poles Δa_n then their conjugates.
    for (let n = 0; n < N; n++) {
      const pr = sys.a[2 * (h * N + n)]! * dt, pi = sys.a[2 * (h * N + n) + 1]! * dt;
      for (let k = 0; k < F; k++) {
        if (k === nyquist) {
          R[n * F + k] = R[(N + n) * F + k] = R[(S2 + n) * F + k] = R[(S2 + N + n) * F + k] = 0;
          continue;
        }
        // 1/(−pr + i(y − pi)) and 1/(−pr + i(y + pi))
        const y1 = zIm[k]! - pi, d1 = pr * pr + y1 * y1, y2 = zIm[k]! + pi, d2 = pr * pr + y2 * y2;
        R[n * F + k] = -pr / d1;
        R[(S2 + n) * F + k] = -y1 / d1;
        R[(N + n) * F + k] = -pr / d2;
        R[(S2 + N + n) * F + k] = -y2 / d2;
      }
    }
    gemm(2 * IJ, K4, F, V, 0, R, 0, S, 0);
    const at = (q: number, k: number): [number, number] => [S[q * F + k]!, S[(IJ + q) * F + k]!];
    for (let c = 0; c < C; c++) {
      const out = 2 * (c * H + h) * F;
      for (let k = 0; k < F; k++) {
        if (k === nyquist) {
          // ω = −1: z is infinite; the exact limit is Re Σ_n v[B, C~_c].
          let s = 0;
          for (let n = 0; n < N; n++) s += V[c * K4 + n]!;
          spectra[out + 2 * k] = s;
          spectra[out + 2 * k + 1] = 0;
          continue;
        }
        let [kr, ki] = at(c, k);
        if (rank === 1) {
          const [ar, ai] = at(C, k), [br, bi] = at(J + c, k), [dr, di] = at(J + C, k);
          const [nr, ni] = cmul(ar, ai, br, bi);
          const [qr, qi] = cdiv(nr, ni, 1 + dr, di);
          kr -= qr;
          ki -= qi;
        } else {
          const m00 = add1(at(J + C, k)), m01 = at(J + C + 1, k), m10 = at(2 * J + C, k), m11 = add1(at(2 * J + C + 1, k));
          const det = csub(cmul2(m00, m11), cmul2(m01, m10));
          const inv = [[m11, neg(m01)], [neg(m10), m00]] as const;
          const r01 = [at(C, k), at(C + 1, k)] as const, r10 = [at(J + c, k), at(2 * J + c, k)] as const;
          let corr: [number, number] = [0, 0];
          for (let p = 0; p < 2; p++) for (let q = 0; q < 2; q++) {
            const t = cmul2(cmul2(r01[p]!, inv[p]![q]!), r10[q]!);
            corr = [corr[0] + t[0], corr[1] + t[1]];
          }
          const [qr, qi] = cdiv(corr[0], corr[1], det[0], det[1]);
          kr -= qr;
          ki -= qi;
        }
        spectra[out + 2 * k] = kr * facRe[k]! - ki * facIm[k]!;
        spectra[out + 2 * k + 1] = kr * facIm[k]! + ki * facRe[k]!;
      }
    }
  }
  return inverseRealTransforms(spectra, C * H, F, Lint, L);
}

/**
 * Inverse real FFTs of `series` one-sided spectra [series, F] (complex) of length L_int, the
 * first L values of each: two series per complex transform (x = y₁ + i·y₂ of the Hermitian
 * extensions; both are real).
 */
function inverseRealTransforms(spectra: Float64Array, series: number, F: number, Lint: number, L: number): Float32Array {
  const out = new Float32Array(series * L);
  const pow2 = (Lint & (Lint - 1)) === 0;
  const re = new Float64Array(Lint), im = new Float64Array(Lint);
  for (let s = 0; s < series; s += 2) {
    re.fill(0);
    im.fill(0);
    // x = Y1 + i·Y2 with Y the Hermitian extension: Y[k] = K̂_k (k < F), Y[L−k] = conj(K̂_k); DC (and Nyquist) real.
    for (let t = 0; t < 2 && s + t < series; t++) {
      const base = 2 * (s + t) * F;
      for (let k = 0; k < F; k++) {
        let yr = spectra[base + 2 * k]!, yi = spectra[base + 2 * k + 1]!;
        if (k === 0 || 2 * k === Lint) yi = 0;
        // t = 0 adds Y, t = 1 adds i·Y.
        const add = (idx: number, ar: number, ai: number) => {
          if (t === 0) {
            re[idx] += ar;
            im[idx] += ai;
          } else {
            re[idx] -= ai;
            im[idx] += ar;
          }
        };
        add(k, yr, yi);
        if (k > 0 && 2 * k !== Lint) add(Lint - k, yr, -yi);
      }
    }
    let xr: Float64Array, xi: Float64Array;
    if (pow2) {
      fftPow2(re, im, 1);
      [xr, xi] = [re, im];
    } else [xr, xi] = dft(re, im, 1);
    for (let l = 0; l < L; l++) {
      out[s * L + l] = xr[l]! / Lint;
      if (s + 1 < series) out[(s + 1) * L + l] = xi[l]! / Lint;
    }
  }
  return out;
}

function cmul(ar: number, ai: number, br: number, bi: number): [number, number] {
  return [ar * br - ai * bi, ar * bi + ai * br];
}
function cmul2(a: readonly [number, number], b: readonly [number, number]): [number, number] {
  return cmul(a[0], a[1], b[0], b[1]);
}
function cdiv(ar: number, ai: number, br: number, bi: number): [number, number] {
  const d = br * br + bi * bi;
  return [(ar * br + ai * bi) / d, (ai * br - ar * bi) / d];
}
function csub(a: [number, number], b: [number, number]): [number, number] {
  return [a[0] - b[0], a[1] - b[1]];
}
function add1(a: [number, number]): [number, number] {
  return [1 + a[0], a[1]];
}
function neg(a: [number, number]): [number, number] {
  return [-a[0], -a[1]];
}
