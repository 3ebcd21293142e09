import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Equal: a = b, as bool. */
export const Equal = onnxKernel('Equal', binaryKernel((a, b) => +(a === b), undefined, 'bool'));
