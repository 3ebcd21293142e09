import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Greater: a > b, as bool. */
export const Greater = onnxKernel('Greater', binaryKernel((a, b) => +(a > b), undefined, 'bool'));
