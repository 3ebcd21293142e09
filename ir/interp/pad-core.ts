import type { Node } from '../node.js';
import { rt, size, strides, type RTensor } from './rtensor.js';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

const MODES: readonly string[] = ['constant', 'reflect', 'edge', 'wrap'];

export function padMode(node: Node, allowWrap: boolean): PadMode {
  const mode = node.attrString('mode', 'constant');
  if (!MODES.includes(mode) || (mode === 'wrap' && !allowWrap)) {
    throw new Error(`node '${node.name}' (Pad): mode must be constant, reflect or edge${allowWrap ? ' or wrap' : ''}, got '${mode}'`);
  }
  return mode as PadMode;
}

/**
 * The source coordinate of output coordinate `c` on an axis of `d` elements padded by `before`
 * (negative pads crop), or −1 where a constant pad shows. reflect mirrors without repeating the
 * edge, edge repeats it, wrap continues from the other end.
 */
function sourceIndex(c: number, before: number, d: number, mode: PadMode): number {
  let i = c - before;
  if (i >= 0 && i < d) return i;
  if (mode === 'constant' || d === 0) return -1;
  if (mode === 'edge') return i < 0 ? 0 : d - 1;
  if (mode === 'wrap') return ((i % d) + d) % d;
  if (d === 1) return 0;
  const period = 2 * (d - 1);
  i = ((i % period) + period) % period;
  return i < d ? i : period - i;
}

/** Pad (any mode, any opset form) once the per-axis begin and end pads are known. */
export function padTensor(node: Node, x: RTensor, before: number[], after: number[], mode: PadMode, value: number): RTensor {
  const rank = x.dims.length;
  const dims = x.dims.map((d, i) => d + before[i]! + after[i]!);
  if (dims.some((d) => d < 0)) throw new Error(`node '${node.name}' (Pad): pads [${before.join(',')}] / [${after.join(',')}] crop [${x.dims.join(',')}] below zero`);
  if (mode !== 'constant' && x.dims.some((d, i) => d === 0 && dims[i]! > 0)) {
    throw new Error(`node '${node.name}' (Pad): mode '${mode}' cannot pad an empty axis`);
  }
  const out = rt(x.dtype, dims);
  const inS = strides(x.dims), outS = strides(dims);
  const n = size(dims);
  const maps = dims.map((d, ax) => Int32Array.from({ length: d }, (_, c) => sourceIndex(c, before[ax]!, x.dims[ax]!, mode)));
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let ax = 0; ax < rank; ax++) {
      const s = maps[ax]![Math.floor(k / outS[ax]!) % dims[ax]!]!;
      if (s < 0) {
        src = -1;
        break;
      }
      src += s * inS[ax]!;
    }
    out.data[k] = src < 0 ? value : x.data[src]!;
  }
  return out;
}

/** [x1_begin, x2_begin, …, x1_end, x2_end, …] → per-axis begins and ends. */
export function splitPads(node: Node, pads: number[], rank: number, axes: number[] = [...Array(rank).keys()]): [number[], number[]] {
  if (pads.length !== 2 * axes.length) {
    throw new Error(`node '${node.name}' (Pad): pads needs ${2 * axes.length} entries (every begin, then every end), got ${pads.length}`);
  }
  const before = new Array<number>(rank).fill(0), after = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => {
    before[a] = pads[i]!;
    after[a] = pads[i + axes.length]!;
  });
  return [before, after];
}
