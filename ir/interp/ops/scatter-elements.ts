import { need, onnxKernel, type Kernel } from '../kernel.js';
import { normAxis, rt, size, strides, type RTensor } from '../rtensor.js';

const REDUCE: Record<string, (old: number, upd: number) => number> = {
  none: (_old, upd) => upd,
  add: (old, upd) => old + upd,
  mul: (old, upd) => old * upd,
  max: Math.max,
  min: Math.min,
};

/**
 * out = x, then out[i… with the axis coordinate replaced by indices[i…]] = reduce(that, updates[i…])
 * for every i… of indices (in order; negative indices count from the end).
 */
export function computeScatterElements(x: RTensor, indices: RTensor, updates: RTensor, axis: number, reduction: string, what: string): RTensor {
  const rank = x.dims.length;
  const reduce = REDUCE[reduction];
  if (!reduce) throw new Error(`${what}: reduction '${reduction}' is not one of ${Object.keys(REDUCE).join(', ')}`);
  if (indices.dims.length !== rank || updates.dims.join(',') !== indices.dims.join(',')) {
    throw new Error(`${what}: indices [${indices.dims.join(',')}] and updates [${updates.dims.join(',')}] must have one shape of the data's rank ${rank}`);
  }
  indices.dims.forEach((d, i) => {
    if (i !== axis && d > x.dims[i]!) throw new Error(`${what}: indices dim ${i} (${d}) exceeds the data's ${x.dims[i]}`);
  });
  const xs = strides(x.dims), is = strides(indices.dims);
  const n = x.dims[axis]!;
  const out = rt(x.dtype, [...x.dims], Float64Array.from(x.data));
  for (let k = 0; k < size(indices.dims); k++) {
    let dst = 0;
    for (let d = 0; d < rank; d++) {
      let c = Math.floor(k / is[d]!) % indices.dims[d]!;
      if (d === axis) {
        c = indices.data[k]!;
        if (c < -n || c >= n) throw new Error(`${what}: index ${c} is out of range for a dim of ${n}`);
        if (c < 0) c += n;
      }
      dst += c * xs[d]!;
    }
    out.data[dst] = reduce(out.data[dst]!, updates.data[k]!);
  }
  return out;
}

const scatterElementsKernel: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node), idx = need(inputs, 1, node), upd = need(inputs, 2, node);
  const what = `node '${node.name}' (ScatterElements)`;
  return [computeScatterElements(x, idx, upd, normAxis(node.attrInt('axis', 0), x.dims.length, what), node.attrString('reduction', 'none'), what)];
};

export const ScatterElements = onnxKernel('ScatterElements', scatterElementsKernel, 11);
