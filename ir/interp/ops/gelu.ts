import { erf } from '../erf.js';
import { need, onnxKernel } from '../kernel.js';
import { rt } from '../rtensor.js';

/** Gelu (opset 20): exact (erf) or tanh-approximated. */
export const Gelu = onnxKernel('Gelu', (inputs, node) => {
  const x = need(inputs, 0, node);
  const tanh = node.attrString('approximate', 'none') === 'tanh';
  const out = rt(x.dtype, x.dims);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i]!;
    out.data[i] = tanh ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))) : 0.5 * v * (1 + erf(v / Math.SQRT2));
  }
  return [out];
}, 20);
