import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Cos: cos x. */
export const Cos = onnxKernel('Cos', unaryKernel(Math.cos));
