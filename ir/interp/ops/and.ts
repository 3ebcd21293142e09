import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** And: logical and of bools. */
export const And = onnxKernel('And', binaryKernel((a, b) => +(a && b), undefined, 'bool'));
