import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../export/onnx-write.js';
import { compileModel, type Compiled } from '../../src/compile.js';
import type { ModelSource } from '../../src/model-source.js';
import { buildSpec, parseStructure } from '../../src/models/sequence/parse.js';
import { runOnnx } from '../../src/runtime/run.js';
import { compareToReference, describeComparison } from '../../src/verify/compare.js';
import { WHOLE_CASES, wholeIo } from '../helpers/whole.js';

/**
 * Every whole state-spaces/s4 model, in every file form it ships, compiled to its convolution
 * graph and run in onnxruntime-node on the official input: max|output − output_f64| ≤
 * 1e-4·max(1, max|output_f64|), at a dynamic length (each form) and at the input's fixed length
 * (the first form). Structure: no ai.ssmc op survives lowering, and the graph declares one long
 * convolution per SSM layer of the config.
 */
const supported = WHOLE_CASES;

/** SSM layers the model's config holds (two per block with the backbone's bidirectional). */
function ssmLayers(c: Compiled): number {
  if (c.arch.id === 's4-example') return c.args.n_layers as number;
  const spec = buildSpec(parseStructure(c.args));
  return spec.backbone.blocks.filter((b) => b.layer.kind !== 'ffn' && b.layer.kind !== 'mha').length * (spec.backbone.bidirectional ? 2 : 1);
}

async function check(src: ModelSource, seqLen: number | null, name: string): Promise<void> {
  const io = wholeIo(WHOLE_CASES.find((c) => c.name === name)!);
  const compiled = compileModel(src.file, src.weights, { seqLen, opset: 17 });
  const y = (await runOnnx(modelToBytes(compiled.model), new Map([['input', io.input]]))).get('output')!;
  expect(y.dims).toEqual(io.outputF64.dims);
  const cmp = compareToReference(y.data as Float32Array, io.reference);
  expect(cmp.ok, describeComparison(`${name} (${seqLen === null ? 'dynamic' : `L=${seqLen}`})`, cmp)).toBe(true);
  expect(compiled.model.graph.nodes.filter((n) => n.domain === 'ai.ssmc')).toEqual([]);
  expect(compiled.layers.length).toBe(ssmLayers(compiled));
}

describe.each(supported.map((c) => [c.name, c] as const))('%s', (name, c) => {
  const io = wholeIo(c);
  const L = io.input.dims[1]!;
  it.each(c.forms.map((f) => [f.label, f] as const))('%s, dynamic length', async (_label, form) => {
    await check(form.load(), null, name);
  });
  it(`${c.forms[0]!.label}, fixed length ${L}`, async () => {
    await check(c.forms[0]!.load(), L, name);
  });
});

it('attention layers lower to MatMul / Softmax: one masked Softmax per head of each mha block, nothing of ai.ssmc left', () => {
  for (const c of WHOLE_CASES.filter((x) => x.attention)) {
    const src = c.forms[0]!.load();
    const compiled = compileModel(src.file, src.weights, { seqLen: null, opset: 17 });
    const mha = buildSpec(parseStructure(compiled.args)).backbone.blocks.flatMap((b) => (b.layer.kind === 'mha' ? [b.layer.nHeads] : []));
    const blocks = mha.length;
    const ops = compiled.model.graph.nodes.map((n) => n.qualifiedOp);
    // One head's scores at a time: a Softmax per head, one mask (Where) per block.
    expect(ops.filter((o) => o === 'Softmax'), c.name).toHaveLength(mha.reduce((a, h) => a + h, 0));
    expect(ops.filter((o) => o === 'Where'), c.name).toHaveLength(blocks);
    expect(ops.filter((o) => o.startsWith('ai.ssmc')), c.name).toEqual([]);
  }
});

it('the cases are all here: 4 shared, 35 of the repo, 3 of them with attention', () => {
  expect(WHOLE_CASES.filter((c) => c.name.startsWith('golden/')).length).toBe(4);
  expect(WHOLE_CASES.filter((c) => c.name.startsWith('fixtures/')).length).toBe(35);
  expect(WHOLE_CASES.filter((c) => c.attention).map((c) => c.name)).toEqual(['golden/seqmodel_hybrid_mha', 'fixtures/mha_copying_transposed', 'fixtures/mha_lm']);
});
