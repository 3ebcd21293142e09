import { onnxKernel } from '../kernel.js';
import { reduceKernel } from '../reduce.js';

/** ReduceMin: minimum over `axes` (an input from opset 18). */
export const ReduceMin = onnxKernel('ReduceMin', reduceKernel({ init: Infinity, step: Math.min }, 18));
