import { need, onnxKernel } from '../kernel.js';
import { rt, size } from '../rtensor.js';

/** Size: the input's element count as an int64 scalar. */
export const Size = onnxKernel('Size', (inputs, node) => [rt('int64', [], Float64Array.of(size(need(inputs, 0, node).dims)))]);
