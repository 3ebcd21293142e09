import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Tanh: tanh x. */
export const Tanh = onnxKernel('Tanh', unaryKernel(Math.tanh));
