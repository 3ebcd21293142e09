import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison } from 'ssmc';
import { nodeBackend } from 'ssmc/runtime';
import { goldenCase, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { GOLDEN_STEP_CASES, runGoldenSteps } from '../helpers/golden-step.js';

describe.each(GOLDEN_STEP_CASES)('step graph, golden %s', (name, stepKey) => {
  it.each([17, 20])('matches the official step outputs and the float64 conv output (opset %i)', async (opset) => {
    const { model, y, io } = await runGoldenSteps(nodeBackend, name, opset);
    expect(model.graph.inputs.map((v) => v.name)).toEqual(['input', 'state.layer']);
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['output', 'state_out.layer']);
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
