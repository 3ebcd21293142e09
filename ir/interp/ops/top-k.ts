import type { Node } from '../../node.js';
import { need, onnxKernel, type Kernel, type KernelContext } from '../kernel.js';
import { normAxis, rt, size, type RTensor } from '../rtensor.js';

export interface TopKAttrs {
  k: number;
  axis: number;
  largest: boolean;
}

/** k is an attribute before opset 10 and the 1-element input K from 10; `sorted` only allows any order, so we always sort. */
export function parseTopKAttrs(node: Node, ctx: KernelContext, inputs: (RTensor | null)[], rank: number): TopKAttrs {
  const what = `node '${node.name}' (TopK)`;
  let k: number;
  if (ctx.opset < 10) k = node.attrInt('k');
  else {
    const K = need(inputs, 1, node);
    if (K.data.length !== 1) throw new Error(`${what}: K must hold one value, got [${K.dims.join(',')}]`);
    k = K.data[0]!;
  }
  const axis = normAxis(node.attrInt('axis', -1), rank, what);
  return { k, axis, largest: node.attrInt('largest', 1) === 1 };
}

/** The k largest (or smallest) values along the axis, in order; ties keep the lower index first. */
export function computeTopK(x: RTensor, a: TopKAttrs, what: string): [RTensor, RTensor] {
  const n = x.dims[a.axis]!;
  if (!Number.isInteger(a.k) || a.k < 0 || a.k > n) throw new Error(`${what}: k = ${a.k} must be between 0 and the axis length ${n}`);
  const outer = size(x.dims.slice(0, a.axis)), inner = size(x.dims.slice(a.axis + 1));
  const dims = [...x.dims];
  dims[a.axis] = a.k;
  const values = rt(x.dtype, dims), indices = rt('int64', dims);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const at = (i: number) => x.data[(o * n + i) * inner + q]!;
      order.sort((i, j) => (a.largest ? at(j) - at(i) : at(i) - at(j)) || i - j);
      for (let r = 0; r < a.k; r++) {
        const dst = (o * a.k + r) * inner + q;
        values.data[dst] = at(order[r]!);
        indices.data[dst] = order[r]!;
      }
      order.sort((i, j) => i - j);
    }
  }
  return [values, indices];
}

const topKKernel: Kernel = (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  return computeTopK(x, parseTopKAttrs(node, ctx, inputs, x.dims.length), `node '${node.name}' (TopK)`);
};

export const TopK = onnxKernel('TopK', topKKernel);
