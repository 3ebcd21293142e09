import { need, onnxKernel } from '../kernel.js';
import { ints, normAxis } from '../rtensor.js';
import { gatherStrided } from '../strided.js';

/**
 * Split along `axis` into the given sizes (input 1 from opset 13, the `split` attribute before)
 * or into equal parts, the last one smaller when the axis does not divide.
 */
export const Split = onnxKernel('Split', (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  const axis = normAxis(node.attrInt('axis', 0), x.dims.length, node.name);
  const n = node.outputs.length;
  const d = x.dims[axis]!;
  let sizes: number[];
  if (ctx.opset >= 13 && inputs[1]) sizes = ints(inputs[1]);
  else if (ctx.opset < 13 && node.attrs.has('split')) sizes = node.attrInts('split');
  else {
    const chunk = Math.ceil(d / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
  }
  let off = 0;
  return sizes.map((sz) => {
    const begin = x.dims.map(() => 0), step = x.dims.map(() => 1), dims = [...x.dims];
    begin[axis] = off;
    dims[axis] = sz;
    off += sz;
    return gatherStrided(x, begin, step, dims);
  });
});
