import { csubRun, runKernel, subRun } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Sub: a − b (numpy broadcasting). */
export const Sub = onnxKernel('Sub', runKernel(subRun, csubRun));
