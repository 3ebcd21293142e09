import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Pow: a ** b; the result takes the base's dtype. */
export const Pow = onnxKernel('Pow', binaryKernel((a, b) => a ** b));
