import { variadicKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Min: elementwise minimum of any number of inputs. */
export const Min = onnxKernel('Min', variadicKernel(Math.min));
