import { describe, expect, it } from 'vitest';
import { blockStarts, gemm, LU, quasiTriangularInverse, quasiTriangularProduct, quasiTriangularSolveRow, realSchur } from '../../ir/linalg.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/** A seeded stream of values in [−1, 1). */
function values(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function naive(m: number, k: number, n: number, a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
    out[i * n + j] = s;
  }
  return out;
}

const maxAbs = (x: Float64Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const diff = (x: Float64Array, y: Float64Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
const transpose = (a: Float64Array, n: number) => Float64Array.from({ length: n * n }, (_, k) => a[(k % n) * n + Math.floor(k / n)]!);

describe('gemm', () => {
  it.each([[1, 1, 1], [3, 5, 7], [4, 4, 4], [12, 128, 513], [9, 10, 11], [64, 64, 64]])('%i×%i by %i×… equals the summation in order, bit for bit', (m, k, n) => {
    const a = values(m * k, m + 7 * k), b = values(k * n, n + 3);
    const out = new Float64Array(m * n).fill(NaN);
    gemm(m, k, n, a, 0, b, 0, out, 0);
    expect(Array.from(out)).toEqual(Array.from(naive(m, k, n, a, b)));
  });

  it('reads and writes at offsets (a batch slice)', () => {
    const a = values(2 * 12, 1), b = values(3 * 20, 2), out = new Float64Array(30);
    gemm(3, 4, 5, a, 12, b, 20, out, 15);
    expect(Array.from(out.subarray(15))).toEqual(Array.from(naive(3, 4, 5, a.subarray(12), b.subarray(20))));
    expect(Array.from(out.subarray(0, 15))).toEqual(new Array(15).fill(0));
  });
});

describe('LU', () => {
  it('solves A x = b and xᵀ A = bᵀ to a few ulps of the residual', () => {
    const n = 17, a = values(n * n, 5), b = values(n, 6);
    const lu = new LU(a, n);
    const x = lu.solve(b), y = lu.solveRow(b);
    const Ax = naive(n, n, 1, a, x), yA = naive(1, n, n, y, a);
    expect(diff(Ax, b)).toBeLessThan(TOL.F64_REORDERED * maxAbs(a) * maxAbs(x));
    expect(diff(yA, b)).toBeLessThan(TOL.F64_REORDERED * maxAbs(a) * maxAbs(y));
  });

  it('refuses an exactly singular matrix', () => {
    expect(() => new LU(new Float64Array([1, 2, 2, 4]), 2)).toThrow(/singular/);
  });
});

describe('real Schur form', () => {
  // A random matrix, one with real eigenvalues only (symmetric), and a HiPPO-LegS-like non-normal one.
  const legs = (n: number) => Float64Array.from({ length: n * n }, (_, k) => {
    const i = Math.floor(k / n), j = k % n;
    return i > j ? -Math.sqrt((2 * i + 1) * (2 * j + 1)) : i === j ? -(i + 1) : 0;
  });
  const symmetric = (n: number) => {
    const r = values(n * n, 9);
    return Float64Array.from({ length: n * n }, (_, k) => r[k]! + r[(k % n) * n + Math.floor(k / n)]!);
  };
  it.each([['random', 33, values(33 * 33, 4)], ['symmetric', 20, symmetric(20)], ['LegS', 64, legs(64)]] as const)('%s (n = %i): Q orthogonal, A = Q T Qᵀ, T quasi-upper-triangular', (_, n, a) => {
    const { Q, T } = realSchur(a, n);
    const QtQ = naive(n, n, n, transpose(Q, n), Q);
    for (let i = 0; i < n; i++) QtQ[i * n + i]! -= 1;
    expect(maxAbs(QtQ)).toBeLessThan(n * 10 * 2.2e-16);
    const back = naive(n, n, n, naive(n, n, n, Q, T), transpose(Q, n));
    expect(diff(back, a) / maxAbs(a)).toBeLessThan(TOL.F64_REORDERED);
    for (let i = 0; i < n; i++) for (let j = 0; j < i - 1; j++) expect(T[i * n + j]).toBe(0);
    for (let i = 2; i < n; i++) expect(T[i * n + i - 1] !== 0 && T[(i - 1) * n + i - 2] !== 0).toBe(false);
  });

  it('quasi-triangular products, inverses and row solves match the dense ones', () => {
    const n = 30, { T } = realSchur(values(n * n, 12), n), start = blockStarts(T, n);
    expect(start.some((s, i) => s === i - 1)).toBe(true); // there are 2×2 blocks to get right
    const T2 = Float64Array.from(T, (v, k) => v * 0.5 + (k % (n + 1) === 0 ? 3 : 0)); // well-conditioned, same pattern
    expect(diff(quasiTriangularProduct(T, T2, n, start), naive(n, n, n, T, T2))).toBeLessThan(TOL.F64_LONG_SUMS * maxAbs(T) * maxAbs(T2) * n);
    const inv = quasiTriangularInverse(T2, n, start);
    const I = naive(n, n, n, T2, inv);
    for (let i = 0; i < n; i++) I[i * n + i]! -= 1;
    expect(maxAbs(I)).toBeLessThan(TOL.F64_REORDERED * 10);
    const b = values(n, 3), x = quasiTriangularSolveRow(T2, b, n, start);
    expect(diff(naive(1, n, n, x, T2), b)).toBeLessThan(TOL.F64_REORDERED * 10);
  });
});
