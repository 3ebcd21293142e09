import { describe, expect, it } from 'vitest';
import { evaluateNode, Graph, type RTensor, tensorType } from 'ssmc/ir';
import { rt } from '../../ir/interp/rtensor.js';
import { maxAbsDiff } from '../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/** The DFT straight from its definition: X_k = Σ_m x_m e^{∓2πikm/n}. */
function naive(re: number[], im: number[], n: number, inverse: boolean): [number[], number[]] {
  const xr = Array.from({ length: n }, (_, m) => re[m] ?? 0), xi = Array.from({ length: n }, (_, m) => im[m] ?? 0);
  const s = inverse ? 1 : -1;
  const outR: number[] = [], outI: number[] = [];
  for (let k = 0; k < n; k++) {
    let a = 0, b = 0;
    for (let m = 0; m < n; m++) {
      const ang = (s * 2 * Math.PI * k * m) / n;
      a += xr[m]! * Math.cos(ang) - xi[m]! * Math.sin(ang);
      b += xr[m]! * Math.sin(ang) + xi[m]! * Math.cos(ang);
    }
    outR.push(inverse ? a / n : a);
    outI.push(inverse ? b / n : b);
  }
  return [outR, outI];
}

function dftNode(opset: number, attrs: Record<string, number>, withLength: boolean) {
  const g = new Graph();
  const x = g.addInput('x', tensorType('float32', null));
  const n = g.addInput('n', tensorType('int64', []));
  const axis = g.addInput('axis', tensorType('int64', []));
  const ins = opset >= 20 ? [x, withLength ? n : null, axis] : [x, withLength ? n : null];
  const a = Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { kind: 'int' as const, value: v }]));
  if (opset < 20) a.axis = { kind: 'int', value: 1 };
  return g.createNode('', 'DFT', ins, a, 1);
}

function run(opset: number, x: RTensor, attrs: Record<string, number>, n?: number): RTensor {
  const node = dftNode(opset, attrs, n !== undefined);
  const inputs = [x, n === undefined ? null : rt('int64', [], Float64Array.of(n))];
  if (opset >= 20) inputs.push(rt('int64', [], Float64Array.of(1)));
  return evaluateNode(node, inputs, opset)[0]!;
}

const signal = [0.3, -1.2, 2.5, 0.7, -0.4, 1.1, 0.9, -2.0, 0.05, 1.7, -0.6, 0.25];

describe.each([17, 20])('DFT (opset %i) in the reference interpreter', (opset) => {
  it.each([8, 12])('forward complex, n = %i, matches the definition', (n) => {
    const im = signal.map((v) => v / 3);
    const x = rt('float32', [1, n, 2], Float64Array.from(signal.slice(0, n).flatMap((v, i) => [v, im[i]!])));
    const y = run(opset, x, {});
    const [er, ei] = naive(signal.slice(0, n), im.slice(0, n), n, false);
    expect(y.dims).toEqual([1, n, 2]);
    expect(maxAbsDiff(y.data, er.flatMap((v, i) => [v, ei[i]!]))).toBeLessThan(TOL.F64_REORDERED);
  });

  it.each([8, 12, 16, 20])('onesided real forward with dft_length = %i (pads or truncates)', (n) => {
    const x = rt('float32', [1, 12, 1], Float64Array.from(signal));
    const y = run(opset, x, { onesided: 1 }, n);
    const [er, ei] = naive(signal.slice(0, n), [], n, false);
    const bins = Math.floor(n / 2) + 1;
    expect(y.dims).toEqual([1, bins, 2]);
    expect(maxAbsDiff(y.data, er.slice(0, bins).flatMap((v, i) => [v, ei[i]!]))).toBeLessThan(TOL.F64_REORDERED);
  });

  it('inverse of forward gives the signal back (n = 12, Bluestein path)', () => {
    const x = rt('float32', [1, 12, 1], Float64Array.from(signal));
    const y = run(opset, run(opset, x, {}), { inverse: 1 });
    expect(maxAbsDiff(y.data.filter((_, i) => i % 2 === 0), signal)).toBeLessThan(TOL.F64_REORDERED);
    expect(Math.max(...y.data.filter((_, i) => i % 2 === 1).map(Math.abs))).toBeLessThan(TOL.F64_REORDERED);
  });

  it.each([12, 11])('one-sided inverse (irfft) of rfft returns the real signal, n = %i', (n) => {
    const x = rt('float32', [1, 12, 1], Float64Array.from(signal));
    const spec = run(opset, x, { onesided: 1 }, n);
    const y = run(opset, spec, { inverse: 1, onesided: 1 }, n);
    expect(y.dims).toEqual([1, n, 1]);
    expect(maxAbsDiff(y.data, signal.slice(0, n))).toBeLessThan(TOL.F64_REORDERED);
  });
});

describe('integer Div', () => {
  it('truncates toward zero like onnxruntime (int64)', () => {
    const g = new Graph();
    const a = g.addInput('a', tensorType('int64', [3]));
    const b = g.addInput('b', tensorType('int64', [3]));
    const node = g.createNode('', 'Div', [a, b], {}, 1);
    const out = evaluateNode(node, [rt('int64', [3], Float64Array.of(7, -7, 129)), rt('int64', [3], Float64Array.of(2, 2, 2))], 17)[0]!;
    expect(Array.from(out.data)).toEqual([3, -3, 64]);
  });
});
