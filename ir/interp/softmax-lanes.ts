import type { Node } from '../node.js';
import type { KernelContext } from './kernel.js';
import { normAxis, rt, size, type RTensor } from './rtensor.js';

/** The lanes a softmax normalises: `outer` × `inner` lanes of `n` elements at stride `inner`. */
export interface SoftmaxLanes {
  outer: number;
  n: number;
  inner: number;
}

/**
 * Before opset 13 Softmax and LogSoftmax flatten the input to 2-D at `axis` (default 1) and
 * normalise each row over all the trailing dims; from opset 13 they normalise along the one
 * axis (default −1).
 */
export function parseSoftmaxLanes(node: Node, ctx: KernelContext, dims: readonly number[]): SoftmaxLanes {
  const legacy = ctx.opset < 13;
  const axis = normAxis(node.attrInt('axis', legacy ? 1 : -1), dims.length, `node '${node.name}' (${node.op})`);
  const outer = size(dims.slice(0, axis));
  if (legacy) return { outer, n: size(dims.slice(axis)), inner: 1 };
  return { outer, n: dims[axis]!, inner: size(dims.slice(axis + 1)) };
}

/** exp(x − max) / Σ exp(x − max) per lane, or its log (x − max − log Σ) for LogSoftmax. */
export function softmaxOverLanes(x: RTensor, lanes: SoftmaxLanes, log: boolean): RTensor {
  const { outer, n, inner } = lanes;
  const out = rt(x.dtype, x.dims);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const at = (i: number) => (o * n + i) * inner + q;
      let max = -Infinity;
      for (let i = 0; i < n; i++) max = Math.max(max, x.data[at(i)]!);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp(x.data[at(i)]! - max);
      const logSum = Math.log(sum);
      for (let i = 0; i < n; i++) {
        const shifted = x.data[at(i)]! - max;
        out.data[at(i)] = log ? shifted - logSum : Math.exp(shifted) / sum;
      }
    }
  }
  return out;
}
