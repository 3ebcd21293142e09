import { need, onnxKernel, type Kernel } from '../kernel.js';
import { broadcastDims, broadcastIndex, rt } from '../rtensor.js';

const where: Kernel = (inputs, node) => {
  const c = need(inputs, 0, node), a = need(inputs, 1, node), b = need(inputs, 2, node);
  const what = `node '${node.name}' (Where)`;
  const dims = broadcastDims(broadcastDims(c.dims, a.dims, what), b.dims, what);
  const ic = broadcastIndex(c.dims, dims), ia = broadcastIndex(a.dims, dims), ib = broadcastIndex(b.dims, dims);
  const out = rt(a.dtype, dims);
  for (let k = 0; k < out.data.length; k++) out.data[k] = c.data[ic[k]!] ? a.data[ia[k]!]! : b.data[ib[k]!]!;
  return [out];
};

/** Where: a where the condition holds, else b (all three broadcast). */
export const Where = onnxKernel('Where', where);
