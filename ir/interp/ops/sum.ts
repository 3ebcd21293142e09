import { addRun, variadicKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Sum: elementwise sum of any number of inputs. */
export const Sum = onnxKernel('Sum', variadicKernel(addRun));
