import { cmulRun, mulRun, runKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Mul: a · b (numpy broadcasting, complex products). */
export const Mul = onnxKernel('Mul', runKernel(mulRun, cmulRun));
