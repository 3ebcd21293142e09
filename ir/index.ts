/**
 * `ssmc/ir`: the IR (models, graphs, nodes, values, tensors, types), its builder, printer,
 * verifier and shape inference, the high-level SSM ops, the float64 reference interpreter, and the
 * progress reports of long work.
 */
export * from './attr.js';
export * from './builder.js';
export * from './graph.js';
export * from './model.js';
export * from './node.js';
export * from './printer.js';
export * from './progress.js';
export * from './ssm-ops.js';
export * from './tensor.js';
export * from './types.js';
export * from './value.js';
export * from './verifier.js';
export * from './opsets.js';
export { inferNode, TypeInferenceError, type InferOptions } from './infer/index.js';
export { discretize, discretizeOp, DISCRETIZATIONS, type Discretization } from './ops/discretize.js';
export { dftNode } from './ops/dft.js';
export { causalAttention } from './ops/attention.js';
export * from './ops/long-conv.js';
export { evaluateGraph, evaluateModel, evaluateNode, type ModelEvalOptions } from './interp/evaluate.js';
export { fromTensor, toTensor, type RTensor } from './interp/rtensor.js';
