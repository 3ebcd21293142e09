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
  if (n === 0) return [out];
  // Runs along the last output axis, whose input stride is fixed; the outer axes by counter.
  const last = rank - 1, len = rank === 0 ? 1 : dims[last]!, step = rank === 0 ? 0 : inS[perm[last]!]! * w;
  const counter = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  const X = x.data, O = out.data;
  for (let k = 0; k < n; k += len) {
    let src = 0;
    for (let d = 0; d < last; d++) src += counter[d]! * inS[perm[d]!]!;
    src *= w;
    if (w === 1) for (let j = 0, s = src; j < len; j++, s += step) O[k + j] = X[s]!;
    else for (let j = 0, s = src; j < len; j++, s += step) {
      O[2 * (k + j)] = X[s]!;
      O[2 * (k + j) + 1] = X[s + 1]!;
    }
    for (let d = last - 1; d >= 0; d--) {
      if (++counter[d]! < dims[d]!) break;
      counter[d] = 0;
    }
  }
  return [out];
});
