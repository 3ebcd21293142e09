/**
 * Eigendecomposition of a general (non-Hermitian) complex matrix in float64, for compile-time
 * work on one SSM copy's state matrix (n = d_state, up to a few hundred):
 *   1. Householder reduction to upper Hessenberg form, A = Q H Qᴴ;
 *   2. shifted complex QR iterations (Wilkinson shifts, Givens rotations) with deflation, to the
 *      Schur form A = Z T Zᴴ, T upper triangular (its diagonal: the eigenvalues);
 *   3. eigenvectors of T by back-substitution, V = Z Y with unit columns.
 * Matrices are interleaved (re, im), row-major n×n, as in cmatrix.ts.
 */
import type { CMat } from './cmatrix.js';

const EPS = 2.220446049250313e-16;
/** Tiny against any entry we meet, large against underflow: the floor of a perturbed pivot. */
const SAFE_MIN = 1e-290;
/** QR sweeps allowed per eigenvalue before giving up (LAPACK allows 30). */
const MAX_SWEEPS_PER_EIGENVALUE = 30;

export interface ComplexEigen {
  n: number;
  /** Eigenvalues, complex [n]. */
  values: Float64Array;
  /** Eigenvectors as unit-norm columns, complex n×n (A V = V diag(values)). */
  vectors: CMat;
  /** V⁻¹ b for a complex vector b (length n), by the Schur basis and a triangular solve. */
  solve(b: Float64Array): Float64Array;
}

const abs2 = (m: Float64Array, k: number) => Math.hypot(m[2 * k]!, m[2 * k + 1]!);

/** Reduce A to Hessenberg form in place; returns the unitary Q (A_in = Q H Qᴴ). */
function hessenberg(H: Float64Array, n: number): CMat {
  const Q = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) Q[2 * (i * n + i)] = 1;
  const v = new Float64Array(2 * n);
  for (let k = 0; k < n - 2; k++) {
    // Householder vector v for column k below the subdiagonal: (I − 2vvᴴ) x = α e₁.
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += H[2 * (i * n + k)]! ** 2 + H[2 * (i * n + k) + 1]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const x0r = H[2 * ((k + 1) * n + k)]!, x0i = H[2 * ((k + 1) * n + k) + 1]!, x0 = Math.hypot(x0r, x0i);
    // α = −e^{i·arg x₀}‖x‖ avoids cancellation in v₀ = x₀ − α.
    const pr = x0 === 0 ? 1 : x0r / x0, pi = x0 === 0 ? 0 : x0i / x0;
    v.fill(0);
    for (let i = k + 1; i < n; i++) {
      v[2 * i] = H[2 * (i * n + k)]!;
      v[2 * i + 1] = H[2 * (i * n + k) + 1]!;
    }
    v[2 * (k + 1)] += pr * norm;
    v[2 * (k + 1) + 1] += pi * norm;
    let vn = 0;
    for (let i = k + 1; i < n; i++) vn += v[2 * i]! ** 2 + v[2 * i + 1]! ** 2;
    vn = Math.sqrt(vn);
    for (let i = k + 1; i < n; i++) {
      v[2 * i] /= vn;
      v[2 * i + 1] /= vn;
    }
    // H ← (I − 2vvᴴ) H: for each column j, H[:,j] −= 2 v (vᴴ H[:,j]).
    for (let j = k; j < n; j++) {
      let sr = 0, si = 0;
      for (let i = k + 1; i < n; i++) {
        const vr = v[2 * i]!, vi = -v[2 * i + 1]!, hr = H[2 * (i * n + j)]!, hi = H[2 * (i * n + j) + 1]!;
        sr += vr * hr - vi * hi;
        si += vr * hi + vi * hr;
      }
      for (let i = k + 1; i < n; i++) {
        const vr = v[2 * i]!, vi = v[2 * i + 1]!;
        H[2 * (i * n + j)] -= 2 * (vr * sr - vi * si);
        H[2 * (i * n + j) + 1] -= 2 * (vr * si + vi * sr);
      }
    }
    // H ← H (I − 2vvᴴ) and Q ← Q (I − 2vvᴴ): each row r, M[r,:] −= 2 (M[r,:] v) vᴴ.
    for (const M of [H, Q]) {
      for (let r = 0; r < n; r++) {
        let sr = 0, si = 0;
        for (let i = k + 1; i < n; i++) {
          const mr = M[2 * (r * n + i)]!, mi = M[2 * (r * n + i) + 1]!, vr = v[2 * i]!, vi = v[2 * i + 1]!;
          sr += mr * vr - mi * vi;
          si += mr * vi + mi * vr;
        }
        for (let i = k + 1; i < n; i++) {
          const vr = v[2 * i]!, vi = -v[2 * i + 1]!;
          M[2 * (r * n + i)] -= 2 * (sr * vr - si * vi);
          M[2 * (r * n + i) + 1] -= 2 * (sr * vi + si * vr);
        }
      }
    }
    for (let i = k + 2; i < n; i++) H[2 * (i * n + k)] = H[2 * (i * n + k) + 1] = 0;
  }
  return Q;
}

/** The eigenvalue of the trailing 2×2 block [[a,b],[c,d]] closer to d (Wilkinson shift). */
function wilkinsonShift(H: Float64Array, n: number, hi: number): [number, number] {
  const at = (i: number, j: number): [number, number] => [H[2 * (i * n + j)]!, H[2 * (i * n + j) + 1]!];
  const [ar, ai] = at(hi - 1, hi - 1), [br, bi] = at(hi - 1, hi), [cr, ci] = at(hi, hi - 1), [dr, di] = at(hi, hi);
  // μ = d + δ − sqrt(δ² + bc)·sign, with δ = (a − d)/2, choosing the root nearer d.
  const er = (ar - dr) / 2, ei = (ai - di) / 2;
  const qr = er * er - ei * ei + (br * cr - bi * ci), qi = 2 * er * ei + (br * ci + bi * cr);
  const m = Math.hypot(qr, qi);
  let sr = Math.sqrt((m + qr) / 2), si = Math.sqrt(Math.max(0, (m - qr) / 2)) * (qi < 0 ? -1 : 1);
  if (er * sr + ei * si < 0) [sr, si] = [-sr, -si];
  // d + δ − s: δ − s has the smaller magnitude of δ ± s.
  return [dr + er - sr, di + ei - si];
}

/** Shifted QR iterations on Hessenberg H (in place) to upper triangular T; Z accumulates (A = Z T Zᴴ). */
function schur(H: Float64Array, Z: Float64Array, n: number): void {
  const rot = new Float64Array(3 * n); // c, s re, s im per rotation
  let norm = 0;
  for (let k = 0; k < n * n; k++) norm = Math.max(norm, abs2(H, k));
  let hi = n - 1, sweeps = 0, sinceDeflation = 0;
  while (hi > 0) {
    // Find the active block [lo, hi]: the last negligible subdiagonal entry splits it.
    let lo = hi;
    while (lo > 0) {
      const sub = abs2(H, lo * n + lo - 1);
      const diag = abs2(H, (lo - 1) * n + lo - 1) + abs2(H, lo * n + lo);
      if (sub <= EPS * (diag > 0 ? diag : norm) || sub < SAFE_MIN) {
        H[2 * (lo * n + lo - 1)] = H[2 * (lo * n + lo - 1) + 1] = 0;
        break;
      }
      lo--;
    }
    if (lo === hi) {
      hi--;
      sinceDeflation = 0;
      continue;
    }
    if (++sweeps > MAX_SWEEPS_PER_EIGENVALUE * n) throw new Error(`complex QR iteration did not converge in ${sweeps - 1} sweeps (n = ${n})`);
    sinceDeflation++;
    let [sigR, sigI] = wilkinsonShift(H, n, hi);
    if (sinceDeflation % 10 === 0) {
      // Exceptional shift: breaks the rare cycles of the Wilkinson shift.
      const s = abs2(H, hi * n + hi - 1) + (hi > 1 ? abs2(H, (hi - 1) * n + hi - 2) : 0);
      sigR = H[2 * (hi * n + hi)]! + 0.75 * s;
      sigI = H[2 * (hi * n + hi) + 1]!;
    }
    for (let k = lo; k <= hi; k++) {
      H[2 * (k * n + k)] -= sigR;
      H[2 * (k * n + k) + 1] -= sigI;
    }
    // H − σI = QR by Givens rotations from the left…
    for (let k = lo; k < hi; k++) {
      const ar = H[2 * (k * n + k)]!, ai = H[2 * (k * n + k) + 1]!, br = H[2 * ((k + 1) * n + k)]!, bi = H[2 * ((k + 1) * n + k) + 1]!;
      const aa = Math.hypot(ar, ai), nu = Math.hypot(aa, Math.hypot(br, bi));
      let c: number, sr: number, si: number;
      if (nu === 0) [c, sr, si] = [1, 0, 0];
      else if (aa === 0) [c, sr, si] = [0, 1, 0];
      else {
        c = aa / nu;
        // s = (a/|a|)·conj(b)/ν
        const ur = ar / aa, ui = ai / aa;
        sr = (ur * br + ui * bi) / nu;
        si = (ui * br - ur * bi) / nu;
      }
      rot[3 * k] = c;
      rot[3 * k + 1] = sr;
      rot[3 * k + 2] = si;
      // rows k, k+1: r_k' = c r_k + s r_{k+1}; r_{k+1}' = −s̄ r_k + c r_{k+1}.
      for (let j = k; j < n; j++) {
        const xr = H[2 * (k * n + j)]!, xi = H[2 * (k * n + j) + 1]!, yr = H[2 * ((k + 1) * n + j)]!, yi = H[2 * ((k + 1) * n + j) + 1]!;
        H[2 * (k * n + j)] = c * xr + sr * yr - si * yi;
        H[2 * (k * n + j) + 1] = c * xi + sr * yi + si * yr;
        H[2 * ((k + 1) * n + j)] = -(sr * xr + si * xi) + c * yr;
        H[2 * ((k + 1) * n + j) + 1] = -(sr * xi - si * xr) + c * yi;
      }
    }
    // …then RQ from the right (columns k, k+1: c_k' = c c_k + s̄ c_{k+1}; c_{k+1}' = −s c_k + c c_{k+1}).
    const applyRight = (M: Float64Array, k: number, rows: number) => {
      const c = rot[3 * k]!, sr = rot[3 * k + 1]!, si = rot[3 * k + 2]!;
      for (let r = 0; r < rows; r++) {
        const xr = M[2 * (r * n + k)]!, xi = M[2 * (r * n + k) + 1]!, yr = M[2 * (r * n + k + 1)]!, yi = M[2 * (r * n + k + 1) + 1]!;
        M[2 * (r * n + k)] = c * xr + sr * yr + si * yi;
        M[2 * (r * n + k) + 1] = c * xi + sr * yi - si * yr;
        M[2 * (r * n + k + 1)] = -(sr * xr - si * xi) + c * yr;
        M[2 * (r * n + k + 1) + 1] = -(sr * xi + si * xr) + c * yi;
      }
    };
    for (let k = lo; k < hi; k++) {
      applyRight(H, k, Math.min(k + 2, hi + 1));
      applyRight(Z, k, n);
    }
    for (let k = lo; k <= hi; k++) {
      H[2 * (k * n + k)] += sigR;
      H[2 * (k * n + k) + 1] += sigI;
    }
  }
}

/**
 * Eigenvectors of upper triangular T (columns of Y, Y[k][k] = 1): (T − t_kk I) y = 0 solved
 * upwards. A pivot t_jj − t_kk that vanishes (a repeated eigenvalue) is replaced by a tiny
 * number, as LAPACK's ztrevc does; the vector is then nearly parallel to its twin, and the
 * caller's conditioning check sees it.
 */
function triangularEigenvectors(T: Float64Array, n: number, tnorm: number): CMat {
  const Y = new Float64Array(2 * n * n);
  const smin = Math.max(EPS * tnorm, SAFE_MIN);
  for (let k = 0; k < n; k++) {
    const tkr = T[2 * (k * n + k)]!, tki = T[2 * (k * n + k) + 1]!;
    Y[2 * (k * n + k)] = 1;
    for (let j = k - 1; j >= 0; j--) {
      let sr = 0, si = 0;
      for (let m = j + 1; m <= k; m++) {
        const tr = T[2 * (j * n + m)]!, ti = T[2 * (j * n + m) + 1]!, yr = Y[2 * (m * n + k)]!, yi = Y[2 * (m * n + k) + 1]!;
        sr += tr * yr - ti * yi;
        si += tr * yi + ti * yr;
      }
      let dr = T[2 * (j * n + j)]! - tkr, di = T[2 * (j * n + j) + 1]! - tki;
      if (Math.hypot(dr, di) < smin) [dr, di] = [smin, 0];
      const den = dr * dr + di * di;
      Y[2 * (j * n + k)] = -(sr * dr + si * di) / den;
      Y[2 * (j * n + k) + 1] = -(si * dr - sr * di) / den;
    }
  }
  return Y;
}

/** Full eigendecomposition of a complex n×n matrix (see the file comment). */
export function complexEigen(a: CMat, n: number): ComplexEigen {
  const T = Float64Array.from(a);
  const Z = hessenberg(T, n);
  schur(T, Z, n);
  let tnorm = 0;
  for (let k = 0; k < n * n; k++) tnorm = Math.max(tnorm, abs2(T, k));
  const Y = triangularEigenvectors(T, n, tnorm);
  // V = Z Y, then unit columns: V = Z Y D with D = diag(1/‖(ZY)_k‖).
  const V = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) for (let m = 0; m < n; m++) {
    const zr = Z[2 * (i * n + m)]!, zi = Z[2 * (i * n + m) + 1]!;
    if (zr === 0 && zi === 0) continue;
    for (let k = m; k < n; k++) {
      const yr = Y[2 * (m * n + k)]!, yi = Y[2 * (m * n + k) + 1]!;
      V[2 * (i * n + k)] += zr * yr - zi * yi;
      V[2 * (i * n + k) + 1] += zr * yi + zi * yr;
    }
  }
  const scale = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += V[2 * (i * n + k)]! ** 2 + V[2 * (i * n + k) + 1]! ** 2;
    scale[k] = Math.sqrt(s);
    for (let i = 0; i < n; i++) {
      V[2 * (i * n + k)] /= scale[k]!;
      V[2 * (i * n + k) + 1] /= scale[k]!;
    }
  }
  const values = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    values[2 * k] = T[2 * (k * n + k)]!;
    values[2 * k + 1] = T[2 * (k * n + k) + 1]!;
  }
  // V⁻¹ b = D⁻¹ Y⁻¹ Zᴴ b: Y is unit upper triangular, so Y⁻¹ is a back-substitution.
  const solve = (b: Float64Array): Float64Array => {
    const w = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      let sr = 0, si = 0;
      for (let m = 0; m < n; m++) {
        const zr = Z[2 * (m * n + i)]!, zi = -Z[2 * (m * n + i) + 1]!, br = b[2 * m]!, bi = b[2 * m + 1]!;
        sr += zr * br - zi * bi;
        si += zr * bi + zi * br;
      }
      w[2 * i] = sr;
      w[2 * i + 1] = si;
    }
    for (let i = n - 1; i >= 0; i--) {
      let sr = w[2 * i]!, si = w[2 * i + 1]!;
      for (let m = i + 1; m < n; m++) {
        const yr = Y[2 * (i * n + m)]!, yi = Y[2 * (i * n + m) + 1]!, xr = w[2 * m]!, xi = w[2 * m + 1]!;
        sr -= yr * xr - yi * xi;
        si -= yr * xi + yi * xr;
      }
      w[2 * i] = sr;
      w[2 * i + 1] = si;
    }
    for (let k = 0; k < n; k++) {
      w[2 * k] *= scale[k]!;
      w[2 * k + 1] *= scale[k]!;
    }
    return w;
  };
  return { n, values, vectors: V, solve };
}
