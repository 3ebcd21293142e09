import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Neg: −x (its own loop: hot when chunk weights fold). */
export const Neg = onnxKernel('Neg', unaryKernel({
  loop: (out, a) => {
    for (let k = 0; k < a.length; k++) out[k] = -a[k]!;
  },
}, (r, i) => [-r, -i]));
