import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Sin: sin x (its own loop: hot when chunk weights fold). */
export const Sin = onnxKernel('Sin', unaryKernel({
  loop: (out, a) => {
    for (let k = 0; k < a.length; k++) out[k] = Math.sin(a[k]!);
  },
}));
