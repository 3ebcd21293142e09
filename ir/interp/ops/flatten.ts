import { sizeOf } from '../../tensor.js';
import { need, onnxKernel } from '../kernel.js';

/** Flatten: the dims before `axis` into one, the rest into another. */
export const Flatten = onnxKernel('Flatten', (inputs, node) => {
  const x = need(inputs, 0, node);
  const axis = node.attrInt('axis', 1);
  const a = axis < 0 ? axis + x.dims.length : axis;
  return [{ ...x, dims: [sizeOf(x.dims.slice(0, a)), sizeOf(x.dims.slice(a))] }];
});
