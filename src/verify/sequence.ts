import { f32, i64, type Tensor } from '../../ir/tensor.js';

/**
 * Sequence tensors in the layouts the models use — BHL, BLH (features last) and BL (token ids) —
 * sliced by position, and one position's values as a step-graph input or output.
 */
export type Layout = 'BHL' | 'BLH' | 'BL';

export function lengthOf(x: Tensor, layout: Layout): number {
  return layout === 'BHL' ? x.dims[2]! : x.dims[1]!;
}

/** Positions [from, to) of x, in the same layout. */
export function slicePositions(x: Tensor, layout: Layout, from: number, to: number): Tensor {
  const B = x.dims[0]!, L = lengthOf(x, layout), n = to - from;
  if (layout === 'BL') {
    const d = x.data as BigInt64Array;
    return i64(Array.from({ length: B * n }, (_, i) => d[Math.floor(i / n) * L + from + (i % n)]!), [B, n]);
  }
  const H = layout === 'BHL' ? x.dims[1]! : x.dims[2]!;
  const d = x.data as Float32Array, out = new Float32Array(B * H * n);
  for (let b = 0; b < B; b++) for (let t = 0; t < n; t++) for (let h = 0; h < H; h++) {
    const src = layout === 'BHL' ? (b * H + h) * L + from + t : (b * L + from + t) * H + h;
    out[layout === 'BHL' ? (b * H + h) * n + t : (b * n + t) * H + h] = d[src]!;
  }
  return f32(out, layout === 'BHL' ? [B, H, n] : [B, n, H]);
}

/** Position t as a step input: [B,H] features, or [B] token ids. */
export function stepInput(x: Tensor, layout: Layout, t: number): Tensor {
  const one = slicePositions(x, layout, t, t + 1);
  return layout === 'BL' ? i64(Array.from(one.data as BigInt64Array), [x.dims[0]!]) : f32(one.data as Float32Array, [x.dims[0]!, (one.data as Float32Array).length / x.dims[0]!]);
}

/** Step outputs (one per position, [B,W]) reassembled into the convolution graph's output layout. */
export function assemble(outputs: Tensor[], layout: Layout): Float32Array {
  const L = outputs.length, B = outputs[0]!.dims[0]!, W = outputs[0]!.dims[1]!;
  const out = new Float32Array(B * W * L);
  outputs.forEach((o, t) => (o.data as Float32Array).forEach((v, i) => {
    const b = Math.floor(i / W), w = i % W;
    out[layout === 'BHL' ? (b * W + w) * L + t : (b * L + t) * W + w] = v;
  }));
  return out;
}
