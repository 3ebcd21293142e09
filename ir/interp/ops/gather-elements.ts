import { need, onnxKernel, type Kernel } from '../kernel.js';
import { normAxis, rt, size, strides, type RTensor } from '../rtensor.js';

/**
 * The data offsets that the elements of `indices` name: element k's own coordinates, with the one
 * along `axis` replaced by the index it holds (negative counts from the end). Shared by
 * GatherElements (read there) and ScatterElements (write there); O(size(indices) · rank).
 */
export function indexedOffsets(x: RTensor, indices: RTensor, axis: number, what: string): Float64Array {
  const rank = x.dims.length;
  indices.dims.forEach((d, i) => {
    if (i !== axis && d > x.dims[i]!) throw new Error(`${what}: indices dim ${i} (${d}) exceeds the data's ${x.dims[i]}`);
  });
  const xs = strides(x.dims), is = strides(indices.dims);
  const n = x.dims[axis]!;
  const count = size(indices.dims);
  const offsets = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let at = 0;
    for (let d = 0; d < rank; d++) {
      let c = Math.floor(k / is[d]!) % indices.dims[d]!;
      if (d === axis) {
        c = indices.data[k]!;
        if (c < -n || c >= n) throw new Error(`${what}: index ${c} is out of range for a dim of ${n}`);
        if (c < 0) c += n;
      }
      at += c * xs[d]!;
    }
    offsets[k] = at;
  }
  return offsets;
}

/** out[i…] = x[i… with the axis coordinate replaced by indices[i…]]; negative indices count from the end. */
export function computeGatherElements(x: RTensor, indices: RTensor, axis: number, what: string): RTensor {
  const rank = x.dims.length;
  if (indices.dims.length !== rank) throw new Error(`${what}: indices must have the data's rank ${rank}, got [${indices.dims.join(',')}]`);
  const offsets = indexedOffsets(x, indices, axis, what);
  const out = rt(x.dtype, indices.dims);
  for (let k = 0; k < offsets.length; k++) out.data[k] = x.data[offsets[k]!]!;
  return out;
}

const gatherElementsKernel: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node), idx = need(inputs, 1, node);
  const what = `node '${node.name}' (GatherElements)`;
  return [computeGatherElements(x, idx, normAxis(node.attrInt('axis', 0), x.dims.length, what), what)];
};

export const GatherElements = onnxKernel('GatherElements', gatherElementsKernel, 11);
