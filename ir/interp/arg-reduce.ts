import type { Node } from '../node.js';
import { normAxis, rt, size, type RTensor } from './rtensor.js';

export interface ArgReduceAttrs {
  axis: number;
  keepdims: boolean;
  selectLast: boolean;
}

export function parseArgReduceAttrs(node: Node, rank: number): ArgReduceAttrs {
  return {
    axis: normAxis(node.attrInt('axis', 0), rank, `node '${node.name}' (${node.op})`),
    keepdims: node.attrInt('keepdims', 1) === 1,
    selectLast: node.attrInt('select_last_index', 0) === 1,
  };
}

/** Index (int64) of the first — or with select_last_index the last — extreme value along the axis. */
export function argReduce(x: RTensor, a: ArgReduceAttrs, better: (candidate: number, best: number) => boolean): RTensor {
  const outer = size(x.dims.slice(0, a.axis)), n = x.dims[a.axis]!, inner = size(x.dims.slice(a.axis + 1));
  const dims = a.keepdims ? x.dims.map((d, i) => (i === a.axis ? 1 : d)) : x.dims.filter((_, i) => i !== a.axis);
  const out = rt('int64', dims);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const at = (i: number) => x.data[(o * n + i) * inner + q]!;
      let best = 0;
      for (let i = 1; i < n; i++) {
        if (better(at(i), at(best)) || (a.selectLast && at(i) === at(best))) best = i;
      }
      out.data[o * inner + q] = best;
    }
  }
  return out;
}
