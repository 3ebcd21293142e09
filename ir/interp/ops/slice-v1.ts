import { need, onnxKernel } from '../kernel.js';
import { sliceTensor } from '../slice-core.js';

/** Slice, opsets 1-9: starts, ends and the optional axes are attributes; every step is 1. */
export const SliceV1 = onnxKernel('Slice', (inputs, node) => {
  const x = need(inputs, 0, node);
  const starts = node.attrInts('starts'), ends = node.attrInts('ends');
  const axes = node.attrInts('axes', starts.map((_, i) => i));
  return [sliceTensor(node, x, starts, ends, axes, starts.map(() => 1))];
}, 1);
