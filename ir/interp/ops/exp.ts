import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Exp: eˣ (complex: e^re · (cos im, sin im)). */
export const Exp = onnxKernel('Exp', unaryKernel(Math.exp, (r, i) => [Math.exp(r) * Math.cos(i), Math.exp(r) * Math.sin(i)]));
