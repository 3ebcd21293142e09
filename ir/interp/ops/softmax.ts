import { need, onnxKernel, type Kernel } from '../kernel.js';
import { parseSoftmaxLanes, softmaxOverLanes } from '../softmax-lanes.js';

/** Softmax along any axis, with the opset-13 change of meaning (see softmax-lanes.ts). */
const softmaxKernel: Kernel = (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  return [softmaxOverLanes(x, parseSoftmaxLanes(node, ctx, x.dims), false)];
};

export const Softmax = onnxKernel('Softmax', softmaxKernel);
