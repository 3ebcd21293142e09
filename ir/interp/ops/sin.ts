import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Sin: sin x. */
export const Sin = onnxKernel('Sin', unaryKernel(Math.sin));
