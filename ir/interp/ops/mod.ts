import { binaryKernel } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

const FLOOR_MOD = binaryKernel((a, b) => a - b * Math.floor(a / b));
const FMOD = binaryKernel((a, b) => a % b);

/** Mod: fmod=0 (integers) takes the divisor's sign, like Python's %; fmod=1 the dividend's, like C's fmod. */
export const Mod = onnxKernel('Mod', (inputs, node, ctx) => (node.attrInt('fmod', 0) === 1 ? FMOD : FLOOR_MOD)(inputs, node, ctx));
