import { need, onnxKernel } from '../kernel.js';
import { rt, size, strides } from '../rtensor.js';
import { width } from '../strided.js';

/** Transpose by `perm` (default: reverse the axes). */
export const Transpose = onnxKernel('Transpose', (inputs, node) => {
  const x = need(inputs, 0, node);
  const rank = x.dims.length;
  const perm = node.attrInts('perm', [...Array(rank).keys()].reverse());
  const dims = perm.map((p) => x.dims[p]!);
  const w = width(x);
  const inS = strides(x.dims);
  const out = rt(x.dtype, dims);
  const n = size(dims);
  const counter = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += counter[d]! * inS[perm[d]!]!;
    for (let c = 0; c < w; c++) out.data[k * w + c] = x.data[src * w + c]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d]! < dims[d]!) break;
      counter[d] = 0;
    }
  }
  return [out];
});
