import { axesArg } from '../axes.js';
import { need, onnxKernel } from '../kernel.js';
import { normAxis } from '../rtensor.js';

/** Squeeze: drop the size-1 axes named (an input from opset 13, an attribute before), or all of them. */
export const Squeeze = onnxKernel('Squeeze', (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  const axes = axesArg(inputs, node, ctx, 13).map((a) => normAxis(a, x.dims.length, node.name));
  const dims = x.dims.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1));
  return [{ ...x, dims }];
});
