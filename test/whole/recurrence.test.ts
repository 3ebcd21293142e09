import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../export/onnx-write.js';
import { i64 } from '../../ir/tensor.js';
import { compileModel } from '../../src/compile.js';
import { UserError } from '../../src/errors.js';
import { Rng } from '../../src/models/rng.js';
import { runOnnx } from '../../src/runtime/run.js';
import { nodeBackend } from '../../src/runtime/node.js';
import { describeComparison } from '../../src/verify/compare.js';
import { checkRecurrence } from '../../src/verify/recurrence.js';
import type { Layout } from '../../src/verify/sequence.js';
import { WHOLE_CASES, wholeIo } from '../helpers/whole.js';

/**
 * Step and prefill graphs of whole models: from zero states over the official input, the step
 * graph's outputs at the positions the conv output holds (every position, the last one for a
 * pooling or last-position classifier, the first ℓ for a `first` decoder) match the conv graph
 * and the official float64 output; a prefill over a first part continued by steps matches the
 * conv graph. Language models: conv = prefill + step over 256 positions. Models whose layers have
 * no recurrence (bidirectional kernels) are refused with the layer and the reason.
 */
const cases = WHOLE_CASES;
const bidirectional = new Set(['fixtures/backbone_bidirectional', 'fixtures/channels', 'fixtures/lra_cifar_small', 'fixtures/transposed_batchnorm']);
const LMS = ['golden/seqmodel_lm_pt', 'fixtures/task_lm_tied', 'fixtures/task_lm_untied_norescale'];

describe.each(cases.filter((c) => !bidirectional.has(c.name)).map((c) => [c.name, c] as const))('%s', (name, c) => {
  it('step from zero states and prefill + step vs conv and the official float64 output', async () => {
    const src = c.forms[0]!.load();
    const io = wholeIo(c);
    const opts = { seqLen: null, opset: 17 };
    const conv = compileModel(src.file, src.weights, opts);
    const y = (await runOnnx(modelToBytes(conv.model), new Map([['input', io.input]]))).get('output')!.data as Float32Array;
    const layout = conv.io.layout as Layout;
    const [B, L] = io.input.dims as [number, number];
    const { rows, skipped } = await checkRecurrence(nodeBackend, src.file, src.weights, opts, {
      x: io.input, layout, L, B, convOutput: y, references: [['official float64 output', io.reference]], outputShape: conv.io.outputShape, stepRows: conv.io.stepRows,
    });
    expect(skipped).toEqual([]);
    expect(rows.length).toBe(3);
    for (const [what, cmp] of rows) expect(cmp.ok, describeComparison(`${name}: ${what}`, cmp)).toBe(true);
  });
});

describe.each([
  ['language models: conv = prefill + step over 256 positions', LMS, 256],
  ['attention language models (key/value caches): conv = prefill + step over 512 positions', ['golden/seqmodel_hybrid_mha', 'fixtures/mha_lm'], 512],
] as const)('%s', (_title, names, L) => {
  it.each(names)('%s', async (name) => {
    const c = WHOLE_CASES.find((x) => x.name === name)!;
    const src = c.forms[0]!.load();
    const opts = { seqLen: null, opset: 17 };
    const conv = compileModel(src.file, src.weights, opts);
    const vocab = conv.io.vocab!;
    const rng = new Rng(7);
    const B = 2;
    const x = i64(Array.from({ length: B * L }, () => Math.floor(rng.uniform() * vocab)), [B, L]);
    const y = (await runOnnx(modelToBytes(conv.model), new Map([['input', x]]))).get('output')!.data as Float32Array;
    const { rows, skipped } = await checkRecurrence(nodeBackend, src.file, src.weights, opts, {
      x, layout: 'BL', L, B, convOutput: y, references: [], outputShape: conv.io.outputShape, stepRows: conv.io.stepRows,
    });
    expect(skipped).toEqual([]);
    expect(rows.map(([n]) => n)).toEqual(['step (from zero state) vs conv', `prefill (${L / 2} positions) + step vs conv`]);
    for (const [what, cmp] of rows) expect(cmp.ok, describeComparison(`${name}: ${what}`, cmp)).toBe(true);
  });
});

it("an attention layer's step graph carries its keys, values and position as cache.<layer>.key/value/position, listed in ssmc.states", () => {
  const src = WHOLE_CASES.find((x) => x.name === 'golden/seqmodel_hybrid_mha')!.forms[0]!.load();
  const step = compileModel(src.file, src.weights, { seqLen: null, opset: 17, mode: 'step', kvCache: 600 });
  const states = JSON.parse(step.model.metadata.get('ssmc.states')!) as { input: string; output: string; shape: (string | number)[]; meaning: string }[];
  const caches = states.filter((s) => s.input.startsWith('cache.'));
  expect(caches.map((s) => [s.input, s.output, s.shape])).toEqual([
    ['cache.model.layers.1.layer.key', 'cache_out.model.layers.1.layer.key', ['batch', 4, 600, 8]],
    ['cache.model.layers.1.layer.value', 'cache_out.model.layers.1.layer.value', ['batch', 4, 600, 8]],
    ['cache.model.layers.1.layer.position', 'cache_out.model.layers.1.layer.position', ['batch', 1]],
  ]);
  expect(caches[0]!.meaning).toMatch(/position t in slot t, up to 600 positions/);
  expect(step.model.graph.inputs.map((v) => v.name)).toEqual(expect.arrayContaining(caches.map((s) => s.input)));
  expect(step.model.graph.outputs.map((v) => v.name)).toEqual(expect.arrayContaining(caches.map((s) => s.output)));
});

describe('models with a bidirectional kernel have no step or prefill graph', () => {
  it.each([...bidirectional])('%s', (name) => {
    const src = WHOLE_CASES.find((x) => x.name === name)!.forms[0]!.load();
    for (const mode of ['step', 'prefill'] as const) {
      expect(() => compileModel(src.file, src.weights, { seqLen: null, opset: 17, mode })).toThrow(UserError);
      expect(() => compileModel(src.file, src.weights, { seqLen: null, opset: 17, mode })).toThrow(
        new RegExp(`--mode ${mode}: model\\.layers\\.\\d+\\.layer \\(s4\\): a bidirectional kernel has no recurrence`),
      );
    }
  });
});
