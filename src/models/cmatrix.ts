/**
 * Small dense complex matrices in float64 (interleaved re, im; row-major n×n), for compile-time
 * work on one feature's DPLR state matrix (n = 2N', a few dozen).
 */
export type CMat = Float64Array;

export function cIdentity(n: number): CMat {
  const m = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) m[2 * (i * n + i)] = 1;
  return m;
}

export function cMatMul(a: CMat, b: CMat, n: number): CMat {
  const out = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const ar = a[2 * (i * n + k)]!, ai = a[2 * (i * n + k) + 1]!;
      if (ar === 0 && ai === 0) continue;
      for (let j = 0; j < n; j++) {
        const br = b[2 * (k * n + j)]!, bi = b[2 * (k * n + j) + 1]!;
        out[2 * (i * n + j)] += ar * br - ai * bi;
        out[2 * (i * n + j) + 1] += ar * bi + ai * br;
      }
    }
  }
  return out;
}

/** Matrix × column vector. */
export function cMatVec(m: CMat, v: Float64Array, n: number): Float64Array {
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    let re = 0, im = 0;
    for (let k = 0; k < n; k++) {
      const mr = m[2 * (i * n + k)]!, mi = m[2 * (i * n + k) + 1]!, vr = v[2 * k]!, vi = v[2 * k + 1]!;
      re += mr * vr - mi * vi;
      im += mr * vi + mi * vr;
    }
    out[2 * i] = re;
    out[2 * i + 1] = im;
  }
  return out;
}

/** Row vector × matrix. */
export function cVecMat(v: Float64Array, m: CMat, n: number): Float64Array {
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    const vr = v[2 * k]!, vi = v[2 * k + 1]!;
    for (let j = 0; j < n; j++) {
      const mr = m[2 * (k * n + j)]!, mi = m[2 * (k * n + j) + 1]!;
      out[2 * j] += vr * mr - vi * mi;
      out[2 * j + 1] += vr * mi + vi * mr;
    }
  }
  return out;
}

/** Solve A X = B (Gauss-Jordan with partial pivoting); B is n×n. */
export function cSolve(a: CMat, b: CMat, n: number): CMat {
  const A = Float64Array.from(a), X = Float64Array.from(b);
  const swapRows = (m: Float64Array, r1: number, r2: number) => {
    for (let j = 0; j < 2 * n; j++) [m[2 * r1 * n + j], m[2 * r2 * n + j]] = [m[2 * r2 * n + j]!, m[2 * r1 * n + j]!];
  };
  for (let col = 0; col < n; col++) {
    let piv = col, best = -1;
    for (let r = col; r < n; r++) {
      const mag = A[2 * (r * n + col)]! ** 2 + A[2 * (r * n + col) + 1]! ** 2;
      if (mag > best) [best, piv] = [mag, r];
    }
    if (best === 0) throw new Error('singular matrix in the DPLR discretisation');
    swapRows(A, col, piv);
    swapRows(X, col, piv);
    const pr = A[2 * (col * n + col)]!, pi = A[2 * (col * n + col) + 1]!, den = pr * pr + pi * pi;
    const ir = pr / den, ii = -pi / den;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const fr0 = A[2 * (r * n + col)]!, fi0 = A[2 * (r * n + col) + 1]!;
      if (fr0 === 0 && fi0 === 0) continue;
      const fr = fr0 * ir - fi0 * ii, fi = fr0 * ii + fi0 * ir;
      for (const M of [A, X]) {
        for (let j = 0; j < n; j++) {
          const sr = M[2 * (col * n + j)]!, si = M[2 * (col * n + j) + 1]!;
          M[2 * (r * n + j)] -= fr * sr - fi * si;
          M[2 * (r * n + j) + 1] -= fr * si + fi * sr;
        }
      }
    }
  }
  for (let r = 0; r < n; r++) {
    const pr = A[2 * (r * n + r)]!, pi = A[2 * (r * n + r) + 1]!, den = pr * pr + pi * pi;
    for (let j = 0; j < n; j++) {
      const xr = X[2 * (r * n + j)]!, xi = X[2 * (r * n + j) + 1]!;
      X[2 * (r * n + j)] = (xr * pr + xi * pi) / den;
      X[2 * (r * n + j) + 1] = (xi * pr - xr * pi) / den;
    }
  }
  return X;
}

/** m^e by repeated squaring. */
export function cPow(m: CMat, e: number, n: number): CMat {
  let result = cIdentity(n), base = m, k = e;
  while (k > 0) {
    if (k & 1) result = cMatMul(result, base, n);
    k = Math.floor(k / 2);
    if (k > 0) base = cMatMul(base, base, n);
  }
  return result;
}
