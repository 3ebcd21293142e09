import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, modelToBytes } from 'ssmc';
import { wasmBackend } from 'ssmc/runtime/web';
import { goldenCase, goldenIo, goldenWeights, modelFileFor, loadManifest, LENGTHS_AND_OPSETS } from '../helpers/golden.js';
import { GOLDEN_STEP_CASES, runGoldenSteps } from '../helpers/golden-step.js';
import { PUBLIC_DIR, variantCase } from '../gss-variants/cases.js';

/**
 * The golden cases of test/golden/golden.test.ts and step.test.ts, run in onnxruntime-web's wasm
 * backend (the one browsers use) instead of onnxruntime-node, with the same tolerance
 * (compareToReference: src/verify/tolerances.ts) against the official float64 outputs.
 */
const CONV_CASES = ['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 's4d_bidirectional', 's4_dplr_legs', 'dss_exp', 'dss_softmax', 'gss_layer', 'gss_lm'];

it('covers every golden case of the manifest', () => {
  expect([...CONV_CASES].sort()).toEqual(loadManifest().map((c) => c.name).sort());
});

describe.each(CONV_CASES)('golden %s in onnxruntime-web (wasm)', (name) => {
  it.each(LENGTHS_AND_OPSETS)('%s', async (_label, length, opset) => {
    const c = goldenCase(name);
    const io = goldenIo(c);
    const input = io.get('input')!;
    const ref = Float64Array.from(io.get('output_f64')!.data as Float64Array | Float32Array);
    const L = c.input.layout === 'BHL' ? c.input.shape[2]! : c.input.shape[1]!;
    const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: length === 'fixed' ? L : null, opset });
    const outputs = await wasmBackend.run(modelToBytes(model), new Map([['input', input]]));
    const y = outputs.get('output')!;
    expect(y.dims).toEqual(c.outputs.output);
    const cmp = compareToReference(y.data as Float32Array, ref);
    expect(cmp.ok, describeComparison(`${name} (wasm)`, cmp)).toBe(true);
  });
});

describe.each(GOLDEN_STEP_CASES)('step graph, golden %s in onnxruntime-web (wasm)', (name, stepKey) => {
  it.each([17, 20])('matches the official step outputs and the float64 conv output (opset %i)', async (opset) => {
    const { y, io, backendName } = await runGoldenSteps(wasmBackend, name, opset);
    expect(backendName).toBe('wasm');
    for (const key of [stepKey, 'output_f64']) {
      const cmp = compareToReference(y, io.get(key)!.data as Float32Array);
      expect(cmp.ok, describeComparison(`wasm steps vs ${key}`, cmp)).toBe(true);
    }
  });
});

describe.each(['gss_mhesa_lm', 'gss_dsconv_lm'])('public GSS-repository case %s in onnxruntime-web (wasm)', (name) => {
  it.each([['fixed length', 'fixed'], ['dynamic length', 'dynamic']] as const)('%s', async (_label, length) => {
    const c = variantCase(PUBLIC_DIR, name);
    const { model } = compileModel(c.file, c.weights(), { seqLen: length === 'fixed' ? c.input.dims[1]! : null, opset: 17 });
    const y = (await wasmBackend.run(modelToBytes(model), new Map([['input', c.input]]))).get('output')!;
    expect(y.dims).toEqual(c.dims);
    const cmp = compareToReference(y.data as Float32Array, c.ref);
    expect(cmp.ok, describeComparison(`${name} (wasm)`, cmp)).toBe(true);
  });
});
