/**
 * --custom-ops on step graphs (S4D in both modules, DSS-exp, GSS, the GSS LM): every layer's
 * update is one ai.ssmc.DiagSSMStep call, and stepping through the golden input from zero states
 * reproduces the official outputs in onnxruntime-node and in the float64 interpreter.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, modelFromBytes, modelToBytes, readStates } from 'ssmc';
import { SSMC_DOMAIN } from 'ssmc/ir';
import { createSession } from 'ssmc/runtime';
import { goldenCase, goldenIo } from '../helpers/golden.js';
import { compileGolden, expectCustomOpStructure, interpreterRunner, reference, STEP_CASES, stepThrough } from './custom-ops-cases.js';

/** What stepping must reproduce: the official float64 convolution, and the official step output where there is one. */
function references(name: string): [string, ArrayLike<number>][] {
  const step = goldenIo(goldenCase(name)).get('output_step');
  return [['output_f64', reference(name)], ...(step ? [['output_step', step.data as Float32Array] as [string, Float32Array]] : [])];
}

describe.each(STEP_CASES)('--custom-ops step graph, golden %s', (name) => {
  it.each([17, 20])('one DiagSSMStep call per layer; onnxruntime-node steps match the official outputs (opset %i)', async (opset) => {
    const model = compileGolden(name, { seqLen: null, opset, mode: 'step', customOps: true });
    expectCustomOpStructure(model, name, null);
    const calls = model.graph.nodes.filter((n) => n.domain === SSMC_DOMAIN);
    expect(calls.map((n) => n.op)).toEqual(readStates(model).map(() => 'DiagSSMStep'));
    // The update's arithmetic lives in the body only.
    for (const op of ['Exp', 'Cos', 'Sin', 'ReduceSum']) expect(model.graph.nodes.map((n) => n.op)).not.toContain(op);
    expect(model.functions.map((f) => f.name)).toEqual(['DiagSSMStep']);

    const bytes = modelToBytes(model);
    expect(modelToBytes(modelFromBytes(bytes))).toEqual(bytes);
    const session = await createSession(bytes);
    const y = await stepThrough(model, name, (feeds) => session.run(feeds));
    await session.release();
    for (const [key, ref] of references(name)) {
      const cmp = compareToReference(y, ref);
      expect(cmp.ok, describeComparison(`${name} custom-op steps (node) vs ${key}`, cmp)).toBe(true);
    }
  });

  it('the float64 interpreter runs the DiagSSMStep calls and agrees', async () => {
    const model = compileGolden(name, { seqLen: null, opset: 17, mode: 'step', customOps: true });
    const y = await stepThrough(model, name, interpreterRunner(model));
    for (const [key, ref] of references(name)) {
      const cmp = compareToReference(y, ref);
      expect(cmp.ok, describeComparison(`${name} custom-op steps (float64 interpreter) vs ${key}`, cmp)).toBe(true);
    }
  });

  it('without --custom-ops the step update is lowered in the main graph (onnxruntime\'s RotaryEmbedding unless --portable)', () => {
    const model = compileGolden(name, { seqLen: null, opset: 17, mode: 'step' });
    expect(model.functions).toEqual([]);
    expect(model.graph.nodes.filter((n) => n.domain !== '' && n.qualifiedOp !== 'com.microsoft.RotaryEmbedding')).toEqual([]);
    expect(model.graph.nodes.map((n) => n.op)).toContain('ReduceSum');
    const portable = compileGolden(name, { seqLen: null, opset: 17, mode: 'step', portable: true });
    expect(portable.graph.nodes.filter((n) => n.domain !== '')).toEqual([]);
    expect(portable.opsetImports.has('com.microsoft')).toBe(false);
  });
});
