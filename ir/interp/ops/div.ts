import { binaryKernel, cdivRun, divRun, intAware, runKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Div: a / b; on integers it truncates toward zero, as ONNX Div does. */
export const Div = onnxKernel('Div', intAware(runKernel(divRun, cdivRun), binaryKernel((a, b) => Math.trunc(a / b))));
