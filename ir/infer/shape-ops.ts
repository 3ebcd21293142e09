import { ONNX_DOMAIN, type Node } from '../node.js';
import { toNumbers } from '../tensor.js';
import { dtypeFromCode, staticSize, type Dim } from '../types.js';
import type { Value } from '../value.js';
import {
  concreteInts, inType, knownInts, normAxis, same, shapeOf, TypeInferenceError, type InferRule,
} from './context.js';

/** Axes come from an attribute before opset 13 and from input 1 after (ReduceMean/Max: opset 18). */
function axesOf(node: Node, opset: number, inputFrom: number): number[] | null {
  if (opset >= inputFrom) {
    const v = node.inputs[1];
    if (!v) return [];
    return concreteInts(v);
  }
  return node.attrInts('axes', []);
}

const reshape: InferRule = (node) => {
  const x = inType(node, 0);
  const target = knownInts(node.inputs[1]);
  if (!target) return [same(x.dtype, null)];
  const allowZero = node.attrInt('allowzero', 0) === 1;
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x.shape ? x.shape[i] ?? null : null) : d));
  const minus = out.indexOf(-1);
  if (minus >= 0) out[minus] = inferredMinusOne(x.shape, out.filter((_, i) => i !== minus));
  return [same(x.dtype, out)];
};

/**
 * Reshape's −1: the input's size over the other output dims. Symbolic dims cancel by name (a
 * [batch, 1, 32, 64] → [0, 32, −1] keeps its 64 though batch is unknown, and [batch, 1, 32, L]
 * → [0, 32, −1] gives L); a symbolic dim the others do not account for (e.g. [batch, L, H] →
 * [−1, H]) leaves it unknown.
 */
function inferredMinusOne(input: readonly Dim[] | null, others: Dim[]): Dim {
  if (input === null) return null;
  const left = [...input];
  let rest = 1;
  for (const d of others) {
    if (typeof d === 'number') {
      rest *= d;
      continue;
    }
    const at = d === null ? -1 : left.indexOf(d);
    if (at < 0) return null;
    left.splice(at, 1);
  }
  const symbols = left.filter((d) => typeof d !== 'number');
  const known = (left.filter((d) => typeof d === 'number') as number[]).reduce((a, d) => a * d, 1);
  if (symbols.length === 0) return rest > 0 && known % rest === 0 ? known / rest : null;
  // One symbolic dim left whose numeric companions the other dims account for: it is the −1.
  return symbols.length === 1 && symbols[0] !== null && known === rest ? symbols[0]! : null;
}

const unsqueeze: InferRule = (node, opset) => {
  const x = inType(node, 0);
  const axes = axesOf(node, opset, 13);
  if (!axes || x.shape === null) return [same(x.dtype, null)];
  const rank = x.shape.length + axes.length;
  const norm = axes.map((a) => normAxis(node, a, rank)).sort((a, b) => a - b);
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : x.shape[j++]!);
  return [same(x.dtype, out)];
};

const squeeze: InferRule = (node, opset) => {
  const x = inType(node, 0);
  const axes = axesOf(node, opset, 13);
  if (!axes || x.shape === null) return [same(x.dtype, null)];
  if (axes.length === 0) return [same(x.dtype, x.shape.filter((d) => d !== 1))];
  const norm = axes.map((a) => normAxis(node, a, x.shape!.length));
  for (const a of norm) {
    const d = x.shape[a];
    if (typeof d === 'number' && d !== 1) throw new TypeInferenceError(node, `cannot squeeze axis ${a} of size ${d}`);
  }
  return [same(x.dtype, x.shape.filter((_, i) => !norm.includes(i)))];
};

const transpose: InferRule = (node) => {
  const x = inType(node, 0);
  if (x.shape === null) return [same(x.dtype, null)];
  const rank = x.shape.length;
  const perm = node.attrInts('perm', [...Array(rank).keys()].reverse());
  if (perm.length !== rank) throw new TypeInferenceError(node, `perm has ${perm.length} entries for rank ${rank}`);
  return [same(x.dtype, perm.map((p) => x.shape![p]!))];
};

const concat: InferRule = (node) => {
  const ins = node.inputs.filter((v) => v !== null).map((v) => v!.type);
  const first = ins[0]!;
  if (ins.some((t) => t.shape === null)) return [same(first.dtype, null)];
  const rank = first.shape!.length;
  const axis = normAxis(node, node.attrInt('axis'), rank);
  const out: Dim[] = [...first.shape!];
  let sum: Dim = 0;
  for (const t of ins) {
    if (t.shape!.length !== rank) throw new TypeInferenceError(node, 'all inputs must have the same rank');
    const d = t.shape![axis]!;
    sum = typeof sum === 'number' && typeof d === 'number' ? sum + d : null;
  }
  out[axis] = sum;
  return [same(first.dtype, out)];
};

const slice: InferRule = (node) => {
  const x = inType(node, 0);
  if (x.shape === null) return [same(x.dtype, null)];
  const rank = x.shape.length;
  const starts = concreteInts(node.inputs[1]);
  const ends = concreteInts(node.inputs[2]);
  const axesIn = node.inputs[3] ? concreteInts(node.inputs[3]) : [...Array(starts?.length ?? 0).keys()];
  const steps = node.inputs[4] ? concreteInts(node.inputs[4]) : null;
  const out: Dim[] = [...x.shape];
  if (!starts || !ends || !axesIn) {
    // Unknown bounds: only the axes we can name become unknown.
    const axes = node.inputs[3] ? concreteInts(node.inputs[3]) : null;
    if (!axes) return [same(x.dtype, x.shape.map(() => null))];
    for (const a of axes) out[normAxis(node, a, rank)] = null;
    return [same(x.dtype, out)];
  }
  axesIn.forEach((a, i) => {
    const axis = normAxis(node, a, rank);
    const step = steps ? steps[i]! : 1;
    const d = x.shape![axis];
    if (typeof d !== 'number') {
      // Slicing a symbolic dim from 0 to "the end" keeps it.
      const full = step === 1 && starts[i] === 0 && ends[i]! >= 2 ** 31 - 1;
      out[axis] = full ? d! : null;
      return;
    }
    out[axis] = sliceLength(d, starts[i]!, ends[i]!, step);
  });
  return [same(x.dtype, out)];
};

export function sliceLength(dim: number, start: number, end: number, step: number): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clamp(s, -1, dim - 1);
  e = clamp(e, -1, dim - 1);
  return Math.max(0, Math.ceil((e - s) / step));
}

const gather: InferRule = (node) => {
  const x = inType(node, 0), idx = inType(node, 1);
  if (x.shape === null || idx.shape === null) return [same(x.dtype, null)];
  const axis = normAxis(node, node.attrInt('axis', 0), x.shape.length);
  return [same(x.dtype, [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)])];
};

const shape: InferRule = (node) => {
  const x = inType(node, 0);
  if (x.shape === null) return [same('int64', [null])];
  const rank = x.shape.length;
  const start = clampAxis(node.attrInt('start', 0), rank);
  const end = clampAxis(node.attrInt('end', rank), rank);
  return [same('int64', [Math.max(0, end - start)])];
};

function clampAxis(a: number, rank: number): number {
  return Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
}

const expand: InferRule = (node) => {
  const x = inType(node, 0);
  const target = knownInts(node.inputs[1]);
  if (!target || x.shape === null) return [same(x.dtype, target ? target.map(() => null) : null)];
  const rank = Math.max(target.length, x.shape.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    // Missing leading dims broadcast as 1; an unknown (null) dim stays unknown.
    const ai = x.shape.length - rank + i, bi = target.length - rank + i;
    const a = ai < 0 ? 1 : x.shape[ai]!;
    const b = bi < 0 ? 1 : target[bi]!;
    out.push(a === 1 ? b : b === 1 ? a : a === b ? a : a === null || b === null ? (typeof a === 'number' ? a : typeof b === 'number' ? b : null) : typeof a === 'number' ? a : b);
  }
  return [same(x.dtype, out)];
};

const constantOfShape: InferRule = (node) => {
  const value = node.attrs.get('value');
  const dtype = value && value.kind === 'tensor' ? value.value.dtype : 'float32';
  return [same(dtype, knownInts(node.inputs[0]))];
};

/**
 * Range's count from its scalars: integer constants and shape values, float constants, and floats
 * cast from either (a float Range over a length, Builder.positions). From 0 by 1 to a symbolic
 * length the count is that symbol.
 */
const range: InferRule = (node) => {
  const [s, l, d] = [0, 1, 2].map((i) => rangeScalar(node.inputs[i]));
  let n: Dim = null;
  if (typeof s === 'number' && typeof l === 'number' && typeof d === 'number') n = Math.max(0, Math.ceil((l - s) / d));
  else if (s === 0 && d === 1 && typeof l === 'string') n = l;
  return [same(inType(node, 0).dtype, [n])];
};

function rangeScalar(v: Value | null | undefined): Dim {
  if (!v) return null;
  if (v.constant && v.constant.dims.length === 0 && v.constant.data !== null && !Array.isArray(v.constant.data)) return Number(toNumbers(v.constant)[0]);
  const p = v.producer;
  if (p && p.domain === ONNX_DOMAIN && p.op === 'Cast' && p.inputs[0]) return rangeScalar(p.inputs[0]);
  const k = knownInts(v);
  return k && k.length === 1 ? k[0]! : null;
}

const cast: InferRule = (node) => {
  const to = dtypeFromCode(node.attrInt('to'));
  if (!to) throw new TypeInferenceError(node, `'to' = ${node.attrInt('to')} is not an ONNX data type code`);
  return [same(to, inType(node, 0).shape)];
};

const split: InferRule = (node, opset) => {
  const x = inType(node, 0);
  const n = node.outputs.length;
  if (x.shape === null) return node.outputs.map(() => same(x.dtype, null));
  const axis = normAxis(node, node.attrInt('axis', 0), x.shape.length);
  const sizes = opset >= 13 ? concreteInts(node.inputs[1]) : node.attrs.has('split') ? node.attrInts('split') : null;
  const d = x.shape[axis]!;
  return node.outputs.map((_, i) => {
    const out = [...x.shape!];
    if (sizes) out[axis] = sizes[i]!;
    else out[axis] = typeof d === 'number' ? (i < n - 1 || d % n === 0 ? Math.ceil(d / n) : d - Math.ceil(d / n) * (n - 1)) : null;
    return same(x.dtype, out);
  });
};

const flatten: InferRule = (node) => {
  const x = inType(node, 0);
  if (x.shape === null) return [same(x.dtype, [null, null])];
  const axis = node.attrInt('axis', 1);
  const a = axis < 0 ? axis + x.shape.length : axis;
  return [same(x.dtype, [staticSize(x.shape.slice(0, a)), staticSize(x.shape.slice(a))])];
};

const pad: InferRule = (node) => {
  const x = inType(node, 0);
  const pads = concreteInts(node.inputs[1]);
  if (x.shape === null) return [same(x.dtype, null)];
  const rank = x.shape.length;
  const axes = node.inputs[3] ? concreteInts(node.inputs[3]) : [...Array(rank).keys()];
  if (!pads || !axes) return [same(x.dtype, x.shape.map(() => null))];
  const out: Dim[] = [...x.shape];
  axes.forEach((a, i) => {
    const ax = normAxis(node, a, rank);
    const d = out[ax]!;
    const extra = pads[i]! + pads[i + axes.length]!;
    out[ax] = typeof d === 'number' ? d + extra : extra === 0 ? d : null;
  });
  return [same(x.dtype, out)];
};

const tile: InferRule = (node) => {
  const x = inType(node, 0);
  const reps = concreteInts(node.inputs[1]);
  if (!reps || x.shape === null) return [same(x.dtype, x.shape ? x.shape.map(() => null) : null)];
  return [same(x.dtype, x.shape.map((d, i) => (reps[i] === 1 ? d : typeof d === 'number' ? d * reps[i]! : null)))];
};

export const SHAPE_RULES: Record<string, InferRule> = {
  Reshape: reshape, Unsqueeze: unsqueeze, Squeeze: squeeze, Transpose: transpose, Concat: concat,
  Slice: slice, Gather: gather, Shape: shape, Expand: expand, ConstantOfShape: constantOfShape,
  Range: range, Cast: cast, Split: split, Flatten: flatten, Pad: pad, Tile: tile,
  Size: () => [same('int64', [])],
  GatherElements: (node) => [same(inType(node, 0).dtype, shapeOf(node, 1))],
  ScatterElements: (node) => [same(inType(node, 0).dtype, shapeOf(node, 0))],
  Constant: (node) => {
    const v = node.attrs.get('value');
    if (v?.kind === 'tensor') return [same(v.value.dtype, v.value.dims)];
    if (node.attrs.has('value_float')) return [same('float32', [])];
    if (node.attrs.has('value_int')) return [same('int64', [])];
    const fl = node.attrs.get('value_floats');
    if (fl?.kind === 'floats') return [same('float32', [fl.value.length])];
    if (node.attrs.has('value_ints')) return [same('int64', [node.attrInts('value_ints').length])];
    return [same('float32', null)];
  },
};
