import { variadicKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Max: elementwise maximum of any number of inputs. */
export const Max = onnxKernel('Max', variadicKernel(Math.max));
