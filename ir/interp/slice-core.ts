import type { Node } from '../node.js';
import { normAxis, type RTensor } from './rtensor.js';
import { gatherStrided } from './strided.js';

const INT64_MAX = 2 ** 63;

/** Slice by per-axis starts, ends and steps (ONNX clamping rules; ±INT64_MAX mean "to the end"). */
export function sliceTensor(node: Node, x: RTensor, starts: number[], ends: number[], axes: number[], steps: number[]): RTensor {
  const rank = x.dims.length;
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new Error(`node '${node.name}' (Slice): starts, ends, axes and steps must have one entry per sliced axis`);
  }
  const begin = x.dims.map(() => 0), step = x.dims.map(() => 1), dims = [...x.dims];
  axes.forEach((a, i) => {
    const ax = normAxis(a, rank, node.name);
    const d = x.dims[ax]!;
    const st = steps[i]!;
    if (st === 0) throw new Error(`node '${node.name}' (Slice): step must not be 0`);
    let s = starts[i]!, e = ends[i]!;
    if (Math.abs(s) >= INT64_MAX / 2) s = s > 0 ? d : -d - 1;
    if (Math.abs(e) >= INT64_MAX / 2) e = e > 0 ? d : -d - 1;
    s = s < 0 ? s + d : s;
    e = e < 0 ? e + d : e;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    begin[ax] = s;
    step[ax] = st;
    dims[ax] = Math.max(0, Math.ceil((e - s) / st));
  });
  return gatherStrided(x, begin, step, dims);
}
