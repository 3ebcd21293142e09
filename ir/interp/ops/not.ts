import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Not: logical not. */
export const Not = onnxKernel('Not', unaryKernel((x) => +!x));
