import { binaryKernel, cdiv, intAware } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Div: a / b; on integers it truncates toward zero, as ONNX Div does. */
export const Div = onnxKernel('Div', intAware(binaryKernel((a, b) => a / b, cdiv), binaryKernel((a, b) => Math.trunc(a / b))));
