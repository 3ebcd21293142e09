import { axesArg } from '../axes.js';
import { need, onnxKernel } from '../kernel.js';
import { normAxis } from '../rtensor.js';

/** Unsqueeze: insert size-1 axes at `axes` (an input from opset 13, an attribute before). */
export const Unsqueeze = onnxKernel('Unsqueeze', (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  const axes = axesArg(inputs, node, ctx, 13);
  const rank = x.dims.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, node.name));
  const dims: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) dims.push(norm.includes(i) ? 1 : x.dims[j++]!);
  return [{ ...x, dims }];
});
