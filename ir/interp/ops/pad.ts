import { need, onnxKernel } from '../kernel.js';
import { padMode, padTensor, splitPads } from '../pad-core.js';
import { ints, normAxis } from '../rtensor.js';

/**
 * Pad (opset 11+): pads and the constant value are inputs; opset 18 adds `axes` (input 3),
 * opset 19 the mode 'wrap'. Negative pads crop.
 */
export const Pad = onnxKernel('Pad', (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  const rank = x.dims.length;
  const axes = inputs[3] ? ints(inputs[3]).map((a) => normAxis(a, rank, node.name)) : undefined;
  const [before, after] = splitPads(node, ints(need(inputs, 1, node)), rank, axes);
  const value = inputs[2] && inputs[2].data.length > 0 ? inputs[2].data[0]! : 0;
  return [padTensor(node, x, before, after, padMode(node, ctx.opset >= 19), value)];
}, 11);
