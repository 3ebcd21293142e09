import { onnxKernel } from '../kernel.js';
import { reduceKernel } from '../reduce.js';

/** ReduceMean: mean over `axes` (an input from opset 18). */
export const ReduceMean = onnxKernel('ReduceMean', reduceKernel({ init: 0, step: (a, x) => a + x, finish: (a, n) => a / n }, 18));
