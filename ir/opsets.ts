/**
 * The opset in which each default-domain op the compiler emits first appeared (or last changed
 * its interface in a way our emitted form depends on). The verifier rejects a node whose op is
 * newer than the model's opset, so `--opset 17` can never silently emit an opset-20 op.
 */
export const ONNX_OP_SINCE: Readonly<Record<string, number>> = {
  Add: 1, Sub: 1, Mul: 1, Div: 1, Neg: 1, Abs: 1, Exp: 1, Log: 1, Sqrt: 1, Reciprocal: 1, Pow: 1,
  Sin: 7, Cos: 7, Atan: 7, Tanh: 1, Sigmoid: 1, Erf: 9, Relu: 1, Softplus: 1, Elu: 1, Max: 1, Min: 1, Sum: 1,
  Equal: 1, Less: 1, Greater: 1, LessOrEqual: 12, GreaterOrEqual: 12, Not: 1, And: 1, Or: 1, Where: 9,
  Identity: 1, Cast: 1, MatMul: 1, Gemm: 1, Transpose: 1, Reshape: 5, Flatten: 1, Unsqueeze: 1,
  Squeeze: 1, Concat: 1, Split: 1, Slice: 10, Gather: 1, GatherElements: 11, ScatterElements: 11, Expand: 8, Tile: 6,
  Pad: 11, Shape: 1, Size: 1, ConstantOfShape: 9, Constant: 1, Range: 11, ReduceSum: 1,
  ReduceMean: 1, ReduceMax: 1, Softmax: 1, LogSoftmax: 1, LayerNormalization: 17, Gelu: 20,
  Conv: 1, CumSum: 11, DFT: 17, Scan: 9, Loop: 1, If: 1, ArgMax: 1, TopK: 1, Sign: 9, Floor: 1,
};

/** Returns a rule violation for `op` at `opset`, or null when the op is legal there. */
export function opsetViolation(op: string, opset: number): string | null {
  const since = ONNX_OP_SINCE[op];
  if (since === undefined) return null;
  return since > opset ? `${op} needs opset ${since} or later, but the model imports opset ${opset}` : null;
}
