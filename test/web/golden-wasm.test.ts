import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../export/onnx-write.js';
import { f32 } from '../../ir/tensor.js';
import { compileModel } from '../../src/compile.js';
import { wasmBackend } from '../../src/runtime/web.js';
import { runSteps, stepStates, zeroStates } from '../../src/step-runner.js';
import { compareToReference, describeComparison } from '../../src/verify/compare.js';
import { goldenCase, goldenIo, goldenWeights, modelFileFor, loadManifest } from '../helpers/golden.js';

/**
 * The golden cases of test/golden/golden.test.ts and step.test.ts, run in onnxruntime-web's wasm
 * backend (the one browsers use) instead of onnxruntime-node, with the same tolerance
 * (compareToReference: src/verify/tolerances.ts) against the official float64 outputs.
 */
const CONV_CASES = ['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 's4d_bidirectional', 's4_dplr_legs', 'dss_exp', 'dss_softmax', 'gss_layer', 'gss_lm'];
const STEP_CASES: [string, string][] = [['s4d_lin_zoh', 'output_step'], ['s4d_inv_bilinear', 'output_step'], ['s4_dplr_legs', 'output_step_linear'], ['s4_dplr_legs', 'output_step_dense']];

it('covers every golden case of the manifest', () => {
  expect([...CONV_CASES].sort()).toEqual(loadManifest().map((c) => c.name).sort());
});

describe.each(CONV_CASES)('golden %s in onnxruntime-web (wasm)', (name) => {
  it.each([
    ['fixed length', 'fixed', 17],
    ['dynamic length', 'dynamic', 17],
    ['fixed length, opset 20', 'fixed', 20],
    ['dynamic length, opset 20', 'dynamic', 20],
  ] as const)('%s', async (_label, length, opset) => {
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

describe.each(STEP_CASES)('step graph, golden %s in onnxruntime-web (wasm)', (name, stepKey) => {
  it.each([17, 20])('matches the official step outputs and the float64 conv output (opset %i)', async (opset) => {
    const c = goldenCase(name);
    const io = goldenIo(c);
    const [B, L, H] = c.input.shape as [number, number, number];
    const x = io.get('input')!.data as Float32Array;
    const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: null, opset, mode: 'step' });
    const specs = stepStates(model);
    const session = await wasmBackend.createSession(modelToBytes(model));
    expect(session.backend).toBe('wasm');
    const at = (t: number) => f32(Array.from({ length: B * H }, (_, i) => x[(Math.floor(i / H) * L + t) * H + (i % H)]!), [B, H]);
    const { outputs } = await runSteps(session, specs, L, at, zeroStates(specs, B));
    await session.release();
    const y = new Float32Array(B * L * H);
    outputs.forEach((o, t) => (o.data as Float32Array).forEach((v, i) => (y[(Math.floor(i / H) * L + t) * H + (i % H)] = v)));
    for (const key of [stepKey, 'output_f64']) {
      const cmp = compareToReference(y, io.get(key)!.data as Float32Array);
      expect(cmp.ok, describeComparison(`wasm steps vs ${key}`, cmp)).toBe(true);
    }
  });
});
