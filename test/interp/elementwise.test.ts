import { describe, expect, it } from 'vitest';
import { c64, f32, i64, maxDiff, run1, typed, values } from './harness.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

describe('elementwise kernels of the reference interpreter', () => {
  it('Add broadcasts numpy-style: [2,3] + [3] and [2,1] + [1,3]', () => {
    const y = run1('Add', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [10, 20, 30])]);
    expect(y.dims).toEqual([2, 3]);
    expect(values(y)).toEqual([11, 22, 33, 14, 25, 36]);
    const z = run1('Add', [f32([2, 1], [1, 2]), f32([1, 3], [10, 20, 30])]);
    expect(z.dims).toEqual([2, 3]);
    expect(values(z)).toEqual([11, 21, 31, 12, 22, 32]);
  });

  it('Sub, Mul, Div and Pow broadcast a scalar', () => {
    const x = f32([4], [1, 2, 3, 4]);
    const two = f32([], [2]);
    expect(values(run1('Sub', [x, two]))).toEqual([-1, 0, 1, 2]);
    expect(values(run1('Mul', [two, x]))).toEqual([2, 4, 6, 8]);
    expect(values(run1('Div', [x, two]))).toEqual([0.5, 1, 1.5, 2]);
    expect(values(run1('Pow', [x, two]))).toEqual([1, 4, 9, 16]);
  });

  it('Mod: the divisor\'s sign by default (fmod=0), the dividend\'s with fmod=1', () => {
    const a = i64([4], [7, -7, 7, -7]), b = i64([4], [3, 3, -3, -3]);
    expect(values(run1('Mod', [a, b]))).toEqual([1, 2, -2, -1]);
    expect(values(run1('Mod', [f32([2], [7.5, -7.5]), f32([], [2])], { fmod: 1 }))).toEqual([1.5, -1.5]);
  });

  it('rejects shapes that do not broadcast, naming the node', () => {
    expect(() => run1('Add', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2], [1, 2])])).toThrow(/add.*broadcast/i);
  });

  it('computes in float64: 0.1 + 0.2 is not rounded to float32', () => {
    const y = run1('Add', [f32([], [0.1]), f32([], [0.2])]);
    expect(y.dtype).toBe('float32');
    expect(y.data[0]).toBe(0.1 + 0.2);
  });

  it('unary math ops', () => {
    const x = f32([3], [-1, 0, 2]);
    expect(values(run1('Neg', [x]))).toEqual([1, -0, -2]);
    expect(values(run1('Abs', [x]))).toEqual([1, 0, 2]);
    expect(values(run1('Relu', [x]))).toEqual([0, 0, 2]);
    expect(values(run1('Exp', [x]))).toEqual([Math.exp(-1), 1, Math.exp(2)]);
    expect(values(run1('Sigmoid', [x]))).toEqual([1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]);
    expect(values(run1('Tanh', [x]))).toEqual([Math.tanh(-1), 0, Math.tanh(2)]);
    expect(maxDiff(values(run1('Softplus', [x])), [Math.log1p(Math.exp(-1)), Math.LN2, Math.log1p(Math.exp(2))])).toBeLessThan(TOL.F64_FEW_OPS);
    const p = f32([2], [4, 0.25]);
    expect(values(run1('Sqrt', [p]))).toEqual([2, 0.5]);
    expect(values(run1('Reciprocal', [p]))).toEqual([0.25, 4]);
    expect(values(run1('Log', [p]))).toEqual([Math.log(4), Math.log(0.25)]);
    expect(values(run1('Sin', [p]))).toEqual([Math.sin(4), Math.sin(0.25)]);
    expect(values(run1('Cos', [p]))).toEqual([Math.cos(4), Math.cos(0.25)]);
  });

  it('Erf agrees with high-precision values', () => {
    // erf(x) from mpmath at 20 digits
    const x = f32([6], [0, 0.1, 0.5, 1, 2.5, -3.2]);
    const want = [0, 0.1124629160182848922, 0.52049987781304653768, 0.84270079294971486934, 0.99959304798255504106, -0.99999397423884823790];
    expect(maxDiff(values(run1('Erf', [x])), want)).toBeLessThan(TOL.F64_SUMS);
  });

  it('comparisons and logic give bool', () => {
    const a = f32([3], [1, 2, 3]), b = f32([3], [2, 2, 2]);
    const eq = run1('Equal', [a, b]);
    expect(eq.dtype).toBe('bool');
    expect(values(eq)).toEqual([0, 1, 0]);
    expect(values(run1('Less', [a, b]))).toEqual([1, 0, 0]);
    expect(values(run1('Greater', [a, b]))).toEqual([0, 0, 1]);
    expect(values(run1('LessOrEqual', [a, b]))).toEqual([1, 1, 0]);
    expect(values(run1('GreaterOrEqual', [a, b]))).toEqual([0, 1, 1]);
    const t = typed('bool', [4], [0, 0, 1, 1]), u = typed('bool', [4], [0, 1, 0, 1]);
    expect(values(run1('And', [t, u]))).toEqual([0, 0, 0, 1]);
    expect(values(run1('Or', [t, u]))).toEqual([0, 1, 1, 1]);
    expect(values(run1('Not', [t]))).toEqual([1, 1, 0, 0]);
  });

  it('Where broadcasts condition, x and y', () => {
    const y = run1('Where', [typed('bool', [2, 1], [1, 0]), f32([3], [1, 2, 3]), f32([], [-1])]);
    expect(y.dims).toEqual([2, 3]);
    expect(values(y)).toEqual([1, 2, 3, -1, -1, -1]);
  });

  it('variadic Max, Min and Sum broadcast all operands', () => {
    const a = f32([2], [1, 5]), b = f32([2, 1], [3, 4]), c = f32([], [2]);
    expect(values(run1('Max', [a, b, c]))).toEqual([3, 5, 4, 5]);
    expect(values(run1('Min', [a, b, c]))).toEqual([1, 2, 1, 2]);
    expect(values(run1('Sum', [a, b, c]))).toEqual([6, 10, 7, 11]);
  });

  it('Cast to float32 rounds through float32; to ints truncates toward zero; to bool tests ≠ 0', () => {
    const x = typed('float64', [4], [0.1, -2.7, 2.7, 0]);
    const toF32 = run1('Cast', [x], { to: 1 });
    expect(toF32.dtype).toBe('float32');
    expect(values(toF32)).toEqual([Math.fround(0.1), Math.fround(-2.7), Math.fround(2.7), 0]);
    const toI64 = run1('Cast', [x], { to: 7 });
    expect(toI64.dtype).toBe('int64');
    expect(values(toI64)).toEqual([0, -2, 2, 0]);
    expect(values(run1('Cast', [x], { to: 9 }))).toEqual([1, 1, 1, 0]);
    expect(run1('Cast', [i64([1], [3])], { to: 11 }).dtype).toBe('float64');
  });

  it('Identity passes its input through', () => {
    const x = f32([2], [1, 2]);
    expect(values(run1('Identity', [x]))).toEqual([1, 2]);
  });
});

describe('complex64 elementwise kernels', () => {
  const a = c64([2], [[1, 2], [3, -1]]);
  const b = c64([2], [[0.5, -1], [2, 2]]);

  it('Mul and Div follow complex arithmetic', () => {
    // (1+2i)(0.5−i) = 0.5 − i + i − 2i² = 2.5 + 0i;  (3−i)(2+2i) = 6 + 6i − 2i − 2i² = 8 + 4i
    const m = run1('Mul', [a, b]);
    expect(m.dtype).toBe('complex64');
    expect(values(m)).toEqual([2.5, 0, 8, 4]);
    // (1+2i)/(0.5−i) = (1+2i)(0.5+i)/1.25 = (0.5 + i + i + 2i²)/1.25 = (−1.5 + 2i)/1.25
    const d = run1('Div', [a, b]);
    expect(maxDiff(values(d).slice(0, 2), [-1.2, 1.6])).toBeLessThan(TOL.F64_FEW_OPS);
  });

  it('a real operand mixed with a complex one is promoted', () => {
    const y = run1('Mul', [a, f32([], [2])]);
    expect(y.dtype).toBe('complex64');
    expect(values(y)).toEqual([2, 4, 6, -2]);
    const s = run1('Sub', [f32([2], [10, 20]), a]);
    expect(values(s)).toEqual([9, -2, 17, 1]);
    const sum = run1('Add', [a, b]);
    expect(values(sum)).toEqual([1.5, 1, 5, 1]);
  });

  it('Neg, Exp and the principal-branch Log', () => {
    expect(values(run1('Neg', [a]))).toEqual([-1, -2, -3, 1]);
    const z = c64([1], [[0.3, Math.PI / 3]]);
    const e = run1('Exp', [z]);
    expect(maxDiff(values(e), [Math.exp(0.3) * 0.5, Math.exp(0.3) * Math.sqrt(3) / 2])).toBeLessThan(TOL.F64_FEW_OPS);
    // log(−1 − 0i) lies on the branch cut: the principal value has imaginary part −π for −0, π for +0.
    const l = run1('Log', [c64([2], [[-1, 0], [0, -2]])]);
    expect(maxDiff(values(l), [0, Math.PI, Math.LN2, -Math.PI / 2])).toBeLessThan(TOL.F64_FEW_OPS);
    // exp(log z) = z
    const back = run1('Exp', [run1('Log', [a])]);
    expect(maxDiff(values(back), values(a))).toBeLessThan(TOL.F64_SUMS);
  });
});
