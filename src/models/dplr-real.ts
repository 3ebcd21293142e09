import { blockStarts, frobenius, gemm, LU, quasiTriangularInverse, quasiTriangularProduct, quasiTriangularSolveRow, realSchur, vecmat } from '../../ir/linalg.js';
import type { DplrSystem } from './s4-dplr.js';

/**
 * S4 DPLR's discretised system in float64, in the real basis of the official linear stepper's
 * half state: z = (Re x, Im x) for x = x_full[:N'], M = 2N' real numbers (x_full = (x, x̄) is the
 * conj-expanded state). Every compile-time quantity of an S4 DPLR layer — C~ at other lengths,
 * the untruncated C, the dense state space, the prefill weights — is a product of real M×M
 * matrices here, a quarter of the work of the complex M×M form, with dA built from its
 * structure instead of by a dense solve.
 *
 * Row vectors: a conj-symmetric row (c, c̄) acts on x_full as 2 Re(c·x) = r·z with
 * r = (2 Re c, −2 Im c); (c, c̄)·dA^e is again conj-symmetric, with real row r·A^e.
 *
 * Features that share their continuous state matrix (HiPPO before Δ: the official models'
 * n_ssm = 1, every fresh model) share its real Schur form A_c = Q T Qᵀ, computed once: then
 * dA = Q T_Δ Qᵀ with T_Δ = 2(I − Δ/2·T)⁻¹ − I quasi-upper-triangular, whose products cost a
 * sixth of dense ones, and rows work in the Schur basis (r ↦ rQ) until they are read back (rQᵀ).
 *
 * What each step costs, per feature (r = rank, C = kernel channels; Schur basis: M³ → M³/6):
 *   realFeature        O(M²r²)           dA = D⁻¹E − D⁻¹U G⁻¹ Uᴴ(D⁻¹E + I), dB by Woodbury
 *   shared Schur form  O(M³) per copy    once for every feature of one continuous A
 *   powers             O(M³ log e)       repeated squaring, cached per exponent
 *   untruncatedRows    O(M³ + C·M²)      one LU of I − A^l_kernel (Schur basis: O(M²) row solves)
 *   ctildeTable(m)     O(M³·m)           one squaring per doubling, stopping once A^(l·2^m) vanishes
 */

export interface RealFeature {
  /** dA acting on z, column form (z' = A z), row-major M×M. */
  A: Float64Array;
  /** dB as (Re, Im), length M. */
  B: Float64Array;
}

/** Per system: each feature's real form, its cached powers, and the untruncated output rows. */
interface Derived {
  features: (RealFeature | undefined)[];
  powers: Map<number, Float64Array>[];
  untruncated?: Float64Array[][];
  /** Per feature: its copy's shared Schur form, or null where it shares its A with no other feature. */
  schur?: (SharedSchur | null)[];
  /** Per feature: T_Δ^e in its Schur basis, per exponent. */
  schurPowers: Map<number, Float64Array>[];
}

/** The real Schur form of one continuous A shared by several features. */
interface SharedSchur {
  Q: Float64Array;
  T: Float64Array;
  start: Int32Array;
}

const cache = new WeakMap<DplrSystem, Derived>();

function entry(sys: DplrSystem): Derived {
  let e = cache.get(sys);
  if (!e) {
    e = { features: new Array(sys.H), powers: Array.from({ length: sys.H }, () => new Map()), schurPowers: Array.from({ length: sys.H }, () => new Map()) };
    cache.set(sys, e);
  }
  return e;
}

/**
 * Feature h's bilinear dA and dB in the z basis. With Λ = diag(a, ā), p_s = (P_s, P̄_s),
 * A = Λ − Σ_s p_s p_sᴴ, D = I − Δ/2·Λ, E = I + Δ/2·Λ and U = [p_1 … p_r]:
 *   (I − Δ/2·A)⁻¹ = D⁻¹ − D⁻¹U G⁻¹ UᴴD⁻¹,   G = (2/Δ)·I + UᴴD⁻¹U  (r×r, real here)
 *   dA = (I − Δ/2·A)⁻¹(I + Δ/2·A) = D⁻¹E − D⁻¹U G⁻¹ Uᴴ(D⁻¹E + I)
 *   dB = (I − Δ/2·A)⁻¹ Δ·B
 * so on the half state x' = μ⊙x − Σ_t (P_t/d)·Σ_s G⁻¹_ts·2 Re Σ_i conj(P_s,i)(μ_i + 1) x_i with
 * d = 1 − Δa/2, μ = (1 + Δa/2)/d. O(M²r²).
 */
export function realFeature(sys: DplrSystem, h: number): RealFeature {
  const e = entry(sys);
  return (e.features[h] ??= computeRealFeature(sys, h));
}

function computeRealFeature(sys: DplrSystem, h: number): RealFeature {
  const { N, H, rank } = sys, M = 2 * N, dt = sys.dt[h]!;
  const dRe = new Float64Array(N), dIm = new Float64Array(N), muRe = new Float64Array(N), muIm = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const ar = sys.a[2 * (h * N + i)]!, ai = sys.a[2 * (h * N + i) + 1]!;
    const dr = 1 - (dt / 2) * ar, di = -(dt / 2) * ai, er = 1 + (dt / 2) * ar, ei = (dt / 2) * ai, den = dr * dr + di * di;
    dRe[i] = dr;
    dIm[i] = di;
    muRe[i] = (er * dr + ei * di) / den;
    muIm[i] = (ei * dr - er * di) / den;
  }
  const P = (s: number, i: number): [number, number] => [sys.P[2 * (s * H * N + h * N + i)]!, sys.P[2 * (s * H * N + h * N + i) + 1]!];
  // P_t/d (the columns) and the functionals 2 Re Σ q_i x_i with q = conj(P_s)(μ + 1), as real rows.
  const colRe = new Float64Array(rank * N), colIm = new Float64Array(rank * N);
  const row = new Float64Array(rank * M);
  const G = new Float64Array(rank * rank);
  const B = new Float64Array(M);
  const s0 = new Float64Array(rank); // Uᴴ D⁻¹ B
  for (let t = 0; t < rank; t++) {
    for (let i = 0; i < N; i++) {
      const [pr, pi] = P(t, i), den = dRe[i]! ** 2 + dIm[i]! ** 2;
      colRe[t * N + i] = (pr * dRe[i]! + pi * dIm[i]!) / den;
      colIm[t * N + i] = (pi * dRe[i]! - pr * dIm[i]!) / den;
      const qr = pr * (muRe[i]! + 1) + pi * muIm[i]!, qi = pr * muIm[i]! - pi * (muRe[i]! + 1); // conj(P)(μ+1)
      row[t * M + i] = 2 * qr;
      row[t * M + N + i] = -2 * qi;
    }
  }
  for (let s = 0; s < rank; s++) {
    for (let t = 0; t < rank; t++) {
      // p_sᴴ D⁻¹ p_t = 2 Re Σ conj(P_s)·(P_t/d)
      let acc = 0;
      for (let i = 0; i < N; i++) {
        const [pr, pi] = P(s, i);
        acc += pr * colRe[t * N + i]! + pi * colIm[t * N + i]!;
      }
      G[s * rank + t] = 2 * acc + (s === t ? 2 / dt : 0);
    }
    let acc = 0;
    for (let i = 0; i < N; i++) {
      const [pr, pi] = P(s, i), br = sys.B[2 * (h * N + i)]!, bi = sys.B[2 * (h * N + i) + 1]!, den = dRe[i]! ** 2 + dIm[i]! ** 2;
      const qr = (br * dRe[i]! + bi * dIm[i]!) / den, qi = (bi * dRe[i]! - br * dIm[i]!) / den; // B/d
      acc += pr * qr + pi * qi;
    }
    s0[s] = 2 * acc;
  }
  const Ginv = invertSmall(G, rank);
  const A = new Float64Array(M * M);
  for (let i = 0; i < N; i++) {
    A[i * M + i] = muRe[i]!;
    A[i * M + N + i] = -muIm[i]!;
    A[(N + i) * M + i] = muIm[i]!;
    A[(N + i) * M + N + i] = muRe[i]!;
  }
  for (let t = 0; t < rank; t++) {
    for (let s = 0; s < rank; s++) {
      const g = Ginv[t * rank + s]!;
      if (g === 0) continue;
      for (let i = 0; i < N; i++) {
        const cr = g * colRe[t * N + i]!, ci = g * colIm[t * N + i]!;
        const reRow = i * M, imRow = (N + i) * M;
        for (let j = 0; j < M; j++) {
          const f = row[s * M + j]!;
          A[reRow + j] -= cr * f;
          A[imRow + j] -= ci * f;
        }
      }
    }
  }
  const w = new Float64Array(rank); // G⁻¹ Uᴴ D⁻¹ B
  for (let t = 0; t < rank; t++) for (let s = 0; s < rank; s++) w[t] += Ginv[t * rank + s]! * s0[s]!;
  for (let i = 0; i < N; i++) {
    const br = sys.B[2 * (h * N + i)]!, bi = sys.B[2 * (h * N + i) + 1]!, den = dRe[i]! ** 2 + dIm[i]! ** 2;
    let xr = (br * dRe[i]! + bi * dIm[i]!) / den, xi = (bi * dRe[i]! - br * dIm[i]!) / den;
    for (let t = 0; t < rank; t++) {
      xr -= w[t]! * colRe[t * N + i]!;
      xi -= w[t]! * colIm[t * N + i]!;
    }
    B[i] = dt * xr;
    B[N + i] = dt * xi;
  }
  return { A, B };
}

/** The inverse of a small real matrix (the r×r Woodbury core). */
function invertSmall(G: Float64Array, r: number): Float64Array {
  const lu = new LU(G, r), out = new Float64Array(r * r);
  for (let j = 0; j < r; j++) {
    const e = new Float64Array(r);
    e[j] = 1;
    const col = lu.solve(e);
    for (let i = 0; i < r; i++) out[i * r + j] = col[i]!;
  }
  return out;
}

/** A^e of feature h by repeated squaring, cached per exponent (callers must not modify it). O(M³ log e). */
export function featurePower(sys: DplrSystem, h: number, e: number): Float64Array {
  const powers = entry(sys).powers[h]!;
  const hit = powers.get(e);
  if (hit) return hit;
  const M = 2 * sys.N;
  const sh = schurOf(sys, h);
  if (sh) {
    // Q X Qᵀ from the Schur basis: two dense products instead of log e of them.
    const X = schurPower(sys, h, sh, e), QX = new Float64Array(M * M), out = new Float64Array(M * M);
    gemm(M, M, M, sh.Q, 0, X, 0, QX, 0);
    const Qt = new Float64Array(M * M);
    for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) Qt[j * M + i] = sh.Q[i * M + j]!;
    gemm(M, M, M, QX, 0, Qt, 0, out, 0);
    powers.set(e, out);
    return out;
  }
  let result: Float64Array | null = null;
  let base = realFeature(sys, h).A;
  for (let k = e; k > 0; k = Math.floor(k / 2)) {
    if (k & 1) result = result ? square(result, base, M) : base;
    if (k > 1) base = square(base, base, M);
  }
  const out = result ?? identity(M);
  powers.set(e, out);
  return out;
}

function square(a: Float64Array, b: Float64Array, M: number): Float64Array {
  const out = new Float64Array(M * M);
  gemm(M, M, M, a, 0, b, 0, out, 0);
  return out;
}

function identity(M: number): Float64Array {
  const I = new Float64Array(M * M);
  for (let i = 0; i < M; i++) I[i * M + i] = 1;
  return I;
}

/** The real row of a complex half row (c at `base`..): r = (2 Re c, −2 Im c). */
export function toRealRow(c: Float64Array, base: number, N: number): Float64Array {
  const r = new Float64Array(2 * N);
  for (let i = 0; i < N; i++) {
    r[i] = 2 * c[2 * (base + i)]!;
    r[N + i] = -2 * c[2 * (base + i) + 1]!;
  }
  return r;
}

/** Back to the complex half row: c = (r[:N'] − i·r[N':])/2, written at `base` of `out`. */
export function fromRealRow(r: Float64Array, out: Float64Array, base: number, N: number): void {
  for (let i = 0; i < N; i++) {
    out[2 * (base + i)] = r[i]! / 2;
    out[2 * (base + i) + 1] = -r[N + i]! / 2;
  }
}

/** Row c·dA^e in the real basis. O(M²) given the power. */
export function rowTimesPower(sys: DplrSystem, h: number, row: Float64Array, e: number): Float64Array {
  const M = 2 * sys.N, sh = schurOf(sys, h);
  if (!sh) return vecmat(row, featurePower(sys, h, e), M);
  return fromSchur(vecmat(toSchur(row, sh.Q, M), schurPower(sys, h, sh, e), M), sh.Q, M);
}

/**
 * The untruncated output rows C = C~ (I − dA^l_kernel)⁻¹ (the checkpoint's C~ truncates the kernel
 * at l_kernel), as real rows [C][H] of length M; cached. O(M³ log l_kernel + M³ + C·M²) per feature.
 */
export function untruncatedRows(sys: DplrSystem): Float64Array[][] {
  const e = entry(sys);
  if (e.untruncated) return e.untruncated;
  const { H, N, C } = sys, M = 2 * N;
  const rows: Float64Array[][] = Array.from({ length: C }, () => new Array<Float64Array>(H));
  for (let h = 0; h < H; h++) {
    const sh = schurOf(sys, h);
    if (sh) {
      // In the Schur basis I − T_Δ^l is quasi-triangular: a row solve is O(M²).
      const U = schurPower(sys, h, sh, sys.lKernel).map((v) => -v);
      for (let i = 0; i < M; i++) U[i * M + i]! += 1;
      for (let c = 0; c < C; c++) {
        const r = toSchur(toRealRow(sys.Ctilde, c * H * N + h * N, N), sh.Q, M);
        rows[c]![h] = fromSchur(quasiTriangularSolveRow(U, r, M, sh.start), sh.Q, M);
      }
      continue;
    }
    const X = featurePower(sys, h, sys.lKernel);
    const IminusX = new Float64Array(M * M);
    for (let k = 0; k < M * M; k++) IminusX[k] = -X[k]!;
    for (let i = 0; i < M; i++) IminusX[i * M + i]! += 1;
    const lu = new LU(IminusX, M);
    for (let c = 0; c < C; c++) rows[c]![h] = lu.solveRow(toRealRow(sys.Ctilde, c * H * N + h * N, N));
  }
  e.untruncated = rows;
  return rows;
}

/**
 * A power of dA whose norm is below this contributes less than half an ulp of the rows it
 * multiplies, and every later one (its squares) less still: the C~ rows have converged.
 */
const NEGLIGIBLE_POWER = 2 ** -54;

/**
 * C~ for every kernel length the official doubling rule reaches, L_m = l_kernel·2^m for
 * m = 0..doublings: C~_{m+1} = C~_m (I + dA^{L_m}) (ssm-math.md §2.4), complex interleaved
 * [doublings+1, C, H, N']. Per feature one squaring per doubling, O(M³·doublings), stopping early
 * once dA^{L_m} is negligible (a short Δ decays fast): later rows equal the last one computed.
 */
export function ctildeTable(sys: DplrSystem, doublings: number): Float64Array {
  const { H, N, C } = sys, M = 2 * N;
  const table = new Float64Array(2 * (doublings + 1) * C * H * N);
  table.set(sys.Ctilde, 0);
  if (doublings === 0) return table;
  for (let h = 0; h < H; h++) {
    const sh = schurOf(sys, h);
    // Rows and powers in the Schur basis where there is one (the norm of a power is the same there).
    const rows = Array.from({ length: C }, (_, c) => {
      const r = toRealRow(sys.Ctilde, c * H * N + h * N, N);
      return sh ? toSchur(r, sh.Q, M) : r;
    });
    const times = (a: Float64Array, b: Float64Array) => (sh ? quasiTriangularProduct(a, b, M, sh.start) : square(a, b, M));
    let X: Float64Array | null = sh ? schurPower(sys, h, sh, sys.lKernel) : featurePower(sys, h, sys.lKernel);
    for (let m = 1; m <= doublings; m++) {
      if (X && frobenius(X) < NEGLIGIBLE_POWER) X = null;
      for (let c = 0; c < C; c++) {
        if (X) {
          const prod = vecmat(rows[c]!, X, M);
          for (let k = 0; k < M; k++) rows[c]![k] += prod[k]!;
        }
        fromRealRow(sh ? fromSchur(rows[c]!, sh.Q, M) : rows[c]!, table, ((m * C + c) * H + h) * N, N);
      }
      if (X && m < doublings) X = times(X, X);
    }
  }
  return table;
}

/**
 * The continuous state matrix of copy t on z: x' = a⊙x − Σ_s P_s·2 Re Σ_i conj(P_s,i) x_i
 * (A = Λ − Σ_s p_s p_sᴴ on the half state). O(M²r).
 */
function continuousReal(sys: DplrSystem, t: number): Float64Array {
  const { N, H, rank } = sys, M = 2 * N;
  const A = new Float64Array(M * M);
  for (let i = 0; i < N; i++) {
    const ar = sys.a[2 * (t * N + i)]!, ai = sys.a[2 * (t * N + i) + 1]!;
    A[i * M + i] = ar;
    A[i * M + N + i] = -ai;
    A[(N + i) * M + i] = ai;
    A[(N + i) * M + N + i] = ar;
  }
  for (let s = 0; s < rank; s++) {
    const P = (i: number) => [sys.P[2 * (s * H * N + t * N + i)]!, sys.P[2 * (s * H * N + t * N + i) + 1]!] as const;
    for (let i = 0; i < N; i++) {
      const [cr, ci] = P(i);
      for (let j = 0; j < N; j++) {
        const [pr, pi] = P(j);
        A[i * M + j] -= 2 * cr * pr;
        A[i * M + N + j] -= 2 * cr * pi;
        A[(N + i) * M + j] -= 2 * ci * pr;
        A[(N + i) * M + N + j] -= 2 * ci * pi;
      }
    }
  }
  return A;
}

/**
 * Each feature's shared Schur form: copies with equal (a, P) are one continuous A (the n_ssm
 * copies of a fresh model are equal). A Schur form costs about as much as a few dense squarings,
 * so a matrix only one feature uses keeps the dense path.
 */
function schurOf(sys: DplrSystem, h: number): SharedSchur | null {
  const e = entry(sys);
  if (!e.schur) {
    const { H, N, nSsm, rank } = sys, M = 2 * N;
    const key = (t: number) => {
      const parts = [sys.a.subarray(2 * t * N, 2 * (t + 1) * N)];
      for (let s = 0; s < rank; s++) parts.push(sys.P.subarray(2 * (s * H * N + t * N), 2 * (s * H * N + (t + 1) * N)));
      return parts.map((p) => Array.from(p).join(',')).join(';');
    };
    const groups = new Map<string, number[]>();
    for (let t = 0; t < nSsm; t++) {
      const k = key(t);
      groups.set(k, [...(groups.get(k) ?? []), t]);
    }
    const byCopy = new Array<SharedSchur | null>(nSsm).fill(null);
    for (const copies of groups.values()) {
      const features = (H / nSsm) * copies.length;
      if (features < 2) continue;
      let shared: SharedSchur | null = null;
      try {
        const { Q, T } = realSchur(continuousReal(sys, copies[0]!), M);
        shared = { Q, T, start: blockStarts(T, M) };
      } catch {
        shared = null; // no convergence: the dense path serves these features
      }
      for (const t of copies) byCopy[t] = shared;
    }
    e.schur = Array.from({ length: H }, (_, f) => byCopy[f % nSsm]!);
  }
  return e.schur[h]!;
}

/** T_Δ = 2(I − Δ/2·T)⁻¹ − I: feature h's dA in its Schur basis. O(M³/6). */
function schurDA(sys: DplrSystem, h: number, sh: SharedSchur): Float64Array {
  const M = 2 * sys.N, dt = sys.dt[h]!;
  const W = new Float64Array(M * M);
  for (let k = 0; k < M * M; k++) W[k] = -(dt / 2) * sh.T[k]!;
  for (let i = 0; i < M; i++) W[i * M + i]! += 1;
  const V = quasiTriangularInverse(W, M, sh.start);
  for (let k = 0; k < M * M; k++) V[k] *= 2;
  for (let i = 0; i < M; i++) V[i * M + i]! -= 1;
  return V;
}

/** T_Δ^e in the Schur basis, cached per exponent. O(M³/6 · log e). */
function schurPower(sys: DplrSystem, h: number, sh: SharedSchur, e: number): Float64Array {
  const powers = entry(sys).schurPowers[h]!;
  const hit = powers.get(e);
  if (hit) return hit;
  const M = 2 * sys.N;
  let result: Float64Array | null = null;
  let base = powers.get(1) ?? schurDA(sys, h, sh);
  powers.set(1, base);
  for (let k = e; k > 0; k = Math.floor(k / 2)) {
    if (k & 1) result = result ? quasiTriangularProduct(result, base, M, sh.start) : base;
    if (k > 1) base = quasiTriangularProduct(base, base, M, sh.start);
  }
  const out = result ?? identity(M);
  powers.set(e, out);
  return out;
}

/** r ↦ rQ (into the Schur basis) and back, rQᵀ. O(M²). */
function toSchur(row: Float64Array, Q: Float64Array, M: number): Float64Array {
  return vecmat(row, Q, M);
}
function fromSchur(row: Float64Array, Q: Float64Array, M: number): Float64Array {
  const out = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let j = 0; j < M; j++) s += row[j]! * Q[i * M + j]!;
    out[i] = s;
  }
  return out;
}
