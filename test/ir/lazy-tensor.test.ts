/**
 * Constants computed on first read (lazyTensor): the compile-time work behind them (an S4 DPLR
 * kernel's taps, its dense state space) runs only when a pass or the writer needs the values.
 */
import { describe, expect, it } from 'vitest';
import { Builder, lazyTensor, Model, tensorType } from 'ssmc/ir';
import { foldConstants } from 'ssmc/passes';

function counted(n: number) {
  const calls = { n: 0 };
  const t = lazyTensor('float32', [2, n], () => {
    calls.n++;
    return Float32Array.from({ length: 2 * n }, (_, i) => i);
  });
  return { t, calls };
}

describe('lazyTensor', () => {
  it('knows its dtype and dims up front and computes its data once, on the first read', () => {
    const { t, calls } = counted(3);
    expect([t.dtype, t.dims, calls.n]).toEqual(['float32', [2, 3], 0]);
    expect(Array.from(t.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    void t.data;
    expect(calls.n).toBe(1);
  });

  it('refuses data of the wrong length when it is computed', () => {
    const t = lazyTensor('float32', [4], () => new Float32Array(3));
    expect(() => t.data).toThrow();
  });

  it('building on it (shape inference of a Slice) does not compute it; folding computes it only where it is read', () => {
    const model = new Model(17), b = new Builder(model.graph, 17);
    const used = counted(4), unused = counted(5);
    const x = model.graph.addInput('x', tensorType('float32', [2, 4]));
    const k = b.slice(b.initializer('k', used.t), [0], [1], [0]); // [1,4]
    b.slice(b.initializer('dead', unused.t), [0], [1], [0]);
    model.graph.outputs.push(b.add(x, k));
    expect([used.calls.n, unused.calls.n]).toEqual([0, 0]);
    foldConstants(model.graph, 17);
    expect([used.calls.n, unused.calls.n]).toEqual([1, 0]);
    expect(model.graph.initializers.map((v) => v.name)).not.toContain('dead');
  });
});
