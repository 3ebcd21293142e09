import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Sigmoid: 1 / (1 + e⁻ˣ). */
export const Sigmoid = onnxKernel('Sigmoid', unaryKernel((x) => 1 / (1 + Math.exp(-x))));
