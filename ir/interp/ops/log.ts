import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Log: natural log (complex: principal branch). */
export const Log = onnxKernel('Log', unaryKernel(Math.log, (r, i) => [0.5 * Math.log(r * r + i * i), Math.atan2(i, r)]));
