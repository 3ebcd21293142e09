import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Less: a < b, as bool. */
export const Less = onnxKernel('Less', binaryKernel((a, b) => +(a < b), undefined, 'bool'));
