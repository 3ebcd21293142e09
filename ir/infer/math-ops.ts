import type { Node } from '../node.js';
import type { Dim } from '../types.js';
import { broadcastShapes, concreteInts, inType, normAxis, same, TypeInferenceError, type InferRule } from './context.js';

const matmul: InferRule = (node) => {
  const a = inType(node, 0), b = inType(node, 1);
  const dtype = a.dtype === 'complex64' || b.dtype === 'complex64' ? 'complex64' : a.dtype;
  if (a.shape === null || b.shape === null) return [same(dtype, null)];
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const k1 = as[as.length - 1]!, k2 = bs[bs.length - 2]!;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new TypeInferenceError(node, `inner dimensions differ: [${a.shape.join(',')}] × [${b.shape.join(',')}]`);
  }
  const batch = broadcastShapes(node, [as.slice(0, -2), bs.slice(0, -2)])!;
  const out: Dim[] = [...batch];
  if (a.shape.length > 1) out.push(as[as.length - 2]!);
  if (b.shape.length > 1) out.push(bs[bs.length - 1]!);
  return [same(dtype, out)];
};

const gemm: InferRule = (node) => {
  const a = inType(node, 0), b = inType(node, 1);
  if (a.shape === null || b.shape === null) return [same(a.dtype, [null, null])];
  const m = node.attrInt('transA', 0) ? a.shape[1]! : a.shape[0]!;
  const n = node.attrInt('transB', 0) ? b.shape[0]! : b.shape[1]!;
  return [same(a.dtype, [m, n])];
};

/** ReduceSum takes axes as an input from opset 13; the other reductions from opset 18. */
function reduce(inputFrom: number): InferRule {
  return (node, opset) => {
    const x = inType(node, 0);
    if (x.shape === null) return [same(x.dtype, null)];
    const keep = node.attrInt('keepdims', 1) === 1;
    let axes: number[] | null;
    if (opset >= inputFrom) axes = node.inputs[1] ? concreteInts(node.inputs[1]) : [];
    else axes = node.attrs.has('axes') ? node.attrInts('axes') : [];
    if (axes === null) return [same(x.dtype, keep ? x.shape.map(() => null) : null)];
    const rank = x.shape.length;
    const all = axes.length === 0 && node.attrInt('noop_with_empty_axes', 0) === 0;
    if (axes.length === 0 && !all) return [same(x.dtype, x.shape)];
    const norm = all ? [...Array(rank).keys()] : axes.map((a) => normAxis(node, a, rank));
    const out: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!norm.includes(i)) out.push(d);
      else if (keep) out.push(1);
    });
    return [same(x.dtype, out)];
  };
}

const layerNorm: InferRule = (node) => {
  const x = inType(node, 0);
  const outs = [same(x.dtype, x.shape)];
  if (node.outputs.length > 1) {
    const axis = node.attrInt('axis', -1);
    const stat = x.shape ? x.shape.map((d, i) => (i < normAxis(node, axis, x.shape!.length) ? d : 1)) : null;
    outs.push(same('float32', stat), same('float32', stat));
  }
  return outs.slice(0, node.outputs.length);
};

const conv: InferRule = (node) => {
  const x = inType(node, 0), w = inType(node, 1);
  if (x.shape === null || w.shape === null) return [same(x.dtype, null)];
  const spatial = x.shape.length - 2;
  const kernel = node.attrs.has('kernel_shape') ? node.attrInts('kernel_shape') : (w.shape.slice(2) as number[]);
  const pads = node.attrInts('pads', new Array(2 * spatial).fill(0));
  const strides = node.attrInts('strides', new Array(spatial).fill(1));
  const dil = node.attrInts('dilations', new Array(spatial).fill(1));
  const out: Dim[] = [x.shape[0]!, w.shape[0]!];
  for (let i = 0; i < spatial; i++) {
    const d = x.shape[2 + i]!;
    const k = kernel[i]!;
    out.push(typeof d === 'number' ? Math.floor((d + pads[i]! + pads[i + spatial]! - dil[i]! * (k - 1) - 1) / strides[i]!) + 1 : null);
  }
  return [same(x.dtype, out)];
};

/** DFT: opset 17 takes `axis` as an attribute (default 1), opset 20 as input 2 (default -2). */
const dft: InferRule = (node, opset) => {
  const x = inType(node, 0);
  if (x.shape === null) return [same(x.dtype, null)];
  const rank = x.shape.length;
  let axis: number | null;
  if (opset >= 20) axis = node.inputs[2] ? concreteInts(node.inputs[2])?.[0] ?? null : -2;
  else axis = node.attrInt('axis', 1);
  const inverse = node.attrInt('inverse', 0) === 1;
  const onesided = node.attrInt('onesided', 0) === 1;
  // The one-sided inverse (irfft) returns a real signal: last dim 1 (onnxruntime 1.30).
  const last = inverse && onesided ? 1 : 2;
  const out: Dim[] = [...x.shape];
  out[rank - 1] = last;
  if (axis === null) return [same(x.dtype, out.map((d, i) => (i === rank - 1 ? last : null)))];
  const ax = normAxis(node, axis, rank);
  if (ax === rank - 1) throw new TypeInferenceError(node, 'the DFT axis cannot be the last (real/imaginary) dimension');
  const len = node.inputs[1] ? concreteInts(node.inputs[1])?.[0] ?? null : x.shape[ax]!;
  if (onesided && !inverse) out[ax] = typeof len === 'number' ? Math.floor(len / 2) + 1 : null;
  else out[ax] = len;
  return [same(x.dtype, out)];
};

const softmax: InferRule = (node) => [same(inType(node, 0).dtype, inType(node, 0).shape)];

const argReduce: InferRule = (node) => {
  const x = inType(node, 0);
  if (x.shape === null) return [same('int64', null)];
  const axis = normAxis(node, node.attrInt('axis', 0), x.shape.length);
  const keep = node.attrInt('keepdims', 1) === 1;
  const out = x.shape.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d]));
  return [same('int64', out)];
};

const cumsum: InferRule = (node) => [same(inType(node, 0).dtype, inType(node, 0).shape)];

export const MATH_RULES: Record<string, InferRule> = {
  MatMul: matmul, Gemm: gemm,
  ReduceSum: reduce(13), ReduceMean: reduce(18), ReduceMax: reduce(18), ReduceMin: reduce(18),
  ReduceProd: reduce(18), ReduceL2: reduce(18), ReduceSumSquare: reduce(18),
  LayerNormalization: layerNorm, Conv: conv, DFT: dft, Softmax: softmax, LogSoftmax: softmax,
  ArgMax: argReduce, ArgMin: argReduce, CumSum: cumsum,
};

export function checkRank(node: Node, i: number, rank: number, what: string): readonly Dim[] | null {
  const s = inType(node, i).shape;
  if (s !== null && s.length !== rank) {
    throw new TypeInferenceError(node, `${what} must have rank ${rank}, got [${s.join(',')}]`);
  }
  return s;
}
