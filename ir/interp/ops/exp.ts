import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Exp: eˣ (complex: e^re · (cos im, sin im)); its own loops: hot when chunk weights fold. */
export const Exp = onnxKernel('Exp', unaryKernel({
  loop: (out, a) => {
    for (let k = 0; k < a.length; k++) out[k] = Math.exp(a[k]!);
  },
}, {
  loop: (out, a) => {
    for (let k = 0; k < a.length; k += 2) {
      const m = Math.exp(a[k]!), t = a[k + 1]!;
      out[k] = m * Math.cos(t);
      out[k + 1] = m * Math.sin(t);
    }
  },
}));
