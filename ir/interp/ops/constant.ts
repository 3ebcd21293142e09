import { onnxKernel } from '../kernel.js';
import { fromTensor, rt } from '../rtensor.js';

/** Constant: its `value` tensor, or one of the value_float(s) / value_int(s) forms of opset 12. */
export const Constant = onnxKernel('Constant', (_inputs, node) => {
  const a = node.attrs.get('value');
  if (a?.kind === 'tensor') return [fromTensor(a.value)];
  const f = node.attrs.get('value_float'), i = node.attrs.get('value_int');
  if (f?.kind === 'float') return [rt('float32', [], Float64Array.of(f.value))];
  if (i?.kind === 'int') return [rt('int64', [], Float64Array.of(i.value))];
  const fs = node.attrs.get('value_floats'), is = node.attrs.get('value_ints');
  if (fs?.kind === 'floats') return [rt('float32', [fs.value.length], Float64Array.from(fs.value))];
  if (is?.kind === 'ints') return [rt('int64', [is.value.length], Float64Array.from(is.value))];
  throw new Error(`node '${node.name}' (Constant): no supported value attribute`);
});
