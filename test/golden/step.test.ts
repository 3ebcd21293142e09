import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../export/onnx-write.js';
import { f32 } from '../../ir/tensor.js';
import { compileModel } from '../../src/compile.js';
import { createSession } from '../../src/runtime/run.js';
import { runSteps, stepStates, zeroStates } from '../../src/step-runner.js';
import { compareToReference, describeComparison } from '../../src/verify/compare.js';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';

/** Golden cases whose official code has a step mode, with the output it produced stepping. */
const CASES: [string, string][] = [['s4d_lin_zoh', 'output_step'], ['s4d_inv_bilinear', 'output_step'], ['s4_dplr_legs', 'output_step_linear'], ['s4_dplr_legs', 'output_step_dense']];

describe.each(CASES)('step graph, golden %s', (name, stepKey) => {
  it.each([17, 20])('matches the official step outputs and the float64 conv output (opset %i)', async (opset) => {
    const c = goldenCase(name);
    const io = goldenIo(c);
    const [B, L, H] = c.input.shape as [number, number, number];
    const x = io.get('input')!.data as Float32Array;
    const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: null, opset, mode: 'step' });
    expect(model.graph.inputs.map((v) => v.name)).toEqual(['input', 'state.layer']);
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['output', 'state_out.layer']);
    const specs = stepStates(model);
    const session = await createSession(modelToBytes(model));
    const at = (t: number) => f32(Array.from({ length: B * H }, (_, i) => x[(Math.floor(i / H) * L + t) * H + (i % H)]!), [B, H]);
    const { outputs } = await runSteps(session, specs, L, at, zeroStates(specs, B));
    await session.release();
    const y = new Float32Array(B * L * H);
    outputs.forEach((o, t) => (o.data as Float32Array).forEach((v, i) => (y[(Math.floor(i / H) * L + t) * H + (i % H)] = v)));
    for (const key of [stepKey, 'output_f64']) {
      const cmp = compareToReference(y, io.get(key)!.data as Float32Array);
      expect(cmp.ok, describeComparison(`steps vs ${key}`, cmp)).toBe(true);
    }
  });
});

describe('step mode refusals', () => {
  it('explains why a bidirectional kernel has no step graph', () => {
    const c = goldenCase('s4d_bidirectional');
    expect(() => compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: 'x' }, { seqLen: null, opset: 17, mode: 'step' })).toThrow(/bidirectional kernel has no recurrence/);
  });
});
