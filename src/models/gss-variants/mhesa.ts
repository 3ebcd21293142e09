import { longConv } from '../../../ir/ops/long-conv.js';
import type { Tensor } from '../../../ir/tensor.js';
import type { Value } from '../../../ir/value.js';
import { defineArch } from '../arch.js';
import type { ArgSchema } from '../args.js';
import { constant, randn } from '../init.js';
import type { FinalStates, Layer, LayerContext, ParamSpec } from '../layer.js';
import { layerNorm } from '../layers.js';
import type { Rng } from '../rng.js';
import { finalState, vandermondeStep } from '../step.js';
import { GATED_ARGS, gatedBlock, gatedInit, gatedParams, headedDims, type HeadedDims } from './gated.js';
import { blockIo, tokenLm, tokenLmIo } from './token-lm.js';

/** lucidrains `GatedMHESA` constructor arguments (mhesa.py at d484cf5). */
export const MHESA_LAYER_ARGS = {
  ...GATED_ARGS,
  heads: { kind: 'int', default: 8, min: 1, doc: 'smoothing heads G (dim_mhesa channels split into G groups)' },
  dim_mhesa: { kind: 'int', default: 512, min: 1, doc: 'width M of the smoothing branch' },
} as const satisfies ArgSchema;

export type MhesaDims = HeadedDims;

function mhesaDims(args: { dim: number; dim_expansion_factor: number; heads: number; dim_mhesa: number }): MhesaDims {
  return headedDims(args, 'dim_mhesa', args.dim_mhesa, 'GatedMHESA');
}

function mhesaParams(prefix: string, d: MhesaDims): ParamSpec[] {
  const p = (name: string, shape: number[]): ParamSpec => ({ name: `${prefix}mhesa.${name}`, shape, dtype: 'float32' });
  return [...gatedParams(prefix, d), p('norm.weight', [d.M]), p('norm.bias', [d.M]), p('alphas', [d.G]), p('dampen_factors', [d.G]), p('param_D', [d.M])];
}

function mhesaInit(prefix: string, d: MhesaDims, rng: Rng): [string, Tensor][] {
  const m = `${prefix}mhesa.`;
  return [
    ...gatedInit(prefix, d, rng),
    [`${m}norm.weight`, constant([d.M], 1)], [`${m}norm.bias`, constant([d.M], 0)],
    [`${m}alphas`, randn(rng, [d.G])], [`${m}dampen_factors`, randn(rng, [d.G])], [`${m}param_D`, randn(rng, [d.M])],
  ];
}

type Smoothing = (u: Value, lambda: Value, coef: Value) => Value;

/**
 * MHESA on v [B,L,M] (or [B,M]): u = LN(v); per head g, α = σ(alphas_g), r = (1 − α)·σ(dampen_g),
 *   y_t = Σ_{s≤t} α·r^(t−s)·u_s + D ⊙ u_t,
 * the official FFT correlation with its flipped kernel α·r^(L−1−l) read as the causal kernel α·r^l.
 * That is a diagonal SSM with one real mode per channel: λ = log r, coefficient α, so the
 * convolution is a LongConv of the 'diagonal' form (every lowering serves it) and one step is
 * x' = r·x + u, y = α·x' (DiagSSMStep). λ [M,1] and coef [1,M,1] repeat each head's values over
 * its M/G channels.
 */
function smoothing(ctx: LayerContext, prefix: string, d: MhesaDims, v: Value, run: Smoothing): Value {
  const { b, params } = ctx;
  const m = `${prefix}mhesa.`;
  const u = layerNorm(b, v, params.real(`${m}norm.weight`), params.real(`${m}norm.bias`));
  const perChannel = (g: Value) => b.reshape(b.op('Expand', [b.unsqueeze(g, [1]), b.i64([d.G, d.M / d.G], [2], 'head_width')]), [d.M, 1]); // [G] → [M,1]
  const a = params.real(`${m}alphas`), damp = params.real(`${m}dampen_factors`);
  const alpha = b.op('Sigmoid', [a]);
  // log r = log(1 − σ(a)) + log σ(d) = −softplus(a) − softplus(−d): finite where r itself would
  // round to 0 (then the official r^0 = 1 keeps the first tap α, and exp(λ·0) must too).
  const logR = b.neg(b.add(b.op('Softplus', [a]), b.op('Softplus', [b.neg(damp)])));
  const lambda = b.ssm('Complex', [perChannel(logR), b.f32(0)]); // [M,1]
  const coef = b.unsqueeze(b.ssm('Complex', [perChannel(alpha), b.f32(0)]), [0]); // [1,M,1]
  return b.add(run(u, lambda, coef), b.mul(u, params.real(`${m}param_D`)));
}

/**
 * One GatedMHESA block as a Layer; `prefix` is its state_dict prefix ('' or 'layers.3.'). Its
 * state is `state.<prefix without the dot>` ('state.mhesa' at the top): complex [batch, M, 1],
 * each channel's smoothed value (imaginary part zero), the plain diagonal SSM state.
 */
export function mhesaLayer(prefix: string, d: MhesaDims): Layer {
  const stateName = prefix ? prefix.slice(0, -1) : 'mhesa';
  const info = { name: `${prefix}mhesa`, kernel: 'ema', H: d.M, N: 1, channels: 1, bidirectional: false };
  const sequence = (ctx: LayerContext, final: FinalStates | null): Smoothing => (u, lambda, coef) => {
    const { b } = ctx;
    const uT = b.transpose(u, [0, 2, 1]); // [B,M,L]
    if (final) final.set(stateName, d.M, 1, finalState(ctx, lambda, uT));
    const conv = longConv(b, { kernel: 'diagonal', u: uT, length: b.dim(uT, 2), scale: 1, causal: { lambda, coef }, reverse: null });
    ctx.ssmLayer(conv, info);
    return b.transpose(b.squeeze(conv, [1]), [0, 2, 1]); // [B,L,M]
  };
  return {
    params: () => mhesaParams(prefix, d),
    init: (rng) => mhesaInit(prefix, d, rng),
    conv: (ctx, x) => gatedBlock(ctx, prefix, x, false, (v) => smoothing(ctx, prefix, d, v, sequence(ctx, null))),
    recurrence: {
      step: (ctx, x, states) => gatedBlock(ctx, prefix, x, false, (v) => smoothing(ctx, prefix, d, v, (u, lambda, coef) => {
        const { y, next } = vandermondeStep(ctx.b, lambda, coef, 1, u, states.state(stateName, d.M, 1)); // y [B,1,M]
        states.setOut(stateName, next);
        return ctx.b.squeeze(y, [1]);
      })),
      prefill: (ctx, x, states) => gatedBlock(ctx, prefix, x, false, (v) => smoothing(ctx, prefix, d, v, sequence(ctx, states))),
    },
  };
}

export const gssMhesa = defineArch({
  id: 'gss-mhesa',
  official: 'lucidrains/gated-state-spaces-pytorch gated_state_spaces_pytorch/mhesa.py GatedMHESA',
  schema: MHESA_LAYER_ARGS,
  validate: (args) => void mhesaDims(args),
  layer: (args) => mhesaLayer('', mhesaDims(args)),
  io: (args) => blockIo(args.dim),
});

const lmSchema = {
  num_tokens: { kind: 'int', default: null, min: 1, doc: 'vocabulary size V' },
  depth: { kind: 'int', default: null, min: 1, max: 1024, doc: 'number of GatedMHESA blocks (at most 1024)' },
  ...MHESA_LAYER_ARGS,
} as const satisfies ArgSchema;

/** lucidrains `GatedExponentialSmoothingLM`: token ids int64 [B,L] → logits [B,L,V]. */
export const gssMhesaLm = defineArch({
  id: 'gss-mhesa-lm',
  official: 'lucidrains/gated-state-spaces-pytorch gated_state_spaces_pytorch/mhesa.py GatedExponentialSmoothingLM',
  schema: lmSchema,
  validate: (args) => void mhesaDims(args),
  layer: (args) => {
    const d = mhesaDims(args);
    return tokenLm(args.num_tokens, d.E, Array.from({ length: args.depth }, (_, i) => mhesaLayer(`layers.${i}.`, d)));
  },
  io: (args) => tokenLmIo(args.num_tokens),
});
