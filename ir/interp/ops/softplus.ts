import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Softplus: log(1 + eˣ), exact for large x. */
export const Softplus = onnxKernel('Softplus', unaryKernel((x) => (x > 30 ? x : Math.log1p(Math.exp(x)))));
