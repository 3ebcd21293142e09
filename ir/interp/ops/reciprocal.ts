import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Reciprocal: 1/x. */
export const Reciprocal = onnxKernel('Reciprocal', unaryKernel((x) => 1 / x));
