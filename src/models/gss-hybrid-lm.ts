import { UserError } from '../errors.js';
import { defineArch } from './arch.js';
import type { ArgSchema } from './args.js';
import { mhaLayer } from './attention.js';
import { GSS_LAYER_ARGS, gssDims, gssLayer } from './gss.js';
import { constant, randn, uniformFanIn } from './init.js';
import { positionwise, residual, sequential, type Layer, type ParamSpec } from './layer.js';
import { gelu, layerNorm, linear } from './layers.js';

const schema = {
  num_tokens: { kind: 'int', default: null, min: 1, doc: 'vocabulary size V' },
  depth: { kind: 'int', default: null, min: 1, max: 1024, doc: 'number of GSS layers (at most 1024: the parameter list alone grows with it)' },
  ...GSS_LAYER_ARGS,
  attn_every: { kind: 'int', default: 4, min: 1, max: 1024, doc: 'an attention block after every attn_every-th GSS layer (layers attn_every−1, 2·attn_every−1, …)' },
  attn_heads: { kind: 'int', default: 8, min: 1, doc: 'attention heads (must divide dim)' },
  attn_chunk: { kind: 'int', default: 512, min: 0, max: 1 << 20, doc: 'attention inside non-overlapping chunks of this many positions (512 in the GSS paper); 0: full causal attention' },
  attn_pos: { kind: 'enum', default: 'none', values: ['none', 'rotary'], doc: "positions inside attention: 'none' (the GSS layers carry them) or 'rotary'" },
  attn_ff_mult: { kind: 'int', default: 4, min: 1, max: 64, doc: "the attention block's MLP hidden width, times dim" },
} as const satisfies ArgSchema;

const f32Spec = (name: string, shape: number[]): ParamSpec => ({ name, shape, dtype: 'float32' });

/** nn.LayerNorm(dim) under `prefix`. */
function norm(prefix: string, d: number): Layer {
  return positionwise({
    params: () => [f32Spec(`${prefix}weight`, [d]), f32Spec(`${prefix}bias`, [d])],
    init: () => [[`${prefix}weight`, constant([d], 1)], [`${prefix}bias`, constant([d], 0)]],
    apply: ({ b, params }, x) => layerNorm(b, x, params.real(`${prefix}weight`), params.real(`${prefix}bias`)),
  });
}

/** nn.Sequential(Linear(d, h), GELU(), Linear(h, d)) under `prefix` (keys ff.0.*, ff.2.*). */
function mlp(prefix: string, d: number, hidden: number): Layer {
  return positionwise({
    params: () => [f32Spec(`${prefix}0.weight`, [hidden, d]), f32Spec(`${prefix}0.bias`, [hidden]), f32Spec(`${prefix}2.weight`, [d, hidden]), f32Spec(`${prefix}2.bias`, [d])],
    init: (rng) => [
      [`${prefix}0.weight`, uniformFanIn(rng, [hidden, d], d)], [`${prefix}0.bias`, uniformFanIn(rng, [hidden], d)],
      [`${prefix}2.weight`, uniformFanIn(rng, [d, hidden], hidden)], [`${prefix}2.bias`, uniformFanIn(rng, [d], hidden)],
    ],
    apply: ({ b, params }, x) => linear(b, gelu(b, linear(b, x, params.real(`${prefix}0.weight`), params.real(`${prefix}0.bias`))), params.real(`${prefix}2.weight`), params.real(`${prefix}2.bias`)),
  });
}

/**
 * The GSS paper's hybrid (tools/reference/gss_hybrid.py `GatedStateSpacesHybridLM`, ssmc's own
 * PyTorch definition — no official code exists): lucidrains' GatedStateSpacesLM (token embedding,
 * `depth` GSS layers, to_logits without bias) with a pre-norm attention block after every
 * `attn_every`-th GSS layer, under `attns.<i>.`: x + out_proj(chunk-local causal attention
 * (in_proj(LN(x)))), then x + MLP(LN(x)). Its step graph carries each block's key/value cache of
 * one chunk beside the GSS states, so generation stays O(1) in memory per token.
 */
export const gssHybridLm = defineArch({
  id: 'gss-hybrid-lm',
  official: "ssmc's GatedStateSpacesHybridLM (tools/reference/gss_hybrid.py) around lucidrains/gated-state-spaces-pytorch gss.py GSS layers",
  schema,
  validate(args) {
    if (args.dim % args.attn_heads !== 0) throw new UserError(`model file: argument "attn_heads" (${args.attn_heads}) must divide "dim" (${args.dim}): each head takes dim / attn_heads features`);
    if (args.attn_pos === 'rotary' && (args.dim / args.attn_heads) % 2 !== 0) {
      throw new UserError(`model file: argument "attn_pos" 'rotary' needs an even head width, but dim / attn_heads = ${args.dim / args.attn_heads}; choose attn_heads so that it is even`);
    }
  },
  layer(args) {
    const d = gssDims(args), V = args.num_tokens, E = d.E;
    const embedding = positionwise({
      params: () => [f32Spec('token_emb.weight', [V, E])],
      init: (rng) => [['token_emb.weight', randn(rng, [V, E])]],
      apply: ({ b, params }, ids) => b.op('Gather', [params.real('token_emb.weight'), ids], { axis: 0 }),
    });
    const toLogits = positionwise({
      params: () => [f32Spec('to_logits.weight', [V, E])],
      init: (rng) => [['to_logits.weight', uniformFanIn(rng, [V, E], E)]],
      apply: ({ b, params }, x) => linear(b, x, params.real('to_logits.weight'), null),
    });
    const blocks: Layer[] = [];
    for (let i = 0; i < args.depth; i++) {
      blocks.push(gssLayer(`layers.${i}.`, d, args.dss_kernel_lambda_imag_exp));
      if ((i + 1) % args.attn_every !== 0) continue;
      const p = `attns.${i}.`;
      const attention = mhaLayer({ dModel: E, nHeads: args.attn_heads, bias: true, chunk: args.attn_chunk, rotary: args.attn_pos === 'rotary' }, `${p}attn.`, `attns.${i}`);
      blocks.push(residual(attention, { norm: norm(`${p}attn_norm.`, E) }), residual(mlp(`${p}ff.`, E, args.attn_ff_mult * E), { norm: norm(`${p}ff_norm.`, E) }));
    }
    return sequential([embedding, ...blocks, toLogits]);
  },
  io(args) {
    const V = args.num_tokens;
    return { inputDtype: 'int64', inputShape: (L) => ['batch', L], outputShape: (L) => ['batch', L, V], step: { input: ['batch'], output: ['batch', V] }, layout: 'BL', vocab: V };
  },
});
