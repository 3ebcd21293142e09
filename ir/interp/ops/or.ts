import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Or: logical or of bools. */
export const Or = onnxKernel('Or', binaryKernel((a, b) => +(a || b), undefined, 'bool'));
