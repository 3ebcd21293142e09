/**
 * --custom-ops models in onnxruntime-web's wasm backend (the one browsers use): it has no custom-op
 * kernels either, so the model-local function bodies are what runs. Every golden case (fixed and
 * dynamic length, opsets 17 and 20) and the step graphs, against the official float64 outputs.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, modelToBytes } from 'ssmc';
import { wasmBackend } from 'ssmc/runtime/web';
import { goldenCase, goldenIo, LENGTHS_AND_OPSETS } from '../helpers/golden.js';
import { compileGolden, CONV_CASES, reference, seqLenOf, STEP_CASES, stepThrough } from './custom-ops-cases.js';

describe.each(CONV_CASES)('--custom-ops, golden %s in onnxruntime-web (wasm)', (name) => {
  it.each(LENGTHS_AND_OPSETS)('%s', async (_label, length, opset) => {
    const c = goldenCase(name);
    const model = compileGolden(name, { seqLen: length === 'fixed' ? seqLenOf(c) : null, opset, customOps: true });
    expect(model.functions.length).toBeGreaterThan(0);
    const y = (await wasmBackend.run(modelToBytes(model), new Map([['input', goldenIo(c).get('input')!]]))).get('output')!;
    expect(y.dims).toEqual(c.outputs.output);
    const cmp = compareToReference(y.data as Float32Array, reference(name));
    expect(cmp.ok, describeComparison(`${name} custom ops (wasm)`, cmp)).toBe(true);
  });
});

describe.each(STEP_CASES)('--custom-ops step graph, golden %s in onnxruntime-web (wasm)', (name) => {
  it.each([17, 20])('steps match the official float64 output (opset %i)', async (opset) => {
    const model = compileGolden(name, { seqLen: null, opset, mode: 'step', customOps: true });
    expect(model.functions.map((f) => f.name)).toEqual(['DiagSSMStep']);
    const session = await wasmBackend.createSession(modelToBytes(model));
    expect(session.backend).toBe('wasm');
    const y = await stepThrough(model, name, (feeds) => session.run(feeds));
    await session.release();
    const cmp = compareToReference(y, reference(name));
    expect(cmp.ok, describeComparison(`${name} custom-op steps (wasm)`, cmp)).toBe(true);
  });
});

describe('--custom-ops, S4 DPLR under the chunked lowering in onnxruntime-web (wasm)', () => {
  it.each(LENGTHS_AND_OPSETS)('a DenseSSMConv call (float64 operands, chunked body), %s', async (_label, length, opset) => {
    const c = goldenCase('s4_dplr_legs');
    const model = compileGolden('s4_dplr_legs', { seqLen: length === 'fixed' ? seqLenOf(c) : null, opset, customOps: true, lowering: 'chunked' });
    expect(model.functions.map((f) => f.name)).toEqual(['DenseSSMConv']);
    const y = (await wasmBackend.run(modelToBytes(model), new Map([['input', goldenIo(c).get('input')!]]))).get('output')!;
    const cmp = compareToReference(y.data as Float32Array, reference('s4_dplr_legs'));
    expect(cmp.ok, describeComparison('s4_dplr_legs DenseSSMConv (wasm)', cmp)).toBe(true);
  });
});

