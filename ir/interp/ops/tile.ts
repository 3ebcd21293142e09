import { need, onnxKernel } from '../kernel.js';
import { ints, rt, size, strides } from '../rtensor.js';
import { width } from '../strided.js';

/** Tile: repeat the input `repeats[d]` times along each axis. */
export const Tile = onnxKernel('Tile', (inputs, node) => {
  const x = need(inputs, 0, node);
  const reps = ints(need(inputs, 1, node));
  if (reps.length !== x.dims.length || reps.some((r) => r < 0)) {
    throw new Error(`node '${node.name}' (Tile): repeats must hold one non-negative count per axis of [${x.dims.join(',')}], got [${reps.join(',')}]`);
  }
  const dims = x.dims.map((d, i) => d * reps[i]!);
  const w = width(x);
  const inS = strides(x.dims);
  const out = rt(x.dtype, dims);
  const rank = dims.length;
  const counter = new Array<number>(rank).fill(0);
  for (let k = 0; k < size(dims); k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (counter[d]! % x.dims[d]!) * inS[d]!;
    for (let c = 0; c < w; c++) out.data[k * w + c] = x.data[src * w + c]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d]! < dims[d]!) break;
      counter[d] = 0;
    }
  }
  return [out];
}, 6);
