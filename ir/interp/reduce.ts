import { isComplex } from '../types.js';
import { need, type Kernel } from './kernel.js';
import { ints, normAxis, rt, size, strides } from './rtensor.js';

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
    const inS = strides(x.dims), outS = strides(outDimsKeep);
    const n = size(x.dims);
    for (let k = 0; k < n; k++) {
      let dst = 0;
      for (let d = 0; d < rank; d++) if (!norm.includes(d)) dst += (Math.floor(k / inS[d]!) % x.dims[d]!) * outS[d]!;
      for (let c = 0; c < w; c++) out.data[dst * w + c] = r.step(out.data[dst * w + c]!, x.data[k * w + c]!);
    }
    const count = n / size(outDimsKeep);
    if (r.finish) for (let i = 0; i < out.data.length; i++) out.data[i] = r.finish(out.data[i]!, count);
    return [{ ...out, dims: keep ? outDimsKeep : x.dims.filter((_, i) => !norm.includes(i)) }];
  };
}
