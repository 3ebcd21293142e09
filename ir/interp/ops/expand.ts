import { need, onnxKernel } from '../kernel.js';
import { broadcastDims, ints } from '../rtensor.js';
import { broadcastTo } from '../strided.js';

/** Expand: broadcast the input against the given shape. */
export const Expand = onnxKernel('Expand', (inputs, node) => {
  const x = need(inputs, 0, node);
  const dims = broadcastDims(x.dims, ints(need(inputs, 1, node)), `node '${node.name}' (Expand)`);
  return [broadcastTo(x, dims)];
});
