import { describe, expect, it } from 'vitest';
import { c64, f32, i64, INT64_MAX, INT64_MIN, iota, run, run1, values } from './harness.js';

const ten = f32([10], iota(10));

describe('Slice', () => {
  it('walks backwards with a negative step from the INT64 sentinels', () => {
    const y = run1('Slice', [ten, i64([1], [-1]), i64([1], [INT64_MIN]), i64([1], [0]), i64([1], [-1])]);
    expect(values(y)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('steps by −3 from 8 down to (not including) 1', () => {
    const y = run1('Slice', [ten, i64([1], [8]), i64([1], [1]), i64([1], [0]), i64([1], [-3])]);
    expect(values(y)).toEqual([8, 5, 2]);
  });

  it('clamps starts and ends into range (INT64_MAX end, start past the end)', () => {
    expect(values(run1('Slice', [ten, i64([1], [7]), i64([1], [INT64_MAX])]))).toEqual([7, 8, 9]);
    expect(values(run1('Slice', [ten, i64([1], [-100]), i64([1], [2])]))).toEqual([0, 1]);
    expect(run1('Slice', [ten, i64([1], [12]), i64([1], [20])]).dims).toEqual([0]);
    // negative step, start past the end clamps to the last element
    expect(values(run1('Slice', [ten, i64([1], [50]), i64([1], [6]), i64([1], [0]), i64([1], [-2])]))).toEqual([9, 7]);
  });

  it('slices several axes, negative axes included', () => {
    const x = f32([3, 4], iota(12));
    const y = run1('Slice', [x, i64([2], [1, -1]), i64([2], [3, INT64_MIN]), i64([2], [0, -1]), i64([2], [1, -2])]);
    expect(y.dims).toEqual([2, 2]);
    expect(values(y)).toEqual([7, 5, 11, 9]);
  });

  it('slices complex tensors element-wise', () => {
    const z = c64([3], [[1, -1], [2, -2], [3, -3]]);
    const y = run1('Slice', [z, i64([1], [-1]), i64([1], [INT64_MIN]), i64([1], [0]), i64([1], [-2])]);
    expect(values(y)).toEqual([3, -3, 1, -1]);
  });
});

describe('Reshape, Flatten, Unsqueeze, Squeeze', () => {
  const x = f32([2, 3, 4], iota(24));

  it('Reshape copies dims for 0 and infers −1', () => {
    expect(run1('Reshape', [x, i64([3], [0, -1, 2])]).dims).toEqual([2, 6, 2]);
    expect(run1('Reshape', [x, i64([2], [-1, 4])]).dims).toEqual([6, 4]);
    expect(values(run1('Reshape', [x, i64([1], [-1])]))).toEqual(iota(24));
  });

  it('Reshape with allowzero keeps a literal 0', () => {
    const empty = f32([0, 3], []);
    expect(run1('Reshape', [empty, i64([2], [3, 0])], { allowzero: 1 }).dims).toEqual([3, 0]);
  });

  it('Reshape rejects a size mismatch', () => {
    expect(() => run1('Reshape', [x, i64([2], [5, -1])])).toThrow(/reshape/i);
  });

  it('Flatten at axis 0, 2 and −1', () => {
    expect(run1('Flatten', [x], { axis: 0 }).dims).toEqual([1, 24]);
    expect(run1('Flatten', [x], { axis: 2 }).dims).toEqual([6, 4]);
    expect(run1('Flatten', [x], { axis: -1 }).dims).toEqual([6, 4]);
  });

  it('Unsqueeze and Squeeze take axes as an attribute before opset 13, as an input from 13', () => {
    const y = f32([3], [1, 2, 3]);
    expect(run1('Unsqueeze', [y], { axes: [0, -1] }, { opset: 11 }).dims).toEqual([1, 3, 1]);
    expect(run1('Unsqueeze', [y, i64([2], [0, -1])], {}, { opset: 13 }).dims).toEqual([1, 3, 1]);
    const z = f32([1, 3, 1], [1, 2, 3]);
    expect(run1('Squeeze', [z], { axes: [-1] }, { opset: 11 }).dims).toEqual([1, 3]);
    expect(run1('Squeeze', [z, i64([1], [0])], {}, { opset: 13 }).dims).toEqual([3, 1]);
    expect(run1('Squeeze', [z], {}, { opset: 13 }).dims).toEqual([3]);
  });
});

describe('data movement', () => {
  it('Transpose with a permutation and by default reversed', () => {
    const x = f32([2, 3], iota(6));
    expect(values(run1('Transpose', [x]))).toEqual([0, 3, 1, 4, 2, 5]);
    const y = run1('Transpose', [f32([2, 1, 3], iota(6))], { perm: [2, 0, 1] });
    expect(y.dims).toEqual([3, 2, 1]);
    expect(values(y)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('Transpose moves complex pairs together', () => {
    const z = c64([2, 2], [[1, 10], [2, 20], [3, 30], [4, 40]]);
    expect(values(run1('Transpose', [z], { perm: [1, 0] }))).toEqual([1, 10, 3, 30, 2, 20, 4, 40]);
  });

  it('Concat along a middle axis', () => {
    const y = run1('Concat', [f32([2, 1], [1, 2]), f32([2, 2], [3, 4, 5, 6])], { axis: 1 });
    expect(y.dims).toEqual([2, 3]);
    expect(values(y)).toEqual([1, 3, 4, 2, 5, 6]);
  });

  it('Split: the split input (opset 13) and num_outputs with an uneven last part (opset 18)', () => {
    const x = f32([5], iota(5));
    const [a, b] = run('Split', [x, i64([2], [2, 3])], { axis: 0 }, { opset: 13, outputs: 2 });
    expect(values(a!)).toEqual([0, 1]);
    expect(values(b!)).toEqual([2, 3, 4]);
    const parts = run('Split', [x], { num_outputs: 3 }, { opset: 18, outputs: 3 });
    expect(parts.map(values)).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('Gather with negative indices, a scalar index and a 2-D index', () => {
    const x = f32([3, 2], iota(6));
    expect(values(run1('Gather', [x, i64([2], [-1, 0])]))).toEqual([4, 5, 0, 1]);
    const s = run1('Gather', [x, i64([], [1])], { axis: 1 });
    expect(s.dims).toEqual([3]);
    expect(values(s)).toEqual([1, 3, 5]);
    expect(run1('Gather', [x, i64([2, 2], [0, 1, 2, 0])]).dims).toEqual([2, 2, 2]);
  });

  it('Gather rejects an index out of range', () => {
    expect(() => run1('Gather', [f32([2], [1, 2]), i64([1], [2])])).toThrow(/out of range/);
  });

  it('Expand broadcasts both ways; Tile repeats', () => {
    const y = run1('Expand', [f32([3, 1], [1, 2, 3]), i64([2], [1, 2])]);
    expect(y.dims).toEqual([3, 2]);
    expect(values(y)).toEqual([1, 1, 2, 2, 3, 3]);
    const t = run1('Tile', [f32([2], [1, 2]), i64([1], [3])]);
    expect(values(t)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('Pad (constant) pads, crops with negative pads, and takes axes (opset 18)', () => {
    const x = f32([2, 2], [1, 2, 3, 4]);
    const y = run1('Pad', [x, i64([4], [0, 1, 1, 0]), f32([], [9])], {}, { opset: 13 });
    expect(y.dims).toEqual([3, 3]);
    expect(values(y)).toEqual([9, 1, 2, 9, 3, 4, 9, 9, 9]);
    const crop = run1('Pad', [x, i64([4], [0, -1, 0, 0])], {}, { opset: 13 });
    expect(values(crop)).toEqual([2, 4]);
    const onAxis = run1('Pad', [x, i64([2], [1, 0]), null, i64([1], [-1])], {}, { opset: 18 });
    expect(values(onAxis)).toEqual([0, 1, 2, 0, 3, 4]);
  });
});

describe('shape producers', () => {
  it('Shape with start and end; Size', () => {
    const x = f32([2, 3, 4], iota(24));
    expect(values(run1('Shape', [x]))).toEqual([2, 3, 4]);
    expect(values(run1('Shape', [x], { start: 1 }))).toEqual([3, 4]);
    expect(values(run1('Shape', [x], { start: -2, end: -1 }))).toEqual([3]);
    expect(run1('Shape', [x]).dtype).toBe('int64');
    expect(values(run1('Size', [x]))).toEqual([24]);
  });

  it('ConstantOfShape, Range and Constant', () => {
    const c = run1('ConstantOfShape', [i64([2], [2, 2])]);
    expect(c.dtype).toBe('float32');
    expect(values(c)).toEqual([0, 0, 0, 0]);
    const r = run1('Range', [i64([], [10]), i64([], [1]), i64([], [-3])]);
    expect(r.dtype).toBe('int64');
    expect(values(r)).toEqual([10, 7, 4]);
    expect(values(run1('Range', [f32([], [0]), f32([], [1]), f32([], [0.25])]))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(values(run1('Constant', [], { value_ints: [3, 4] }))).toEqual([3, 4]);
  });
});
