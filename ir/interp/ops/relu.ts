import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Relu: max(0, x). */
export const Relu = onnxKernel('Relu', unaryKernel((x) => Math.max(0, x)));
