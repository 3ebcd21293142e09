import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Add: a + b (numpy broadcasting; complex operands add pairwise). */
export const Add = onnxKernel('Add', binaryKernel((a, b) => a + b, (ar, ai, br, bi) => [ar + br, ai + bi]));
