/**
 * Dense real float64 linear algebra for compile-time work: the interpreter's MatMul and the
 * models' float64 math (S4 DPLR powers, Cauchy sums). Row-major matrices in Float64Arrays with
 * offsets, so callers slice batches without copying. Every output element is summed over k in
 * order from zero, exactly as the definition reads (results do not depend on the blocking).
 */

/**
 * out[m×n] = a[m×k] · b[k×n] (out is overwritten). O(m·n·k). 4×4 register blocks: each loaded
 * element of a and b serves four products, about 4× the throughput of a plain triple loop in V8.
 */
export function gemm(m: number, k: number, n: number, a: Float64Array, aOff: number, b: Float64Array, bOff: number, out: Float64Array, oOff: number): void {
  const m4 = m - (m % 4), n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, bo = bOff + j; p < k; p++, bo += n) {
        const b0 = b[bo]!, b1 = b[bo + 1]!, b2 = b[bo + 2]!, b3 = b[bo + 3]!;
        const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      let o = oOff + i * n + j;
      out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03; o += n;
      out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13; o += n;
      out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23; o += n;
      out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33;
    }
    for (let r = i; r < i + 4; r++) edgeColumns(r, k, n, n4, a, aOff, b, bOff, out, oOff);
  }
  for (let r = m4; r < m; r++) edgeColumns(r, k, n, 0, a, aOff, b, bOff, out, oOff);
}

/** Row r, columns from j0 on, one dot product each. */
function edgeColumns(r: number, k: number, n: number, j0: number, a: Float64Array, aOff: number, b: Float64Array, bOff: number, out: Float64Array, oOff: number): void {
  const ar = aOff + r * k;
  for (let j = j0; j < n; j++) {
    let s = 0;
    for (let p = 0, bo = bOff + j; p < k; p++, bo += n) s += a[ar + p]! * b[bo]!;
    out[oOff + r * n + j] = s;
  }
}

/**
 * Complex out[m×n] = a[m×k] · b[k×n] on interleaved (re, im) float64 pairs, offsets counted in
 * complex elements (out is overwritten). O(m·n·k). 2×2 register blocks of complex accumulators:
 * each loaded pair serves two products. Every output is summed over k in order as
 * re += ar·br − ai·bi, im += ar·bi + ai·br — the arithmetic of a plain triple loop, bit for bit.
 */
export function cgemm(m: number, k: number, n: number, a: Float64Array, aOff: number, b: Float64Array, bOff: number, out: Float64Array, oOff: number): void {
  const m2 = m - (m % 2), n2 = n - (n % 2);
  for (let i = 0; i < m2; i += 2) {
    const a0 = 2 * (aOff + i * k), a1 = a0 + 2 * k;
    for (let j = 0; j < n2; j += 2) {
      let r00 = 0, i00 = 0, r01 = 0, i01 = 0, r10 = 0, i10 = 0, r11 = 0, i11 = 0;
      for (let p = 0, bo = 2 * (bOff + j); p < k; p++, bo += 2 * n) {
        const br0 = b[bo]!, bi0 = b[bo + 1]!, br1 = b[bo + 2]!, bi1 = b[bo + 3]!;
        const xr0 = a[a0 + 2 * p]!, xi0 = a[a0 + 2 * p + 1]!, xr1 = a[a1 + 2 * p]!, xi1 = a[a1 + 2 * p + 1]!;
        r00 += xr0 * br0 - xi0 * bi0; i00 += xr0 * bi0 + xi0 * br0;
        r01 += xr0 * br1 - xi0 * bi1; i01 += xr0 * bi1 + xi0 * br1;
        r10 += xr1 * br0 - xi1 * bi0; i10 += xr1 * bi0 + xi1 * br0;
        r11 += xr1 * br1 - xi1 * bi1; i11 += xr1 * bi1 + xi1 * br1;
      }
      const o0 = 2 * (oOff + i * n + j), o1 = o0 + 2 * n;
      out[o0] = r00; out[o0 + 1] = i00; out[o0 + 2] = r01; out[o0 + 3] = i01;
      out[o1] = r10; out[o1 + 1] = i10; out[o1 + 2] = r11; out[o1 + 3] = i11;
    }
    for (let r = i; r < i + 2; r++) complexEdgeColumns(r, k, n, n2, a, aOff, b, bOff, out, oOff);
  }
  for (let r = m2; r < m; r++) complexEdgeColumns(r, k, n, 0, a, aOff, b, bOff, out, oOff);
}

/** Complex row r, columns from j0 on, one dot product each (summed in order, as cgemm). */
function complexEdgeColumns(r: number, k: number, n: number, j0: number, a: Float64Array, aOff: number, b: Float64Array, bOff: number, out: Float64Array, oOff: number): void {
  const ar = 2 * (aOff + r * k);
  for (let j = j0; j < n; j++) {
    let sr = 0, si = 0;
    for (let p = 0, bo = 2 * (bOff + j); p < k; p++, bo += 2 * n) {
      const xr = a[ar + 2 * p]!, xi = a[ar + 2 * p + 1]!, br = b[bo]!, bi = b[bo + 1]!;
      sr += xr * br - xi * bi;
      si += xr * bi + xi * br;
    }
    out[2 * (oOff + r * n + j)] = sr;
    out[2 * (oOff + r * n + j) + 1] = si;
  }
}

/** a · b for square n×n matrices, into a new array. O(n³). */
export function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  gemm(n, n, n, a, 0, b, 0, out, 0);
  return out;
}

/** Row vector times matrix: v[n] · m[n×n]. O(n²). */
export function vecmat(v: Float64Array, m: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = v[k]!;
    if (x === 0) continue;
    for (let j = 0, o = k * n; j < n; j++) out[j] += x * m[o + j]!;
  }
  return out;
}

/** Matrix times column vector: m[n×n] · v[n]. O(n²). */
export function matvec(m: Float64Array, v: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0, o = i * n; j < n; j++) s += m[o + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** Frobenius norm. */
export function frobenius(m: Float64Array): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i]! * m[i]!;
  return Math.sqrt(s);
}

/**
 * LU factorization with partial pivoting of an n×n matrix (in a copy), for several solves with
 * one matrix: O(n³/3) once, O(n²) per solve. Throws on an exactly singular matrix.
 */
export class LU {
  private readonly lu: Float64Array;
  private readonly piv: Int32Array;

  constructor(a: Float64Array, private readonly n: number) {
    const lu = Float64Array.from(a), piv = new Int32Array(n);
    for (let c = 0; c < n; c++) {
      let p = c, best = Math.abs(lu[c * n + c]!);
      for (let r = c + 1; r < n; r++) {
        const v = Math.abs(lu[r * n + c]!);
        if (v > best) [best, p] = [v, r];
      }
      if (best === 0) throw new Error('singular matrix');
      piv[c] = p;
      if (p !== c) for (let j = 0; j < n; j++) [lu[c * n + j], lu[p * n + j]] = [lu[p * n + j]!, lu[c * n + j]!];
      const d = lu[c * n + c]!;
      for (let r = c + 1; r < n; r++) {
        const f = (lu[r * n + c]! /= d);
        if (f === 0) continue;
        for (let j = c + 1; j < n; j++) lu[r * n + j] -= f * lu[c * n + j]!;
      }
    }
    this.lu = lu;
    this.piv = piv;
  }

  /** x with A x = b. */
  solve(b: Float64Array): Float64Array {
    const { lu, piv, n } = this;
    const x = Float64Array.from(b);
    for (let c = 0; c < n; c++) {
      const p = piv[c]!;
      if (p !== c) [x[c], x[p]] = [x[p]!, x[c]!];
    }
    for (let r = 0; r < n; r++) {
      let s = x[r]!;
      for (let j = 0; j < r; j++) s -= lu[r * n + j]! * x[j]!;
      x[r] = s;
    }
    for (let r = n - 1; r >= 0; r--) {
      let s = x[r]!;
      for (let j = r + 1; j < n; j++) s -= lu[r * n + j]! * x[j]!;
      x[r] = s / lu[r * n + r]!;
    }
    return x;
  }

  /** x with xᵀ A = bᵀ (a row vector times A⁻¹). */
  solveRow(b: Float64Array): Float64Array {
    const { lu, piv, n } = this;
    // Aᵀ = Uᵀ Lᵀ Pᵀ... with P A = L U: xᵀ = bᵀ A⁻¹ = bᵀ U⁻¹ L⁻¹ P.
    const y = Float64Array.from(b);
    for (let c = 0; c < n; c++) {
      let s = y[c]!;
      for (let r = 0; r < c; r++) s -= y[r]! * lu[r * n + c]!;
      y[c] = s / lu[c * n + c]!;
    }
    for (let c = n - 1; c >= 0; c--) {
      let s = y[c]!;
      for (let r = c + 1; r < n; r++) s -= y[r]! * lu[r * n + c]!;
      y[c] = s;
    }
    for (let c = n - 1; c >= 0; c--) {
      const p = piv[c]!;
      if (p !== c) [y[c], y[p]] = [y[p]!, y[c]!];
    }
    return y;
  }
}

/**
 * Real Schur decomposition A = Q T Qᵀ of an n×n matrix: Q orthogonal, T quasi-upper-triangular
 * (1×1 and 2×2 diagonal blocks; a 2×2 block is left as the iteration leaves it, real eigenvalues
 * or complex). Householder reduction to Hessenberg form, then Francis double-shift QR steps
 * with deflation (Golub & Van Loan §7.5), every transformation applied to the whole of T and
 * accumulated in Q. O(n³) (about 25n³ flops). Throws when the iteration does not converge.
 */
export function realSchur(a: Float64Array, n: number): { Q: Float64Array; T: Float64Array } {
  const T = Float64Array.from(a), Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  hessenbergInPlace(T, Q, n);
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm = Math.max(norm, Math.abs(T[i]!));
  const EPS = 2.220446049250313e-16;
  let hi = n - 1, iterations = 0;
  while (hi >= 0) {
    // The unreduced block [lo..hi]: deflate negligible subdiagonal entries.
    let lo = hi;
    while (lo > 0) {
      const s = Math.abs(T[(lo - 1) * n + lo - 1]!) + Math.abs(T[lo * n + lo]!) || norm;
      if (Math.abs(T[lo * n + lo - 1]!) <= EPS * s) {
        T[lo * n + lo - 1] = 0;
        break;
      }
      lo--;
    }
    if (lo === hi) {
      hi--;
      iterations = 0;
      continue;
    }
    if (lo === hi - 1) {
      hi -= 2;
      iterations = 0;
      continue;
    }
    if (++iterations > 60) throw new Error('the real Schur iteration did not converge');
    francisStep(T, Q, n, lo, hi, iterations % 10 === 0);
  }
  // Below the subdiagonal is zero by construction; clear rounding left there.
  for (let i = 2; i < n; i++) for (let j = 0; j < i - 1; j++) T[i * n + j] = 0;
  return { Q, T };
}

/** Householder reduction to upper Hessenberg form in place, accumulating the reflections into Q (A = Q H Qᵀ). */
function hessenbergInPlace(H: Float64Array, Q: Float64Array, n: number): void {
  const v = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let alpha = 0;
    for (let i = k + 1; i < n; i++) alpha += H[i * n + k]! ** 2;
    alpha = Math.sqrt(alpha);
    if (alpha === 0) continue;
    const x0 = H[(k + 1) * n + k]!;
    if (x0 > 0) alpha = -alpha;
    // v = x − α e₁, normalised; P = I − 2vvᵀ maps x to α e₁.
    v.fill(0);
    for (let i = k + 1; i < n; i++) v[i] = H[i * n + k]!;
    v[k + 1] = x0 - alpha;
    let vn = 0;
    for (let i = k + 1; i < n; i++) vn += v[i]! ** 2;
    vn = Math.sqrt(vn);
    if (vn === 0) continue;
    for (let i = k + 1; i < n; i++) v[i] /= vn;
    reflectRows(H, n, v, k + 1, n - 1, k, n - 1);
    reflectColumns(H, n, v, k + 1, n - 1, 0, n - 1);
    reflectColumns(Q, n, v, k + 1, n - 1, 0, n - 1);
  }
}

/** Rows r0..r1 of M ← (I − 2vvᵀ) M over columns c0..c1 (v lives on r0..r1). */
function reflectRows(M: Float64Array, n: number, v: Float64Array, r0: number, r1: number, c0: number, c1: number): void {
  for (let j = c0; j <= c1; j++) {
    let s = 0;
    for (let i = r0; i <= r1; i++) s += v[i]! * M[i * n + j]!;
    if (s === 0) continue;
    s *= 2;
    for (let i = r0; i <= r1; i++) M[i * n + j] -= s * v[i]!;
  }
}

/** Columns c0..c1 of M ← M (I − 2vvᵀ) over rows r0..r1 (v lives on c0..c1). */
function reflectColumns(M: Float64Array, n: number, v: Float64Array, c0: number, c1: number, r0: number, r1: number): void {
  for (let i = r0; i <= r1; i++) {
    let s = 0;
    for (let j = c0; j <= c1; j++) s += M[i * n + j]! * v[j]!;
    if (s === 0) continue;
    s *= 2;
    for (let j = c0; j <= c1; j++) M[i * n + j] -= s * v[j]!;
  }
}

/**
 * One Francis double-shift step on the unreduced Hessenberg block [lo..hi] of T (the shifts are
 * the eigenvalues of its trailing 2×2 block, or ad hoc ones after many steps without deflation),
 * chasing the bulge with 3-element reflectors; applied to all of T's rows and columns and to Q.
 */
function francisStep(T: Float64Array, Q: Float64Array, n: number, lo: number, hi: number, exceptional: boolean): void {
  const t = (i: number, j: number) => T[i * n + j]!;
  let s: number, p: number;
  if (exceptional) {
    const e = Math.abs(t(hi, hi - 1)) + Math.abs(t(hi - 1, hi - 2));
    s = 1.5 * e;
    p = e * e;
  } else {
    s = t(hi - 1, hi - 1) + t(hi, hi);
    p = t(hi - 1, hi - 1) * t(hi, hi) - t(hi - 1, hi) * t(hi, hi - 1);
  }
  let x = t(lo, lo) * t(lo, lo) + t(lo, lo + 1) * t(lo + 1, lo) - s * t(lo, lo) + p;
  let y = t(lo + 1, lo) * (t(lo, lo) + t(lo + 1, lo + 1) - s);
  let z = t(lo + 1, lo) * t(lo + 2, lo + 1);
  const v = new Float64Array(n);
  for (let k = lo - 1; k <= hi - 3; k++) {
    if (householder3(v, k + 1, x, y, z)) {
      reflectRows(T, n, v, k + 1, k + 3, Math.max(lo, k), n - 1);
      reflectColumns(T, n, v, k + 1, k + 3, 0, Math.min(k + 4, hi));
      reflectColumns(Q, n, v, k + 1, k + 3, 0, n - 1);
    }
    x = t(k + 2, k + 1);
    y = t(k + 3, k + 1);
    if (k < hi - 3) z = t(k + 4, k + 1);
  }
  // The last 2-element reflector on rows/columns hi−1, hi.
  const norm = Math.hypot(x, y);
  if (norm !== 0) {
    const alpha = x > 0 ? -norm : norm;
    v.fill(0);
    v[hi - 1] = x - alpha;
    v[hi] = y;
    const vn = Math.hypot(v[hi - 1]!, v[hi]!);
    if (vn !== 0) {
      v[hi - 1] /= vn;
      v[hi] /= vn;
      reflectRows(T, n, v, hi - 1, hi, hi - 2, n - 1);
      reflectColumns(T, n, v, hi - 1, hi, 0, hi);
      reflectColumns(Q, n, v, hi - 1, hi, 0, n - 1);
    }
  }
}

/** A unit v on [at..at+2] with (I − 2vvᵀ)(x, y, z) = (α, 0, 0); false when (x, y, z) is zero. */
function householder3(v: Float64Array, at: number, x: number, y: number, z: number): boolean {
  const norm = Math.hypot(x, y, z);
  if (norm === 0) return false;
  const alpha = x > 0 ? -norm : norm;
  v.fill(0);
  v[at] = x - alpha;
  v[at + 1] = y;
  v[at + 2] = z;
  const vn = Math.hypot(v[at]!, y, z);
  if (vn === 0) return false;
  v[at] /= vn;
  v[at + 1] /= vn;
  v[at + 2] /= vn;
  return true;
}

/**
 * Where each row of a quasi-upper-triangular n×n matrix starts: i − 1 inside a 2×2 diagonal block
 * (a non-zero subdiagonal entry), else i. Every product and inverse of such matrices keeps the
 * same pattern.
 */
export function blockStarts(T: Float64Array, n: number): Int32Array {
  const start = new Int32Array(n);
  for (let i = 0; i < n; i++) start[i] = i > 0 && T[i * n + i - 1] !== 0 ? i - 1 : i;
  return start;
}

/**
 * a · b for quasi-upper-triangular a, b of the pattern `start`. O(n³/6): 4×4 tiles on or above
 * the diagonal, each summed over the k where both factors can be non-zero (the pattern's zeros
 * inside a tile's range contribute exact zeros).
 */
export function quasiTriangularProduct(a: Float64Array, b: Float64Array, n: number, start: Int32Array): Float64Array {
  const out = new Float64Array(n * n);
  const n4 = n - (n % 4);
  for (let i = 0; i < n4; i += 4) {
    const k0 = start[i]!;
    for (let j = Math.max(0, i - 4); j < n4; j += 4) {
      // a[i..i+3][k] = 0 for k < start(i); b[k][j..j+3] = 0 for k > j + 4.
      const k1 = Math.min(n, j + 5);
      if (k1 <= k0) continue;
      tile4x4(a, b, out, n, i, j, k0, k1);
    }
    for (let r = i; r < i + 4; r++) for (let j = n4; j < n; j++) out[r * n + j] = dot(a, b, n, r, j, start[r]!, n);
  }
  for (let r = n4; r < n; r++) for (let j = Math.max(0, r - 1); j < n; j++) out[r * n + j] = dot(a, b, n, r, j, start[r]!, n);
  return out;
}

function dot(a: Float64Array, b: Float64Array, n: number, r: number, j: number, k0: number, k1: number): number {
  let s = 0;
  for (let k = k0; k < k1; k++) s += a[r * n + k]! * b[k * n + j]!;
  return s;
}

/** out[i..i+3][j..j+3] = Σ_{k0 ≤ k < k1} a[·][k]·b[k][·] for n×n row-major a, b. */
function tile4x4(a: Float64Array, b: Float64Array, out: Float64Array, n: number, i: number, j: number, k0: number, k1: number): void {
  const a0 = i * n, a1 = a0 + n, a2 = a1 + n, a3 = a2 + n;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = k0, bo = k0 * n + j; p < k1; p++, bo += n) {
    const b0 = b[bo]!, b1 = b[bo + 1]!, b2 = b[bo + 2]!, b3 = b[bo + 3]!;
    const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
    c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
    c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
    c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
    c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
  }
  let o = i * n + j;
  out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03; o += n;
  out[o] = c10; out[o + 1] = c11; out[o + 2] = c12; out[o + 3] = c13; o += n;
  out[o] = c20; out[o + 1] = c21; out[o + 2] = c22; out[o + 3] = c23; o += n;
  out[o] = c30; out[o + 1] = c31; out[o + 2] = c32; out[o + 3] = c33;
}

/**
 * W⁻¹ for a quasi-upper-triangular W of the pattern `start`, by block back-substitution over
 * rows (from the last diagonal block up, each row block from the rows below it). O(n³/6).
 */
export function quasiTriangularInverse(W: Float64Array, n: number, start: Int32Array): Float64Array {
  const V = new Float64Array(n * n);
  const r0 = new Float64Array(n), r1 = new Float64Array(n);
  for (let q = n - 1; q >= 0; ) {
    const p = start[q]!;
    // rows p..q of E − W·V over the rows already solved (k > q); V's rows there start at p' ≥ q.
    for (const [i, acc] of p === q ? [[q, r0] as const] : [[p, r0] as const, [q, r1] as const]) {
      acc.fill(0, p);
      acc[i] = 1;
      for (let k = q + 1; k < n; k++) {
        const w = W[i * n + k]!;
        if (w === 0) continue;
        const vRow = k * n;
        for (let j = start[k]!; j < n; j++) acc[j] -= w * V[vRow + j]!;
      }
    }
    if (p === q) {
      const d = W[q * n + q]!;
      for (let j = q; j < n; j++) V[q * n + j] = r0[j]! / d;
    } else {
      const a = W[p * n + p]!, b = W[p * n + q]!, c = W[q * n + p]!, d = W[q * n + q]!, det = a * d - b * c;
      for (let j = p; j < n; j++) {
        V[p * n + j] = (d * r0[j]! - b * r1[j]!) / det;
        V[q * n + j] = (a * r1[j]! - c * r0[j]!) / det;
      }
    }
    q = p - 1;
  }
  return V;
}

/** xᵀ with xᵀ U = bᵀ for a quasi-upper-triangular U of the pattern `start` (a row vector times U⁻¹). O(n²). */
export function quasiTriangularSolveRow(U: Float64Array, b: Float64Array, n: number, start: Int32Array): Float64Array {
  const x = new Float64Array(n);
  for (let p = 0; p < n; ) {
    const q = p + 1 < n && start[p + 1] === p ? p + 1 : p;
    // b_j − Σ_{k<p} x_k U[k][j] for the block's columns j
    const rhs = (j: number) => {
      let s = b[j]!;
      for (let k = 0; k < p; k++) s -= x[k]! * U[k * n + j]!;
      return s;
    };
    if (p === q) {
      x[p] = rhs(p) / U[p * n + p]!;
    } else {
      // [x_p x_q] [[a b] [c d]] = [r0 r1]
      const a = U[p * n + p]!, b2 = U[p * n + q]!, c = U[q * n + p]!, d = U[q * n + q]!, det = a * d - b2 * c;
      const r0 = rhs(p), r1 = rhs(q);
      x[p] = (r0 * d - r1 * c) / det;
      x[q] = (r1 * a - r0 * b2) / det;
    }
    p = q + 1;
  }
  return x;
}
