import { need, onnxKernel } from '../kernel.js';
import { rt } from '../rtensor.js';

/** Shape: the input's dims as int64, optionally the [start, end) part (opset 15). */
export const Shape = onnxKernel('Shape', (inputs, node) => {
  const x = need(inputs, 0, node);
  const rank = x.dims.length;
  const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const dims = x.dims.slice(clamp(node.attrInt('start', 0)), clamp(node.attrInt('end', rank)));
  return [rt('int64', [dims.length], Float64Array.from(dims))];
});
