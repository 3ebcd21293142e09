import { sizeOf } from '../../tensor.js';
import { need, onnxKernel } from '../kernel.js';
import { normAxis, rt } from '../rtensor.js';
import { width } from '../strided.js';

/** Gather: whole slices along `axis` picked by the indices (negative ones count from the end). */
export const Gather = onnxKernel('Gather', (inputs, node) => {
  const x = need(inputs, 0, node), idx = need(inputs, 1, node);
  const axis = normAxis(node.attrInt('axis', 0), x.dims.length, node.name);
  const w = width(x);
  const outer = sizeOf(x.dims.slice(0, axis)), inner = sizeOf(x.dims.slice(axis + 1)) * w;
  const d = x.dims[axis]!;
  const dims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
  const out = rt(x.dtype, dims);
  const m = idx.data.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      let i = idx.data[j]!;
      if (i < 0) i += d;
      if (i < 0 || i >= d) throw new Error(`node '${node.name}' (Gather): index ${idx.data[j]} is out of range for a dim of ${d}`);
      const src = (o * d + i) * inner, dst = (o * m + j) * inner;
      // Short slices by hand: a subarray view per element costs more than the copy.
      if (inner < 64) for (let c = 0; c < inner; c++) out.data[dst + c] = x.data[src + c]!;
      else out.data.set(x.data.subarray(src, src + inner), dst);
    }
  }
  return [out];
});
