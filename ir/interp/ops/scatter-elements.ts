import { need, onnxKernel, type Kernel } from '../kernel.js';
import { normAxis, rt, type RTensor } from '../rtensor.js';
import { indexedOffsets } from './gather-elements.js';

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
  const offsets = indexedOffsets(x, indices, axis, what);
  const out = rt(x.dtype, [...x.dims], Float64Array.from(x.data));
  for (let k = 0; k < offsets.length; k++) out.data[offsets[k]!] = reduce(out.data[offsets[k]!]!, updates.data[k]!);
  return out;
}

const scatterElementsKernel: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node), idx = need(inputs, 1, node), upd = need(inputs, 2, node);
  const what = `node '${node.name}' (ScatterElements)`;
  return [computeScatterElements(x, idx, upd, normAxis(node.attrInt('axis', 0), x.dims.length, what), node.attrString('reduction', 'none'), what)];
};

export const ScatterElements = onnxKernel('ScatterElements', scatterElementsKernel, 11);
