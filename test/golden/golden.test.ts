import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, describeComparison, modelToBytes } from 'ssmc';
import { evaluateModel, fromTensor } from 'ssmc/ir';
import { runOnnx } from 'ssmc/runtime';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';

/**
 * Golden cases, how many long convolutions (LongConv nodes) each model has, and how many inverse
 * FFTs its kernel computes in the graph when the length is dynamic (S4 DPLR: the Cauchy kernel's irfft).
 */
const CASES: [string, number, number?][] = [
  ['s4d_minimal', 1], ['s4d_lin_zoh', 1], ['s4d_inv_bilinear', 1], ['s4d_bidirectional', 1], ['s4_dplr_legs', 1, 1],
  ['dss_exp', 1], ['dss_softmax', 1], ['gss_layer', 1], ['gss_lm', 2],
];

describe.each(CASES)('golden %s', (name, convolutions, kernelFfts = 0) => {
  const c = goldenCase(name);
  const io = goldenIo(c);
  const input = io.get('input')!;
  const ref = Float64Array.from(io.get('output_f64')!.data as Float64Array | Float32Array);
  const L = c.input.layout === 'BHL' ? c.input.shape[2]! : c.input.shape[1]!; // BLH, BLE and BL have L second
  const weights = () => ({ tensors: goldenWeights(c), source: `${name}.weights.safetensors` });

  it('the float64 reference interpreter matches the official float64 output', () => {
    const { model } = buildModel(modelFileFor(c), weights(), { seqLen: null, opset: 17 });
    const out = evaluateModel(model, { input: fromTensor(input) }).get('output')!;
    expect(out.dims).toEqual(c.outputs.output_f64);
    const cmp = compareToReference(out.data, ref);
    expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
  });

  it.each([
    ['fixed length', L, 17],
    ['dynamic length', null, 17],
    ['fixed length, opset 20', L, 20],
    ['dynamic length, opset 20', null, 20],
  ] as const)('onnxruntime-node, dft lowering, %s', async (_label, seqLen, opset) => {
    // The DFT lowering here (the others are covered by test/lowering/): its op counts are checked below.
    const { model } = compileModel(modelFileFor(c), weights(), { seqLen, opset, lowering: 'dft' });
    const outputs = await runOnnx(modelToBytes(model), new Map([['input', input]]));
    const y = outputs.get('output')!;
    expect(y.dims).toEqual(c.outputs.output);
    const cmp = compareToReference(y.data as Float32Array, ref);
    expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
    // Structure: nothing of the high-level or complex world is left, and the kernel is folded
    // away when the length is fixed.
    const ops = model.graph.nodes.map((n) => n.qualifiedOp);
    expect(ops.filter((o) => o.startsWith('ai.ssmc'))).toEqual([]);
    expect(ops.filter((o) => o === 'DFT').length).toBe(convolutions * (seqLen === null ? 3 : 2) + (seqLen === null ? kernelFfts : 0));
  });
});
