import { isComplex } from '../types.js';
import { broadcastIndex, rt, size, strides, type RTensor } from './rtensor.js';

/** Data movement shared by the shape kernels (Slice, Split, Expand, Concat). */

/** Elements are `w` float64 slots wide: 2 for complex. */
export const width = (t: RTensor): number => (isComplex(t.dtype) ? 2 : 1);

/** out[i…] = x[begin + i·step …] for every output coordinate. */
export function gatherStrided(x: RTensor, begin: number[], step: number[], dims: number[]): RTensor {
  const w = width(x);
  const inS = strides(x.dims);
  const out = rt(x.dtype, dims);
  const n = size(dims);
  const rank = dims.length;
  const counter = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (begin[d]! + counter[d]! * step[d]!) * inS[d]!;
    for (let c = 0; c < w; c++) out.data[k * w + c] = x.data[src * w + c]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d]! < dims[d]!) break;
      counter[d] = 0;
    }
  }
  return out;
}

export function broadcastTo(x: RTensor, dims: number[]): RTensor {
  const w = width(x);
  const idx = broadcastIndex(x.dims, dims);
  const out = rt(x.dtype, dims);
  for (let k = 0; k < idx.length; k++) for (let c = 0; c < w; c++) out.data[k * w + c] = x.data[idx[k]! * w + c]!;
  return out;
}

/** A real tensor as complex64 (imaginary parts 0). */
export function promoteComplex(t: RTensor): RTensor {
  if (isComplex(t.dtype)) return t;
  const out = rt('complex64', t.dims);
  for (let i = 0; i < t.data.length; i++) out.data[2 * i] = t.data[i]!;
  return out;
}
