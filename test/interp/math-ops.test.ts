import { describe, expect, it } from 'vitest';
import { c64, f32, i64, iota, maxDiff, run, run1, values } from './harness.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

describe('MatMul and Gemm', () => {
  it('MatMul of 2-D, batched with broadcasting, and 1-D operands', () => {
    const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = f32([3, 2], [7, 8, 9, 10, 11, 12]);
    expect(values(run1('MatMul', [a, b]))).toEqual([58, 64, 139, 154]);
    const batched = run1('MatMul', [f32([2, 1, 2, 3], [...values(a), ...values(a).map((v) => -v)]), b]);
    expect(batched.dims).toEqual([2, 1, 2, 2]);
    expect(values(batched)).toEqual([58, 64, 139, 154, -58, -64, -139, -154]);
    const vec = run1('MatMul', [f32([3], [1, 0, -1]), b]);
    expect(vec.dims).toEqual([2]);
    expect(values(vec)).toEqual([-4, -4]);
    const mv = run1('MatMul', [a, f32([3], [1, 1, 1])]);
    expect(mv.dims).toEqual([2]);
    expect(values(mv)).toEqual([6, 15]);
  });

  it('MatMul of complex matrices', () => {
    // [1+i, 2] · [[i], [1−i]] = (1+i)i + 2(1−i) = i − 1 + 2 − 2i = 1 − i
    const y = run1('MatMul', [c64([1, 2], [[1, 1], [2, 0]]), c64([2, 1], [[0, 1], [1, -1]])]);
    expect(y.dtype).toBe('complex64');
    expect(values(y)).toEqual([1, -1]);
  });

  it('MatMul rejects mismatched inner dimensions', () => {
    expect(() => run1('MatMul', [f32([2, 3], iota(6)), f32([2, 3], iota(6))])).toThrow(/inner dimensions/);
  });

  it('Gemm with transB, alpha, beta and a broadcast C', () => {
    const a = f32([2, 2], [1, 2, 3, 4]);
    const bT = f32([2, 2], [1, 0, 1, 1]); // B = [[1, 1], [0, 1]]
    const y = run1('Gemm', [a, bT, f32([2], [10, 20])], { transB: 1, alpha: 2, beta: 0.5 });
    // A·B = [[1, 3], [3, 7]]
    expect(values(y)).toEqual([2 + 5, 6 + 10, 6 + 5, 14 + 10]);
  });
});

describe('reductions', () => {
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);

  it('ReduceSum with axes as an input (opset 13+), keepdims on and off', () => {
    const keep = run1('ReduceSum', [x, i64([1], [1])], {}, { opset: 13 });
    expect(keep.dims).toEqual([2, 1]);
    expect(values(keep)).toEqual([6, 15]);
    const drop = run1('ReduceSum', [x, i64([1], [0])], { keepdims: 0 }, { opset: 13 });
    expect(drop.dims).toEqual([3]);
    expect(values(drop)).toEqual([5, 7, 9]);
    expect(values(run1('ReduceSum', [x], {}, { opset: 13 }))).toEqual([21]);
    expect(values(run1('ReduceSum', [x], { noop_with_empty_axes: 1 }, { opset: 13 }))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values(run1('ReduceSum', [x], { axes: [1] }, { opset: 11 }))).toEqual([6, 15]);
  });

  it('ReduceSum of complex values', () => {
    const z = c64([2], [[1, 2], [3, -5]]);
    expect(values(run1('ReduceSum', [z, i64([1], [0])], { keepdims: 0 }, { opset: 13 }))).toEqual([4, -3]);
  });

  it('ReduceMean and ReduceMax: axes attribute before opset 18, input from 18', () => {
    expect(values(run1('ReduceMean', [x], { axes: [-1] }, { opset: 17 }))).toEqual([2, 5]);
    expect(values(run1('ReduceMean', [x, i64([1], [-1])], {}, { opset: 18 }))).toEqual([2, 5]);
    expect(values(run1('ReduceMax', [x], { axes: [0], keepdims: 0 }, { opset: 17 }))).toEqual([4, 5, 6]);
    expect(values(run1('ReduceMax', [x, i64([1], [0])], { keepdims: 0 }, { opset: 18 }))).toEqual([4, 5, 6]);
  });
});

describe('normalisation and activations', () => {
  it('Softmax and LogSoftmax along the last axis', () => {
    const x = f32([2, 3], [1, 2, 3, 0, 0, 0]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    const y = run1('Softmax', [x], { axis: -1 }, { opset: 13 });
    expect(maxDiff(values(y), [e[0]! / s, e[1]! / s, e[2]! / s, 1 / 3, 1 / 3, 1 / 3])).toBeLessThan(TOL.F64_FEW_OPS);
    const l = run1('LogSoftmax', [x], { axis: -1 }, { opset: 13 });
    expect(maxDiff(values(l), [1 - Math.log(s), 2 - Math.log(s), 3 - Math.log(s), -Math.log(3), -Math.log(3), -Math.log(3)])).toBeLessThan(TOL.F64_SUMS);
  });

  it('LayerNormalization over the last axis, with its Mean and InvStdDev outputs', () => {
    const x = f32([2, 2], [1, 3, 2, 2]);
    const [y, mean, inv] = run('LayerNormalization', [x, f32([2], [1, 2]), f32([2], [0, 1])], { axis: -1, epsilon: 0.5 }, { outputs: 3 });
    // row 0: mean 2, var 1 → 1/√1.5; row 1: mean 2, var 0 → 1/√0.5
    const r = 1 / Math.sqrt(1.5);
    expect(maxDiff(values(y!), [-r * 1, r * 2 + 1, 0, 1])).toBeLessThan(TOL.F64_FEW_OPS);
    expect(mean!.dims).toEqual([2, 1]);
    expect(values(mean!)).toEqual([2, 2]);
    expect(maxDiff(values(inv!), [r, 1 / Math.sqrt(0.5)])).toBeLessThan(TOL.F64_FEW_OPS);
  });

  it('Gelu exact and tanh-approximated (opset 20)', () => {
    const x = f32([3], [-1, 0.5, 2]);
    // 0.5·x·(1 + erf(x/√2)) with erf values from mpmath
    const erfs = [-0.68268949213708589717, 0.38292492254802620727, 0.95449973610364158560];
    const exact = [-1, 0.5, 2].map((v, i) => 0.5 * v * (1 + erfs[i]!));
    expect(maxDiff(values(run1('Gelu', [x], {}, { opset: 20 })), exact)).toBeLessThan(TOL.F64_SUMS);
    const tanh = [-1, 0.5, 2].map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    expect(maxDiff(values(run1('Gelu', [x], { approximate: 'tanh' }, { opset: 20 })), tanh)).toBeLessThan(TOL.F64_FEW_OPS);
  });

  it('ArgMax along the last axis', () => {
    const y = run1('ArgMax', [f32([2, 3], [1, 9, 3, 7, 5, 6])], { axis: -1, keepdims: 0 });
    expect(y.dtype).toBe('int64');
    expect(values(y)).toEqual([1, 0]);
  });
});
