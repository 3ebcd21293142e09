/**
 * Nodes carry the model's structure: the builder's scope stack (ir/builder.ts `within`), pushed by
 * the layer combinators from each layer's parameter prefix (src/models/layer.ts `inModule`) and by
 * the layers for their sub-modules (`submodule`), kept by every lowering (a pass builds in the
 * scope of the node it replaces), written as the node's name '<scope>/<op>' and listed in the
 * `ssmc.scopes` metadata. Deterministic: the same model gives the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { ARCHS, type ArgSchema, compileModel, type CompileOptions, defineArch, initialWeights, type Layer, modelFromBytes, modelToBytes, modulePrefix, positionwise, readMetadata, residual, resolveArgs, sequential } from 'ssmc';
import { Builder, f32, Model, SSMC_DOMAIN, tensorType } from 'ssmc/ir';
import { rewriteNodes } from 'ssmc/passes';
import { s4BlockLayer, s4BlockSchema } from '../../src/models/s4-block.js';

describe('the builder scope stack', () => {
  it('names nodes under the scope, nests, and restores the scope after a build, also one that throws', () => {
    const m = new Model(17);
    const b = new Builder(m.graph, 17);
    const x = m.graph.addInput('x', tensorType('float32', [2]));
    const y = b.within('layers.3', () => b.within('dss', () => b.neg(x)));
    expect(y.producer!.name).toBe('layers.3/dss/neg');
    expect(y.producer!.scope).toBe('layers.3/dss');
    expect(() => b.within('broken', () => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(b.scope).toBe('');
    expect(b.neg(x).producer!.name).toBe('neg');
    expect(b.within('layers.3', () => b.within('dss', () => b.neg(x))).producer!.name).toBe('layers.3/dss/neg_1');
    expect(() => b.within('a/b', () => 0)).toThrow(/without '\/'/);
  });

  it('a lowering builds its replacement in the scope of the node it replaces', () => {
    const m = new Model(17);
    m.opsetImports.set(SSMC_DOMAIN, 1);
    const b = new Builder(m.graph, 17);
    const x = m.graph.addInput('x', tensorType('float32', [2]));
    const r = b.within('layers.0', () => b.within('dss', () => b.ssm('Complex', [x, x])));
    m.graph.outputs.push(b.ssm('Real', [r]));
    rewriteNodes(m, SSMC_DOMAIN, 'Complex', (lb, node) => [lb.op('Concat', [lb.unsqueeze(node.input(0), [-1]), lb.unsqueeze(node.input(1), [-1])], { axis: -1 })]);
    const made = m.graph.nodes.filter((n) => n.op !== 'Real');
    expect(made.length).toBeGreaterThan(0);
    for (const n of made) {
      expect(n.scope).toBe('layers.0/dss');
      expect(n.name.startsWith('layers.0/dss/')).toBe(true);
    }
  });
});

describe('layers name their scopes', () => {
  it('a module prefix is what the parameters share, cut at a module boundary', () => {
    const p = (...names: string[]) => names.map((name) => ({ name, shape: [1], dtype: 'float32' as const }));
    expect(modulePrefix(p('layers.3.norm.weight', 'layers.3.dss.C'))).toBe('layers.3.');
    expect(modulePrefix(p('layers.1.a', 'layers.10.a'))).toBe('');
    expect(modulePrefix(p('token_emb.weight'))).toBe('token_emb.');
    expect(modulePrefix(p('weight'))).toBe('');
    expect(modulePrefix([])).toBe('');
  });

  const H = 3;
  const blockArgs = resolveArgs('s4-block', s4BlockSchema, { d_model: H, d_state: 8, mode: 'diag', init: 'diag-inv', transposed: false });
  const norm = (prefix: string): Layer => positionwise({
    params: () => [{ name: `${prefix}weight`, shape: [H], dtype: 'float32' }, { name: `${prefix}bias`, shape: [H], dtype: 'float32' }],
    init: () => [[`${prefix}weight`, f32([1, 1.5, 2], [H])], [`${prefix}bias`, f32([0, 0.1, 0.2], [H])]],
    apply: ({ b, params }, x) => b.op('LayerNormalization', [x, params.real(`${prefix}weight`), params.real(`${prefix}bias`)], { axis: -1 }),
  });
  const backbone = defineArch({
    id: 'scoped-backbone',
    official: 'test: S4Blocks in residual blocks, as the official backbones stack them',
    schema: {} as const satisfies ArgSchema,
    layer: () => sequential([0, 1].map((i) => residual(s4BlockLayer(blockArgs, `layers.${i}.`), { norm: norm(`layers.${i}.norm.`) }))),
    io: () => ({ inputDtype: 'float32', inputShape: (L) => ['batch', L, H], outputShape: (L) => ['batch', L, H], step: { input: ['batch', H], output: ['batch', H] }, layout: 'BLH' }),
  });
  const archs = [...ARCHS, backbone];
  const file = { arch: 'scoped-backbone', args: {} };
  const weights = { tensors: initialWeights(file, archs), source: 'init' };
  const opts: CompileOptions = { seqLen: null, opset: 17, archs };

  it('sequential and residual scope each layer by its prefix; the S4 block scopes its official sub-modules', () => {
    for (const mode of ['conv', 'step', 'prefill'] as const) {
      const c = compileModel(file, weights, { ...opts, mode });
      const scopes = new Set(c.model.graph.nodes.map((n) => n.scope));
      for (const i of [0, 1]) {
        expect(scopes, mode).toContain(`layers.${i}/norm`);
        expect(scopes, mode).toContain(`layers.${i}/output_linear`);
        expect(scopes, mode).toContain(`layers.${i}`); // the residual sum
        expect([...scopes].some((s) => s.startsWith(`layers.${i}/layer/${mode === 'step' ? 'step' : 'conv'}`)), mode).toBe(true);
      }
      for (const n of c.model.graph.nodes) expect(n.name.startsWith(`${n.scope}/`), n.name).toBe(n.scope !== '');
      expect(readMetadata(c.model).meta.scopes).toEqual(['layers.0', 'layers.1']);
    }
  });

  it('every node of the GSS LM is in a layer; names survive the file; the bytes are the same every time', () => {
    const lm = { arch: 'gss-lm', args: { num_tokens: 16, depth: 2, dim: 8, dss_kernel_N: 4, dss_kernel_H: 4 } };
    for (const mode of ['conv', 'step', 'prefill'] as const) {
      const c = compileModel(lm, null, { seqLen: mode === 'step' ? null : 32, opset: 17, mode });
      expect(c.model.graph.nodes.filter((n) => n.scope === '').map((n) => n.name), mode).toEqual([]);
      const tops = [...new Set(c.model.graph.nodes.map((n) => n.scope.split('/')[0]))];
      expect(tops).toEqual(['token_emb', 'layers.0', 'layers.1', 'to_logits']);
      expect(c.model.graph.nodes.some((n) => n.scope.startsWith(`layers.1/dss/${mode === 'step' ? 'step' : 'conv'}`))).toBe(true);
      const bytes = modelToBytes(c.model);
      expect(modelFromBytes(bytes).graph.nodes.map((n) => n.name)).toEqual(c.model.graph.nodes.map((n) => n.name));
      expect(modelToBytes(compileModel(lm, null, { seqLen: mode === 'step' ? null : 32, opset: 17, mode }).model)).toEqual(bytes);
    }
  });

  it('custom-op calls keep the scope of the op they replace', () => {
    const c = compileModel({ arch: 'gss', args: { dim: 8, dss_kernel_N: 4, dss_kernel_H: 4 } }, null, { seqLen: 32, opset: 17, customOps: true });
    const calls = c.model.graph.nodes.filter((n) => n.domain === SSMC_DOMAIN);
    expect(calls.length).toBeGreaterThan(0);
    for (const n of calls) expect(n.scope).toBe('dss/conv');
  });
});
