import { describe, expect, it } from 'vitest';
import { cMatMul, cSolve, type CMat } from '../../src/models/cmatrix.js';
import { complexEigen } from '../../src/models/eig-complex.js';
import { Rng } from 'ssmc';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

function randomMatrix(n: number, seed: number): CMat {
  const rng = new Rng(seed);
  return Float64Array.from({ length: 2 * n * n }, () => rng.normal());
}

function frob(m: Float64Array): number {
  return Math.sqrt(m.reduce((s, x) => s + x * x, 0));
}

/** ‖AV − VΛ‖_F / ‖A‖_F. */
function residual(a: CMat, n: number): number {
  const { values, vectors } = complexEigen(a, n);
  const AV = cMatMul(a, vectors, n);
  const diff = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const vr = vectors[2 * (i * n + k)]!, vi = vectors[2 * (i * n + k) + 1]!, lr = values[2 * k]!, li = values[2 * k + 1]!;
    diff[2 * (i * n + k)] = AV[2 * (i * n + k)]! - (vr * lr - vi * li);
    diff[2 * (i * n + k) + 1] = AV[2 * (i * n + k) + 1]! - (vr * li + vi * lr);
  }
  return frob(diff) / frob(a);
}

function sortedValues(values: Float64Array): [number, number][] {
  return Array.from({ length: values.length / 2 }, (_, k) => [values[2 * k]!, values[2 * k + 1]!] as [number, number])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

describe('complexEigen', () => {
  it('finds a known spectrum: V diag(μ) V⁻¹ with a random V', () => {
    const n = 6;
    const mu = [[1, 2], [-0.5, 0], [0.25, -3], [2, 2.5], [-1, -1], [0.1, 0.7]];
    const V = randomMatrix(n, 3);
    const D = new Float64Array(2 * n * n);
    mu.forEach(([r, i], k) => { D[2 * (k * n + k)] = r!; D[2 * (k * n + k) + 1] = i!; });
    // A = V D V⁻¹: solve Vᵀ-free via A V = V D → A = (V D) V⁻¹ = ((V⁻ᵀ)(V D)ᵀ)ᵀ; use cSolve on the transpose.
    const VD = cMatMul(V, D, n);
    const t = (m: CMat) => { const o = new Float64Array(m.length); for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { o[2 * (j * n + i)] = m[2 * (i * n + j)]!; o[2 * (j * n + i) + 1] = m[2 * (i * n + j) + 1]!; } return o; };
    const A = t(cSolve(t(V), t(VD), n));
    const got = sortedValues(complexEigen(A, n).values);
    const want = [...mu].sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
    got.forEach(([r, i], k) => {
      expect(Math.abs(r - want[k]![0]!)).toBeLessThan(TOL.F64_CONDITIONED);
      expect(Math.abs(i - want[k]![1]!)).toBeLessThan(TOL.F64_CONDITIONED);
    });
    expect(residual(A, n)).toBeLessThan(TOL.F64_REORDERED);
  });

  it('handles a triangular matrix (already Schur) and a diagonal one', () => {
    const n = 4;
    const A = new Float64Array(2 * n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) { A[2 * (i * n + j)] = i === j ? i + 1 : 0.3 * (j - i); A[2 * (i * n + j) + 1] = i === j ? -i : 0.1; }
    const got = sortedValues(complexEigen(A, n).values).map(([r, i]) => [r + 0, i + 0]); // −0 → 0
    expect(got).toEqual([[1, 0], [2, -1], [3, -2], [4, -3]]);
    expect(residual(A, n)).toBeLessThan(TOL.F64_SUMS);
    const one = Float64Array.of(2.5, -1);
    expect(Array.from(complexEigen(one, 1).values)).toEqual([2.5, -1]);
  });

  it.each([8, 33, 128])('random complex n×n matrices, n = %i: ‖AV − VΛ‖ / ‖A‖ < 1e-12', (n) => {
    expect(residual(randomMatrix(n, n), n)).toBeLessThan(TOL.F64_REORDERED);
  });

  it('a real matrix gets a spectrum closed under conjugation (a rotation: ±i)', () => {
    const n = 2;
    const A = Float64Array.of(0, 0, -1, 0, 1, 0, 0, 0);
    const got = sortedValues(complexEigen(A, n).values);
    expect(got[0]![0]).toBeCloseTo(0, TOL.F64_DIGITS);
    expect(got[0]![1]).toBeCloseTo(-1, TOL.F64_DIGITS);
    expect(got[1]![1]).toBeCloseTo(1, TOL.F64_DIGITS);
  });

  it('solve gives V⁻¹ b', () => {
    const n = 20;
    const A = randomMatrix(n, 7);
    const { vectors, solve } = complexEigen(A, n);
    const rng = new Rng(8);
    const b = Float64Array.from({ length: 2 * n }, () => rng.normal());
    const z = solve(b);
    // V z should give back b.
    let err = 0;
    for (let i = 0; i < n; i++) {
      let sr = 0, si = 0;
      for (let k = 0; k < n; k++) {
        const vr = vectors[2 * (i * n + k)]!, vi = vectors[2 * (i * n + k) + 1]!;
        sr += vr * z[2 * k]! - vi * z[2 * k + 1]!;
        si += vr * z[2 * k + 1]! + vi * z[2 * k]!;
      }
      err = Math.max(err, Math.hypot(sr - b[2 * i]!, si - b[2 * i + 1]!));
    }
    expect(err).toBeLessThan(TOL.F64_CONDITIONED);
  });

  it('a nearly defective matrix: eigenvalues to √ε accuracy, eigenvectors nearly parallel', () => {
    // Jordan block J₂(1) perturbed by δ in the corner: eigenvalues 1 ± √δ, eigenvectors (1, ±√δ)/‖·‖.
    const delta = 1e-12;
    const A = Float64Array.of(1, 0, 1, 0, delta, 0, 1, 0);
    const { values, vectors } = complexEigen(A, 2);
    const got = sortedValues(values);
    expect(Math.abs(got[0]![0] - (1 - 1e-6))).toBeLessThan(TOL.F64_NEAR_DEFECTIVE);
    expect(Math.abs(got[1]![0] - (1 + 1e-6))).toBeLessThan(TOL.F64_NEAR_DEFECTIVE);
    // |⟨v₀, v₁⟩| ≈ 1: the basis is nearly singular, which is what the DPLR conditioning check catches.
    const dot = Math.hypot(vectors[0]! * vectors[2]! + vectors[1]! * vectors[3]! + vectors[4]! * vectors[6]! + vectors[5]! * vectors[7]!, 0);
    expect(dot).toBeGreaterThan(1 - TOL.F64_NEAR_DEFECTIVE);
    expect(residual(A, 2)).toBeLessThan(TOL.F64_SUMS);
  });

  it('an exactly defective matrix still returns (a repeated eigenvalue, finite vectors)', () => {
    const A = Float64Array.of(2, 0, 1, 0, 0, 0, 2, 0);
    const { values, vectors } = complexEigen(A, 2);
    expect(sortedValues(values).map(([r, i]) => [r + 0, i + 0])).toEqual([[2, 0], [2, 0]]);
    expect(Array.from(vectors).every(Number.isFinite)).toBe(true);
  });
});
