import { binaryKernel, cmul } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Mul: a · b (numpy broadcasting, complex products). */
export const Mul = onnxKernel('Mul', binaryKernel((a, b) => a * b, cmul));
