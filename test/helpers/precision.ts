import type { AccuracyCase, Layout } from 'ssmc';
import { ORT_CPU, type RuntimeTarget } from 'ssmc/passes';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from './golden.js';

/** A golden case as an accuracy case: its input, its checkpoint, and the official float64 output as the reference. */
export function goldenAccuracyCase(name: string): AccuracyCase {
  const c = goldenCase(name);
  const io = goldenIo(c);
  return {
    file: modelFileFor(c),
    weights: () => ({ tensors: goldenWeights(c), source: `${name}.weights.safetensors` }),
    input: io.get('input')!,
    layout: (c.input.layout === 'BLE' ? 'BLH' : c.input.layout) as Layout,
    reference: Float64Array.from(io.get('output_f64')!.data as Float64Array | Float32Array),
  };
}

/**
 * A runtime with float16 kernels for every op a graph may compute in float16 (the kernels a
 * WebGPU adapter with shader-f16 has): fp16 graphs planned for it compute the policy's classes
 * in float16. onnxruntime's CPU provider still runs them (it casts around the ops it lacks).
 */
export const FLOAT16_DEVICE: RuntimeTarget = {
  ...ORT_CPU,
  id: 'float16-device',
  description: 'a runtime with float16 kernels for every op (tests of float16 compute)',
  float16Ops: ['Add', 'Sub', 'Mul', 'Div', 'Neg', 'Abs', 'MatMul', 'Gemm', 'Erf', 'Sigmoid', 'Tanh', 'Relu', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Softplus', 'Max', 'Min', 'Where', 'Pow', 'Sin', 'Cos', 'Conv', 'DFT', 'LayerNormalization', 'Softmax', 'LogSoftmax', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'CumSum'],
};

/** Every golden case of ../shared/golden (the precision tests check the manifest has no other). */
export const GOLDEN_CASES = ['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 's4d_bidirectional', 's4_dplr_legs', 'dss_exp', 'dss_softmax', 'gss_layer', 'gss_lm'];
