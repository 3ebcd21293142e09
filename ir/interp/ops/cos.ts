import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Cos: cos x (its own loop: hot when chunk weights fold). */
export const Cos = onnxKernel('Cos', unaryKernel({
  loop: (out, a) => {
    for (let k = 0; k < a.length; k++) out[k] = Math.cos(a[k]!);
  },
}));
