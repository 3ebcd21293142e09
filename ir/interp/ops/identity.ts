import { need, onnxKernel } from '../kernel.js';

/** Identity: the input itself. */
export const Identity = onnxKernel('Identity', (inputs, node) => [need(inputs, 0, node)]);
