import { isComplex, typeToString, type TensorType } from '../types.js';
import { rt, size, type RTensor } from './rtensor.js';

/**
 * Taking one index along an axis and stacking along a new axis: the slicing Scan and Loop do
 * on their sequences. Complex tensors move (re, im) pairs together.
 */

const width = (t: RTensor) => (isComplex(t.dtype) ? 2 : 1);

/** x[..., index, ...] along `axis`, that axis removed. */
export function takeAt(x: RTensor, axis: number, index: number): RTensor {
  const w = width(x);
  const outer = size(x.dims.slice(0, axis));
  const inner = size(x.dims.slice(axis + 1)) * w;
  const n = x.dims[axis]!;
  const out = rt(x.dtype, [...x.dims.slice(0, axis), ...x.dims.slice(axis + 1)]);
  for (let o = 0; o < outer; o++) {
    const src = (o * n + index) * inner;
    out.data.set(x.data.subarray(src, src + inner), o * inner);
  }
  return out;
}

/** Stack equally shaped tensors along a new axis `axis` (0 ≤ axis ≤ rank). */
export function stackAt(parts: readonly RTensor[], axis: number, what: string): RTensor {
  const first = parts[0];
  if (!first) throw new Error(`internal: ${what}: nothing to stack`);
  for (const p of parts) {
    if (p.dtype !== first.dtype || p.dims.join() !== first.dims.join()) {
      throw new Error(`${what}: the per-iteration outputs must all have one type, got ${first.dtype}[${first.dims.join(',')}] and ${p.dtype}[${p.dims.join(',')}]`);
    }
  }
  const w = width(first);
  const outer = size(first.dims.slice(0, axis));
  const inner = size(first.dims.slice(axis)) * w;
  const n = parts.length;
  const out = rt(first.dtype, [...first.dims.slice(0, axis), n, ...first.dims.slice(axis)]);
  parts.forEach((p, i) => {
    for (let o = 0; o < outer; o++) out.data.set(p.data.subarray(o * inner, (o + 1) * inner), (o * n + i) * inner);
  });
  return out;
}

/**
 * The stack of zero iterations: its element shape can only come from the body's declared output
 * type, so that type must be fully static.
 */
export function emptyStack(type: TensorType, axis: number, what: string): RTensor {
  const dims = type.shape;
  if (dims === null || dims.some((d) => typeof d !== 'number')) {
    throw new Error(`${what}: zero iterations leave a scan output whose shape is not static (${typeToString(type)})`);
  }
  const fixed = dims as number[];
  return rt(type.dtype, [...fixed.slice(0, axis), 0, ...fixed.slice(axis)]);
}
