import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Sqrt: √x. */
export const Sqrt = onnxKernel('Sqrt', unaryKernel(Math.sqrt));
