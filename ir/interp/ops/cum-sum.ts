import type { Node } from '../../node.js';
import { need, onnxKernel, type Kernel } from '../kernel.js';
import { normAxis, rt, size, type RTensor } from '../rtensor.js';

export interface CumSumAttrs {
  exclusive: boolean;
  reverse: boolean;
}

export function parseCumSumAttrs(node: Node): CumSumAttrs {
  return { exclusive: node.attrInt('exclusive', 0) === 1, reverse: node.attrInt('reverse', 0) === 1 };
}

/** Running sums along `axis`: inclusive or exclusive (shifted by one, starting at 0), forwards or backwards. */
export function computeCumSum(x: RTensor, axis: number, a: CumSumAttrs): RTensor {
  const outer = size(x.dims.slice(0, axis)), n = x.dims[axis]!, inner = size(x.dims.slice(axis + 1));
  const out = rt(x.dtype, x.dims);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      let acc = 0;
      for (let step = 0; step < n; step++) {
        const i = a.reverse ? n - 1 - step : step;
        const at = (o * n + i) * inner + q;
        if (a.exclusive) {
          out.data[at] = acc;
          acc += x.data[at]!;
        } else {
          acc += x.data[at]!;
          out.data[at] = acc;
        }
      }
    }
  }
  return out;
}

const cumSumKernel: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node), axisT = need(inputs, 1, node);
  if (axisT.data.length !== 1) throw new Error(`node '${node.name}' (CumSum): axis must be a scalar, got [${axisT.dims.join(',')}]`);
  const axis = normAxis(axisT.data[0]!, x.dims.length, `node '${node.name}' (CumSum)`);
  return [computeCumSum(x, axis, parseCumSumAttrs(node))];
};

export const CumSum = onnxKernel('CumSum', cumSumKernel, 11);
