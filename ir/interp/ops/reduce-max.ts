import { onnxKernel } from '../kernel.js';
import { reduceKernel } from '../reduce.js';

/** ReduceMax: maximum over `axes` (an input from opset 18). */
export const ReduceMax = onnxKernel('ReduceMax', reduceKernel({ init: -Infinity, step: Math.max }, 18));
