import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Atan: atan x. */
export const Atan = onnxKernel('Atan', unaryKernel(Math.atan));
