import { isComplex } from '../types.js';
import { need, type Kernel } from './kernel.js';
import { forEachRun } from './elementwise.js';
import { ints, normAxis, rt, size } from './rtensor.js';

export interface Reducer {
  init: number;
  step: (acc: number, x: number) => number;
  finish?: (acc: number, n: number) => number;
}

/**
 * The Reduce* ops: axes are an attribute before opset `inputFrom` (13 for ReduceSum, 18 for the
 * others) and the optional input 1 from then on. Complex sums reduce (re, im) pairwise.
 */
export function reduceKernel(r: Reducer, inputFrom: number): Kernel {
  return (inputs, node, ctx) => {
    const x = need(inputs, 0, node);
    const rank = x.dims.length;
    let axes = ctx.opset >= inputFrom ? ints(inputs[1]) : node.attrInts('axes', []);
    if (axes.length === 0) {
      if (node.attrInt('noop_with_empty_axes', 0)) return [x];
      axes = [...Array(rank).keys()];
    }
    const norm = axes.map((a) => normAxis(a, rank, node.name));
    const keep = node.attrInt('keepdims', 1) === 1;
    const outDimsKeep = x.dims.map((d, i) => (norm.includes(i) ? 1 : d));
    const w = isComplex(x.dtype) ? 2 : 1;
    const out = rt(x.dtype, outDimsKeep);
    out.data.fill(r.init);
    const n = size(x.dims);
    // x walked in flat order against its output broadcast back over the reduced axes (stride 0):
    // the same accumulation order as element by element, in runs.
    const X = x.data, O = out.data, step = r.step;
    forEachRun(x.dims, outDimsKeep, x.dims, (_o, ix, sx, io, so, len) => {
      if (w === 1) {
        for (let k = 0; k < len; k++, ix += sx, io += so) O[io] = step(O[io]!, X[ix]!);
      } else {
        for (let k = 0; k < len; k++, ix += sx, io += so) {
          O[2 * io] = step(O[2 * io]!, X[2 * ix]!);
          O[2 * io + 1] = step(O[2 * io + 1]!, X[2 * ix + 1]!);
        }
      }
    });
    const count = n / size(outDimsKeep);
    if (r.finish) for (let i = 0; i < out.data.length; i++) out.data[i] = r.finish(out.data[i]!, count);
    return [{ ...out, dims: keep ? outDimsKeep : x.dims.filter((_, i) => !norm.includes(i)) }];
  };
}
