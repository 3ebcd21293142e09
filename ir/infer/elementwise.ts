import type { Node } from '../node.js';
import { isComplex, type DType, type TensorType } from '../types.js';
import { broadcastShapes, inType, same, TypeInferenceError, type InferRule } from './context.js';

/** Mixing real and complex operands promotes to complex (allowed before lower-complex only). */
function resultDtype(node: Node, dtypes: DType[]): DType {
  const complex = dtypes.find(isComplex);
  if (complex) return complex;
  const first = dtypes[0]!;
  for (const d of dtypes) {
    if (d !== first) throw new TypeInferenceError(node, `operands must share one dtype, got ${dtypes.join(' and ')}`);
  }
  return first;
}

const broadcasting: InferRule = (node) => {
  const ins = node.inputs.filter((v) => v !== null).map((v) => v!.type);
  const dtype = resultDtype(node, ins.map((t) => t.dtype));
  return [same(dtype, broadcastShapes(node, ins.map((t) => t.shape)))];
};

const comparison: InferRule = (node) => {
  const ins = node.inputs.filter((v) => v !== null).map((v) => v!.type);
  return [same('bool', broadcastShapes(node, ins.map((t) => t.shape)))];
};

const unary: InferRule = (node) => [same(inType(node, 0).dtype, inType(node, 0).shape)];

const where: InferRule = (node) => {
  const [c, a, b] = [0, 1, 2].map((i) => inType(node, i)) as [TensorType, TensorType, TensorType];
  return [same(resultDtype(node, [a.dtype, b.dtype]), broadcastShapes(node, [c.shape, a.shape, b.shape]))];
};

export const ELEMENTWISE_RULES: Record<string, InferRule> = {
  Add: broadcasting, Sub: broadcasting, Mul: broadcasting, Div: broadcasting, Pow: unaryPow(),
  Max: broadcasting, Min: broadcasting, Sum: broadcasting, Mean: broadcasting, Mod: broadcasting,
  And: comparison, Or: comparison, Xor: comparison,
  Equal: comparison, Less: comparison, Greater: comparison, LessOrEqual: comparison, GreaterOrEqual: comparison,
  Where: where,
  Neg: unary, Abs: unary, Exp: unary, Log: unary, Sqrt: unary, Reciprocal: unary, Sin: unary, Cos: unary,
  Tanh: unary, Sigmoid: unary, Erf: unary, Relu: unary, Softplus: unary, Gelu: unary, Not: unary,
  Atan: unary, Identity: unary, Floor: unary, Ceil: unary, Round: unary, Sign: unary, Softsign: unary, Elu: unary,
  LeakyRelu: unary, HardSigmoid: unary, Selu: unary, Clip: unary, Dropout: (node) => {
    const t = inType(node, 0);
    return node.outputs.length > 1 ? [same(t.dtype, t.shape), same('bool', t.shape)] : [same(t.dtype, t.shape)];
  },
};

/** Pow's result takes the base's dtype (the exponent may differ). */
function unaryPow(): InferRule {
  return (node) => {
    const a = inType(node, 0), b = inType(node, 1);
    return [same(a.dtype, broadcastShapes(node, [a.shape, b.shape]))];
  };
}
