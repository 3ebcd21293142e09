import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Sign: −1, 0 or 1. */
export const Sign = onnxKernel('Sign', unaryKernel(Math.sign));
