import { onnxKernel } from '../kernel.js';
import { reduceKernel } from '../reduce.js';

/** ReduceSum: sum over `axes` (an input from opset 13). */
export const ReduceSum = onnxKernel('ReduceSum', reduceKernel({ init: 0, step: (a, x) => a + x }, 13));
