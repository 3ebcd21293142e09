import { need, onnxKernel } from '../kernel.js';
import { fromTensor, ints, rt } from '../rtensor.js';

/** ConstantOfShape: a tensor of the given dims filled with `value` (default float32 0). */
export const ConstantOfShape = onnxKernel('ConstantOfShape', (inputs, node) => {
  const dims = ints(need(inputs, 0, node));
  const a = node.attrs.get('value');
  const v = a?.kind === 'tensor' ? fromTensor(a.value) : null;
  const out = rt(v?.dtype ?? 'float32', dims);
  out.data.fill(v ? v.data[0]! : 0);
  return [out];
});
