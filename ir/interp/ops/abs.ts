import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Abs: |x|. */
export const Abs = onnxKernel('Abs', unaryKernel(Math.abs));
