import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** LessOrEqual: a ≤ b, as bool. */
export const LessOrEqual = onnxKernel('LessOrEqual', binaryKernel((a, b) => +(a <= b), undefined, 'bool'));
