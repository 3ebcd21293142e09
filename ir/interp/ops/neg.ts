import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Neg: −x. */
export const Neg = onnxKernel('Neg', unaryKernel((x) => -x, (r, i) => [-r, -i]));
