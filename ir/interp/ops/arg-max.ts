import { argReduce, parseArgReduceAttrs } from '../arg-reduce.js';
import { need, onnxKernel, type Kernel } from '../kernel.js';

/** ArgMax along any axis (keepdims, select_last_index). */
const argMaxKernel: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  return [argReduce(x, parseArgReduceAttrs(node, x.dims.length), (c, b) => c > b)];
};

export const ArgMax = onnxKernel('ArgMax', argMaxKernel);
