import { need, onnxKernel, type Kernel } from '../kernel.js';
import { normAxis, rt, size, strides, type RTensor } from '../rtensor.js';

/** out[i…] = x[i… with the axis coordinate replaced by indices[i…]]; negative indices count from the end. */
export function computeGatherElements(x: RTensor, indices: RTensor, axis: number, what: string): RTensor {
  const rank = x.dims.length;
  if (indices.dims.length !== rank) throw new Error(`${what}: indices must have the data's rank ${rank}, got [${indices.dims.join(',')}]`);
  indices.dims.forEach((d, i) => {
    if (i !== axis && d > x.dims[i]!) throw new Error(`${what}: indices dim ${i} (${d}) exceeds the data's ${x.dims[i]}`);
  });
  const xs = strides(x.dims), is = strides(indices.dims);
  const n = x.dims[axis]!;
  const out = rt(x.dtype, indices.dims);
  for (let k = 0; k < size(indices.dims); k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) {
      let c = Math.floor(k / is[d]!) % indices.dims[d]!;
      if (d === axis) {
        c = indices.data[k]!;
        if (c < -n || c >= n) throw new Error(`${what}: index ${c} is out of range for a dim of ${n}`);
        if (c < 0) c += n;
      }
      src += c * xs[d]!;
    }
    out.data[k] = x.data[src]!;
  }
  return out;
}

const gatherElementsKernel: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node), idx = need(inputs, 1, node);
  const what = `node '${node.name}' (GatherElements)`;
  return [computeGatherElements(x, idx, normAxis(node.attrInt('axis', 0), x.dims.length, what), what)];
};

export const GatherElements = onnxKernel('GatherElements', gatherElementsKernel, 11);
