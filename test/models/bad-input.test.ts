import { describe, expect, it } from 'vitest';
import { compileModel, UserError } from 'ssmc';
import { goldenCase, goldenWeights } from '../helpers/golden.js';

const compile = (arch: string, args: Record<string, unknown>, weightsOf?: string) =>
  compileModel({ arch, args }, weightsOf ? { tensors: goldenWeights(goldenCase(weightsOf)), source: `${weightsOf}.weights.safetensors` } : null, { seqLen: 16, opset: 17 });

describe('model arguments and checkpoints of the other archs', () => {
  it('names the allowed DSS versions', () => {
    expect(() => compile('dss', { d_model: 4, version: 'fast' })).toThrow(UserError);
    expect(() => compile('dss', { d_model: 4, version: 'fast' })).toThrow(/"version".*"softmax", "exp"/);
  });
  it('a GSS checkpoint given for DSS says which tensors are missing and suggests another arch', () => {
    expect(() => compile('dss', { d_model: 4, d_state: 16 }, 'gss_layer')).toThrow(/missing tensors 'D'.*another arch/s);
  });
  it('a GSS layer checkpoint given for the GSS LM', () => {
    expect(() => compile('gss-lm', { num_tokens: 32, dim: 8, depth: 1, dss_kernel_N: 16, dss_kernel_H: 4 }, 'gss_layer')).toThrow(/'token_emb.weight'/);
  });
  it('S4Block with the GSS-style gate that is broken in the official code', () => {
    expect(() => compile('s4-block', { d_model: 4, mode: 'diag', init: 'diag-lin', gate: 4 })).toThrow(/broken in the official S4Block/);
  });
  it('n_ssm must divide d_model', () => {
    expect(() => compile('s4-block', { d_model: 6, mode: 'diag', init: 'diag-lin', n_ssm: 4 })).toThrow(/multiple of "n_ssm"/);
  });
  it('fresh models of every arch compile and are deterministic', () => {
    for (const [arch, args] of [
      ['s4d-minimal', { d_model: 4, d_state: 8 }],
      ['s4-block', { d_model: 4, d_state: 8, mode: 'diag', init: 'diag-inv', disc: 'bilinear', channels: 2, bidirectional: true }],
      ['dss', { d_model: 4, d_state: 8 }],
      ['dss', { d_model: 4, d_state: 8, version: 'exp', Lambda_init: 'randn' }],
      ['gss', { dim: 8, dss_kernel_N: 8, dss_kernel_H: 4 }],
      ['gss-lm', { num_tokens: 16, dim: 8, depth: 2, dss_kernel_N: 8, dss_kernel_H: 4 }],
    ] as const) {
      const a = compile(arch, args).model, b = compile(arch, args).model;
      expect(a.graph.nodes.length).toBeGreaterThan(0);
      expect(a.graph.nodes.map((n) => n.op)).toEqual(b.graph.nodes.map((n) => n.op));
    }
  });
});
