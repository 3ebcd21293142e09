import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Ceil: ⌈x⌉. */
export const Ceil = onnxKernel('Ceil', unaryKernel(Math.ceil));
