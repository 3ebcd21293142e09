import { sizeOf } from '../../tensor.js';
import { need, onnxKernel } from '../kernel.js';
import { ints, size } from '../rtensor.js';

/** Reshape: 0 copies the input's dim (unless allowzero), −1 takes what is left. */
export const Reshape = onnxKernel('Reshape', (inputs, node) => {
  const x = need(inputs, 0, node);
  const target = ints(need(inputs, 1, node));
  const allowZero = node.attrInt('allowzero', 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? x.dims[i]! : d));
  const minus = dims.indexOf(-1);
  if (minus >= 0) dims[minus] = size(x.dims) / sizeOf(dims.filter((_, i) => i !== minus));
  if (size(dims) !== size(x.dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`node '${node.name}' (Reshape): cannot reshape [${x.dims.join(',')}] to [${target.join(',')}]`);
  }
  return [{ ...x, dims }];
}, 5);
