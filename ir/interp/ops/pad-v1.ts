import { need, onnxKernel } from '../kernel.js';
import { padMode, padTensor, splitPads } from '../pad-core.js';

/** Pad, opset 1: as opset 2, but the pads attribute is named `paddings`. */
export const PadV1 = onnxKernel('Pad', (inputs, node) => {
  const x = need(inputs, 0, node);
  const [before, after] = splitPads(node, node.attrInts('paddings'), x.dims.length);
  return [padTensor(node, x, before, after, padMode(node, false), node.attrFloat('value', 0))];
}, 1);
