import { need, onnxKernel } from '../kernel.js';
import { ints } from '../rtensor.js';
import { sliceTensor } from '../slice-core.js';

/** Slice (opset 10+): starts, ends and the optional axes and steps are inputs. */
export const Slice = onnxKernel('Slice', (inputs, node) => {
  const x = need(inputs, 0, node);
  const starts = ints(need(inputs, 1, node)), ends = ints(need(inputs, 2, node));
  const axes = inputs[3] ? ints(inputs[3]) : starts.map((_, i) => i);
  const steps = inputs[4] ? ints(inputs[4]) : starts.map(() => 1);
  return [sliceTensor(node, x, starts, ends, axes, steps)];
}, 10);
