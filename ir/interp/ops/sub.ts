import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Sub: a − b (numpy broadcasting). */
export const Sub = onnxKernel('Sub', binaryKernel((a, b) => a - b, (ar, ai, br, bi) => [ar - br, ai - bi]));
