import { unaryKernel } from '../elementwise.js';
import { erf } from '../erf.js';
import { onnxKernel } from '../kernel.js';

/** Erf: the error function, to ~1e-16. */
export const Erf = onnxKernel('Erf', unaryKernel(erf));
