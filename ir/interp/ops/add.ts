import { addRun, caddRun, runKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Add: a + b (numpy broadcasting; complex operands add pairwise). */
export const Add = onnxKernel('Add', runKernel(addRun, caddRun));
