import { concreteInts } from '../../ir/infer/context.js';
import type { Node } from '../../ir/node.js';
import type { Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { elementCount } from './shapes.js';

/**
 * FLOP estimates of single ONNX ops from their (concrete) input and output shapes.
 *
 * Conventions, so that numbers from different models compare: a multiply-add counts 2; an
 * elementwise op counts 1 per output element whatever its cost in cycles (Exp and Add alike);
 * data movement (Reshape, Transpose, Gather, Concat, …) counts 0 — it shows up in the memory
 * estimate instead; an FFT of length n counts 5·n·log2(n) (the textbook radix-2 count).
 * null means "cannot tell": an op we have no rule for, or a size that is still symbolic.
 */

const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Neg', 'Abs', 'Reciprocal', 'Sqrt', 'Exp', 'Log', 'Erf', 'Sin', 'Cos', 'Tan',
  'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu',
  'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softplus', 'Softsign', 'Gelu', 'Mish', 'ThresholdedRelu', 'Clip',
  'Floor', 'Ceil', 'Round', 'Sign', 'Where', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or',
  'Xor', 'Not', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor', 'BitwiseNot', 'IsNaN', 'IsInf', 'CumSum', 'Resize',
  'QuantizeLinear', 'DequantizeLinear', 'Trilu', 'Shrink',
]);

/** Ops that only move or describe data. */
const DATA_MOVEMENT = new Set([
  'Reshape', 'Transpose', 'Slice', 'Gather', 'GatherElements', 'GatherND', 'Concat', 'Split', 'Squeeze', 'Unsqueeze',
  'Shape', 'Size', 'Identity', 'Cast', 'CastLike', 'Expand', 'Tile', 'Pad', 'Constant', 'ConstantOfShape', 'Range',
  'Flatten', 'ScatterND', 'ScatterElements', 'Scatter', 'DepthToSpace', 'SpaceToDepth', 'Dropout', 'OneHot', 'EyeLike',
  'NonZero', 'Compress', 'ReverseSequence', 'SequenceConstruct', 'SequenceAt', 'SequenceLength', 'SplitToSequence',
  'ConcatFromSequence', 'SequenceEmpty', 'SequenceInsert', 'SequenceErase', 'Optional', 'OptionalGetElement',
  'OptionalHasElement', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli',
]);

/** FLOPs per element of the (first) input for normalisations and reductions. */
const PER_INPUT_ELEMENT: Record<string, number> = {
  Softmax: 5, LogSoftmax: 6, Hardmax: 2, LayerNormalization: 8, BatchNormalization: 4, InstanceNormalization: 8,
  GroupNormalization: 8, RMSNormalization: 5, LpNormalization: 3, MeanVarianceNormalization: 8,
  ReduceSum: 1, ReduceMean: 1, ReduceMax: 1, ReduceMin: 1, ReduceProd: 1, ReduceL1: 2, ReduceL2: 2, ReduceSumSquare: 2,
  ReduceLogSum: 1, ReduceLogSumExp: 3, ArgMax: 1, ArgMin: 1, GlobalAveragePool: 1, GlobalMaxPool: 1, GlobalLpPool: 2,
  TopK: 1, LRN: 6,
};

export function shapeOf(v: Value | null | undefined): readonly Dim[] | null {
  return v ? v.type.shape : null;
}

function count(v: Value | null | undefined): number | null {
  return elementCount(shapeOf(v));
}

function mul(...xs: (number | null)[]): number | null {
  let p = 1;
  for (const x of xs) {
    if (x === null) return null;
    p *= x;
  }
  return p;
}

function dimAt(v: Value | null | undefined, i: number): number | null {
  const s = shapeOf(v);
  if (!s || s.length === 0) return null;
  const d = s[i < 0 ? s.length + i : i];
  return typeof d === 'number' ? d : null;
}

/** Product of the dims of v from index `from` on. */
function tailProduct(v: Value | null | undefined, from: number): number | null {
  const s = shapeOf(v);
  return s ? elementCount(s.slice(from)) : null;
}

function matmul(node: Node): number | null {
  const a = node.inputs[0];
  const k = shapeOf(a)?.length === 1 ? dimAt(a, 0) : dimAt(a, -1);
  return mul(2, count(node.outputs[0]), k);
}

function gemm(node: Node): number | null {
  const transA = node.attrs.get('transA');
  const k = dimAt(node.inputs[0], transA?.kind === 'int' && transA.value === 1 ? 0 : 1);
  const out = count(node.outputs[0]);
  const bias = node.inputs[2] ? out : 0;
  const mac = mul(2, out, k);
  return mac === null || bias === null ? null : mac + bias;
}

function conv(node: Node): number | null {
  // W: [M, C/group, k1, k2, …]; every output element is a dot product over C/group · k1 · k2 · …
  const w = node.op === 'QLinearConv' ? node.inputs[3] : node.inputs[1];
  const perOut = tailProduct(w, 1);
  const bias = node.op === 'Conv' && node.inputs[2] ? count(node.outputs[0]) : 0;
  const mac = mul(2, count(node.outputs[0]), perOut);
  return mac === null || bias === null ? null : mac + bias;
}

function convTranspose(node: Node): number | null {
  // W: [C, M/group, k…]: every input element scatters into M/group · k1 · k2 · … outputs.
  return mul(2, count(node.inputs[0]), tailProduct(node.inputs[1], 1));
}

function pool(node: Node): number | null {
  const k = node.attrs.get('kernel_shape');
  if (k?.kind !== 'ints') return null;
  return mul(count(node.outputs[0]), elementCount(k.value));
}

function dft(node: Node, opset: number): number | null {
  const x = node.inputs[0];
  const s = shapeOf(x);
  if (!s || s.length < 2) return null;
  let axis: number | null;
  if (opset >= 20) axis = node.inputs[2] ? concreteInts(node.inputs[2])?.[0] ?? null : -2;
  else {
    const a = node.attrs.get('axis');
    axis = a?.kind === 'int' ? a.value : 1;
  }
  if (axis === null) return null;
  const ax = axis < 0 ? axis + s.length : axis;
  const along = dimAt(x, ax);
  const n = node.inputs[1] ? concreteInts(node.inputs[1])?.[0] ?? null : along;
  const all = count(x);
  if (n === null || along === null || all === null || along === 0) return null;
  const transforms = all / (along * (dimAt(x, -1) ?? 1));
  return transforms * 5 * n * Math.log2(Math.max(n, 2));
}

/** FLOPs of one op of the ONNX domain, or null when there is no rule or a size is unknown. */
export function onnxOpFlops(node: Node, opset: number): number | null {
  const op = node.op;
  if (DATA_MOVEMENT.has(op)) return 0;
  if (ELEMENTWISE.has(op)) return count(node.outputs[0]);
  if (op === 'Sum' || op === 'Max' || op === 'Min' || op === 'Mean') {
    return mul(count(node.outputs[0]), Math.max(1, node.inputs.filter((v) => v).length - 1));
  }
  const perInput = PER_INPUT_ELEMENT[op];
  if (perInput !== undefined) return mul(perInput, count(node.inputs[0]));
  switch (op) {
    case 'MatMul': case 'MatMulInteger': case 'QLinearMatMul':
      return op === 'QLinearMatMul' ? mul(2, count(node.outputs[0]), dimAt(node.inputs[0], -1)) : matmul(node);
    case 'Gemm': return gemm(node);
    case 'Conv': case 'ConvInteger': case 'QLinearConv': return conv(node);
    case 'ConvTranspose': return convTranspose(node);
    case 'AveragePool': case 'MaxPool': case 'LpPool': return pool(node);
    case 'DFT': return dft(node, opset);
    case 'Einsum': return null;
    default: return null;
  }
}

/** FLOPs of the high-level ai.ssmc ops that unlowered graphs carry (see ir/ssm-ops.ts). */
export function ssmcOpFlops(node: Node): number | null {
  switch (node.op) {
    case 'Complex': case 'Real': case 'Imag': case 'Conj':
      return count(node.outputs[0]);
    case 'Vandermonde': {
      // K[c,h,l] = Re Σ_n coef·exp(λ·l): a complex exp and multiply-add (≈ 8 real FLOPs) per (c,h,l,n).
      return mul(8, count(node.outputs[0]), dimAt(node.inputs[0], -1));
    }
    case 'LongConv': {
      // As the DFT lowering computes it: two forward FFTs (signal, kernel), the spectral product,
      // one inverse, at n = 2·L rounded up.
      const y = node.outputs[0];
      const B = dimAt(y, 0), C = dimAt(y, 1), H = dimAt(y, 2), L = dimAt(y, 3);
      if (B === null || H === null || L === null || C === null) return null;
      let n = 1;
      while (n < 2 * L) n *= 2;
      const fft = 5 * n * Math.log2(Math.max(n, 2));
      return B * H * fft + C * H * fft + B * C * H * (6 * n + fft);
    }
    default:
      return null;
  }
}
