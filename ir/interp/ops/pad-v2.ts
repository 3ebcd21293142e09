import { need, onnxKernel } from '../kernel.js';
import { padMode, padTensor, splitPads } from '../pad-core.js';

/** Pad, opsets 2-10: the pads and the constant value are attributes (`pads`, `value`). */
export const PadV2 = onnxKernel('Pad', (inputs, node) => {
  const x = need(inputs, 0, node);
  const [before, after] = splitPads(node, node.attrInts('pads'), x.dims.length);
  return [padTensor(node, x, before, after, padMode(node, false), node.attrFloat('value', 0))];
}, 2);
