import { unaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Floor: ⌊x⌋. */
export const Floor = onnxKernel('Floor', unaryKernel(Math.floor));
