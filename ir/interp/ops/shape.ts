import type { Node } from '../../node.js';
import { sizeOf } from '../../tensor.js';
import { isComplex } from '../../types.js';
import type { Kernel, KernelContext } from '../kernel.js';
import { need } from '../kernel.js';
import { broadcastDims, broadcastIndex, fromTensorAttr, ints, normAxis, rt, size, strides, type RTensor } from './shared.js';

/** Elements are `w` float64 slots wide: 2 for complex. */
const width = (t: RTensor) => (isComplex(t.dtype) ? 2 : 1);

function axesArg(inputs: (RTensor | null)[], node: Node, ctx: KernelContext, since: number): number[] {
  if (ctx.opset >= since) return ints(inputs[1]);
  return node.attrInts('axes', []);
}

const reshape: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const target = ints(need(inputs, 1, node));
  const allowZero = node.attrInt('allowzero', 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? x.dims[i]! : d));
  const minus = dims.indexOf(-1);
  if (minus >= 0) dims[minus] = size(x.dims) / sizeOf(dims.filter((_, i) => i !== minus));
  if (size(dims) !== size(x.dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`node '${node.name}' (Reshape): cannot reshape [${x.dims.join(',')}] to [${target.join(',')}]`);
  }
  return [{ ...x, dims }];
};

const unsqueeze: Kernel = (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  const axes = axesArg(inputs, node, ctx, 13);
  const rank = x.dims.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, node.name));
  const dims: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) dims.push(norm.includes(i) ? 1 : x.dims[j++]!);
  return [{ ...x, dims }];
};

const squeeze: Kernel = (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  const axes = axesArg(inputs, node, ctx, 13).map((a) => normAxis(a, x.dims.length, node.name));
  const dims = x.dims.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1));
  return [{ ...x, dims }];
};

const transpose: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const rank = x.dims.length;
  const perm = node.attrInts('perm', [...Array(rank).keys()].reverse());
  const dims = perm.map((p) => x.dims[p]!);
  const w = width(x);
  const inS = strides(x.dims);
  const out = rt(x.dtype, dims);
  const n = size(dims);
  const counter = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += counter[d]! * inS[perm[d]!]!;
    for (let c = 0; c < w; c++) out.data[k * w + c] = x.data[src * w + c]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d]! < dims[d]!) break;
      counter[d] = 0;
    }
  }
  return [out];
};

const concat: Kernel = (inputs, node) => {
  const xs = inputs.filter((t): t is RTensor => t !== null);
  const rank = xs[0]!.dims.length;
  const axis = normAxis(node.attrInt('axis'), rank, node.name);
  const dims = [...xs[0]!.dims];
  dims[axis] = xs.reduce((s, t) => s + t.dims[axis]!, 0);
  const complex = xs.some((t) => isComplex(t.dtype));
  const parts = complex ? xs.map((t) => (isComplex(t.dtype) ? t : promote(t))) : xs;
  const w = complex ? 2 : 1;
  const out = rt(complex ? 'complex64' : xs[0]!.dtype, dims);
  const outer = sizeOf(dims.slice(0, axis));
  let off = 0;
  const rowOut = sizeOf(dims.slice(axis)) * w;
  for (const t of parts) {
    const row = sizeOf(t.dims.slice(axis)) * w;
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * row, (o + 1) * row), o * rowOut + off);
    off += row;
  }
  return [out];
};

function promote(t: RTensor): RTensor {
  const out = rt('complex64', t.dims);
  for (let i = 0; i < t.data.length; i++) out.data[2 * i] = t.data[i]!;
  return out;
}

const INT64_MAX = 2 ** 63;

const slice: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const rank = x.dims.length;
  const starts = ints(need(inputs, 1, node)), ends = ints(need(inputs, 2, node));
  const axes = inputs[3] ? ints(inputs[3]) : starts.map((_, i) => i);
  const steps = inputs[4] ? ints(inputs[4]) : starts.map(() => 1);
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
  return [gatherStrided(x, begin, step, dims)];
};

function gatherStrided(x: RTensor, begin: number[], step: number[], dims: number[]): RTensor {
  const w = width(x);
  const inS = strides(x.dims);
  const out = rt(x.dtype, dims);
  const n = size(dims);
  const rank = dims.length;
  const counter = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (begin[d]! + counter[d]! * step[d]!) * inS[d]!;
    for (let c = 0; c < w; c++) out.data[k * w + c] = x.data[src * w + c]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d]! < dims[d]!) break;
      counter[d] = 0;
    }
  }
  return out;
}

const gather: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node), idx = need(inputs, 1, node);
  const axis = normAxis(node.attrInt('axis', 0), x.dims.length, node.name);
  const w = width(x);
  const outer = sizeOf(x.dims.slice(0, axis)), inner = sizeOf(x.dims.slice(axis + 1)) * w;
  const d = x.dims[axis]!;
  const dims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
  const out = rt(x.dtype, dims);
  const m = idx.data.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      let i = idx.data[j]!;
      if (i < 0) i += d;
      if (i < 0 || i >= d) throw new Error(`node '${node.name}' (Gather): index ${idx.data[j]} is out of range for a dim of ${d}`);
      out.data.set(x.data.subarray((o * d + i) * inner, (o * d + i + 1) * inner), (o * m + j) * inner);
    }
  }
  return [out];
};

const shape: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const rank = x.dims.length;
  const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const dims = x.dims.slice(clamp(node.attrInt('start', 0)), clamp(node.attrInt('end', rank)));
  return [rt('int64', [dims.length], Float64Array.from(dims))];
};

const expand: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const dims = broadcastDims(x.dims, ints(need(inputs, 1, node)), `node '${node.name}' (Expand)`);
  return [broadcastTo(x, dims)];
};

export function broadcastTo(x: RTensor, dims: number[]): RTensor {
  const w = width(x);
  const idx = broadcastIndex(x.dims, dims);
  const out = rt(x.dtype, dims);
  for (let k = 0; k < idx.length; k++) for (let c = 0; c < w; c++) out.data[k * w + c] = x.data[idx[k]! * w + c]!;
  return out;
}

const tile: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const reps = ints(need(inputs, 1, node));
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
};

const constantOfShape: Kernel = (inputs, node) => {
  const dims = ints(need(inputs, 0, node));
  const a = node.attrs.get('value');
  const v = a?.kind === 'tensor' ? fromTensorAttr(a.value) : null;
  const out = rt(v?.dtype ?? 'float32', dims);
  out.data.fill(v ? v.data[0]! : 0);
  return [out];
};

const range: Kernel = (inputs, node) => {
  const [s, l, d] = [0, 1, 2].map((i) => need(inputs, i, node).data[0]!) as [number, number, number];
  const n = Math.max(0, Math.ceil((l - s) / d));
  const out = rt(need(inputs, 0, node).dtype, [n]);
  for (let i = 0; i < n; i++) out.data[i] = s + i * d;
  return [out];
};

const split: Kernel = (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  const axis = normAxis(node.attrInt('axis', 0), x.dims.length, node.name);
  const n = node.outputs.length;
  const d = x.dims[axis]!;
  let sizes: number[];
  if (ctx.opset >= 13 && inputs[1]) sizes = ints(inputs[1]);
  else if (ctx.opset < 13 && node.attrs.has('split')) sizes = node.attrInts('split');
  else {
    const chunk = Math.ceil(d / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
  }
  let off = 0;
  return sizes.map((sz) => {
    const begin = x.dims.map(() => 0), step = x.dims.map(() => 1), dims = [...x.dims];
    begin[axis] = off;
    dims[axis] = sz;
    off += sz;
    return gatherStrided(x, begin, step, dims);
  });
};

const flatten: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const axis = node.attrInt('axis', 1);
  const a = axis < 0 ? axis + x.dims.length : axis;
  return [{ ...x, dims: [sizeOf(x.dims.slice(0, a)), sizeOf(x.dims.slice(a))] }];
};

const pad: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const mode = node.attrString('mode', 'constant');
  if (mode !== 'constant') throw new Error(`node '${node.name}' (Pad): only mode 'constant' is implemented, got '${mode}'`);
  const rank = x.dims.length;
  const pads = ints(need(inputs, 1, node));
  const value = inputs[2] ? inputs[2].data[0]! : 0;
  const axes = inputs[3] ? ints(inputs[3]).map((a) => normAxis(a, rank, node.name)) : [...Array(rank).keys()];
  const before = x.dims.map(() => 0), after = x.dims.map(() => 0);
  axes.forEach((a, i) => {
    before[a] = pads[i]!;
    after[a] = pads[i + axes.length]!;
  });
  const dims = x.dims.map((d, i) => d + before[i]! + after[i]!);
  const out = rt(x.dtype, dims);
  out.data.fill(value);
  const inS = strides(x.dims), outS = strides(dims);
  for (let k = 0; k < size(x.dims); k++) {
    let dst = 0, ok = true;
    for (let d = 0; d < rank; d++) {
      const c = Math.floor(k / inS[d]!) % x.dims[d]! + before[d]!;
      if (c < 0 || c >= dims[d]!) ok = false;
      dst += c * outS[d]!;
    }
    if (ok) out.data[dst] = x.data[k]!;
  }
  return [out];
};

const constant: Kernel = (_inputs, node) => {
  const a = node.attrs.get('value');
  if (a?.kind === 'tensor') return [fromTensorAttr(a.value)];
  const f = node.attrs.get('value_float'), i = node.attrs.get('value_int');
  if (f?.kind === 'float') return [rt('float32', [], Float64Array.of(f.value))];
  if (i?.kind === 'int') return [rt('int64', [], Float64Array.of(i.value))];
  const fs = node.attrs.get('value_floats'), is = node.attrs.get('value_ints');
  if (fs?.kind === 'floats') return [rt('float32', [fs.value.length], Float64Array.from(fs.value))];
  if (is?.kind === 'ints') return [rt('int64', [is.value.length], Float64Array.from(is.value))];
  throw new Error(`node '${node.name}' (Constant): no supported value attribute`);
};

export const SHAPE_KERNELS: Record<string, Kernel> = {
  Reshape: reshape, Unsqueeze: unsqueeze, Squeeze: squeeze, Transpose: transpose, Concat: concat,
  Slice: slice, Gather: gather, Shape: shape, Expand: expand, Tile: tile, ConstantOfShape: constantOfShape,
  Range: range, Split: split, Flatten: flatten, Pad: pad, Constant: constant,
  Size: (inputs, node) => [rt('int64', [], Float64Array.of(size(need(inputs, 0, node).dims)))],
};
