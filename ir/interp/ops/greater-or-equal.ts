import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** GreaterOrEqual: a ≥ b, as bool. */
export const GreaterOrEqual = onnxKernel('GreaterOrEqual', binaryKernel((a, b) => +(a >= b), undefined, 'bool'));
