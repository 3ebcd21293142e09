import type { Tensor } from '../../../ir/tensor.js';
import type { Value } from '../../../ir/value.js';
import { UserError } from '../../errors.js';
import { defineArch } from '../arch.js';
import type { ArgSchema } from '../args.js';
import { constant, randn, uniformFanIn } from '../init.js';
import type { Layer, LayerContext, ParamSpec } from '../layer.js';
import { layerNorm, linear } from '../layers.js';
import type { Rng } from '../rng.js';
import { GATED_ARGS, gatedBlock, gatedInit, gatedParams, headedDims, type HeadedDims } from './gated.js';
import { chooseInputConvForm, inputConv, type InputConvForm } from './input-conv.js';
import { blockIo, tokenLm, tokenLmIo } from './token-lm.js';

/** lucidrains `GatedDsConv` constructor arguments (dsconv.py at d484cf5). */
export const DSCONV_LAYER_ARGS = {
  ...GATED_ARGS,
  heads: { kind: 'int', default: 8, min: 1, doc: 'kernel heads G (dim_dsconv channels split into G groups, one kernel each)' },
  dim_dsconv: { kind: 'int', default: 512, min: 1, doc: 'width M of the convolution branch' },
} as const satisfies ArgSchema;

export type DsconvDims = HeadedDims;

function dsconvDims(args: { dim: number; dim_expansion_factor: number; heads: number; dim_dsconv: number }): DsconvDims {
  return headedDims(args, 'dim_dsconv', args.dim_dsconv, 'GatedDsConv');
}

function dsconvParams(prefix: string, d: DsconvDims): ParamSpec[] {
  const p = (name: string, shape: number[]): ParamSpec => ({ name: `${prefix}dsconv.${name}`, shape, dtype: 'float32' });
  return [...gatedParams(prefix, d), p('norm.weight', [d.M]), p('norm.bias', [d.M]), p('to_weight.weight', [d.G, d.M]), p('param_D', [d.M])];
}

function dsconvInit(prefix: string, d: DsconvDims, rng: Rng): [string, Tensor][] {
  const m = `${prefix}dsconv.`;
  return [
    ...gatedInit(prefix, d, rng),
    [`${m}norm.weight`, constant([d.M], 1)], [`${m}norm.bias`, constant([d.M], 0)],
    [`${m}to_weight.weight`, uniformFanIn(rng, [d.G, d.M], d.M)], [`${m}param_D`, randn(rng, [d.M])],
  ];
}

/**
 * EfficientDsConv on v [B,L,M]: u = LN(v), k = v·W_weightᵀ [B,L,G] (from v itself, not its norm),
 *   y_t = Σ_{s≤t} k_{t−s} ⊙ u_s + D ⊙ u_t   (per head: the head's kernel on its M/G channels).
 * The official code flips k along L and correlates it with u through an FFT of size
 * next_fast_len(2L − 1), keeping the last L outputs after a roll: worked through, that is the
 * causal convolution above, tap l of the kernel being the projection of position l.
 */
function dsconvMixer(ctx: LayerContext, prefix: string, d: DsconvDims, v: Value, form: InputConvForm): Value {
  const { b, params } = ctx;
  const m = `${prefix}dsconv.`;
  const u = layerNorm(b, v, params.real(`${m}norm.weight`), params.real(`${m}norm.bias`));
  const k = linear(b, v, params.real(`${m}to_weight.weight`), null); // [B,L,G]
  return b.add(inputConv(b, u, k, d.G, d.M / d.G, form), b.mul(u, params.real(`${m}param_D`)));
}

/**
 * Why GatedDsConv has no step form: output t needs every earlier input and every kernel tap up to
 * lag t — the taps are the inputs' own projections — so there is no state of fixed size to carry.
 */
const NO_STEP = 'GatedDsConv has no recurrence: its kernel is computed from the input itself (tap l is a projection of position l), so each output needs the whole prefix of inputs and taps, a state that grows with the sequence; use --mode conv (a conv graph computes every position of a prompt at once)';

/** The length axis of x [B,L,E] when it is fixed. */
function fixedLength(x: Value): number | null {
  const L = x.type.shape?.[1];
  return typeof L === 'number' ? L : null;
}

/** One GatedDsConv block; its convolution's form comes from the length and --lowering (chooseInputConvForm). */
export function dsconvLayer(prefix: string, d: DsconvDims, reverse = false, maxSeqLen: number | null = null): Layer {
  return {
    params: () => dsconvParams(prefix, d),
    init: (rng) => dsconvInit(prefix, d, rng),
    conv: (ctx, x) => {
      const L = fixedLength(x);
      if (maxSeqLen !== null && L !== null && L > maxSeqLen) {
        throw new UserError(`--seq-len ${L} is longer than max_seq_len ${maxSeqLen}: GatedDsConvLM asserts x.shape[1] <= max_seq_len; compile with --seq-len ${maxSeqLen} or less, or raise "max_seq_len" in the model file`);
      }
      return gatedBlock(ctx, prefix, x, reverse, (v) => dsconvMixer(ctx, prefix, d, v, chooseInputConvForm(L, ctx.options.lowering)));
    },
    recurrence: { none: NO_STEP },
  };
}

const layerSchema = {
  ...DSCONV_LAYER_ARGS,
  reverse_seq: { kind: 'bool', default: false, doc: 'run the block on the reversed sequence' },
} as const satisfies ArgSchema;

export const gssDsconv = defineArch({
  id: 'gss-dsconv',
  official: 'lucidrains/gated-state-spaces-pytorch gated_state_spaces_pytorch/dsconv.py GatedDsConv',
  schema: layerSchema,
  validate: (args) => void dsconvDims(args),
  layer: (args) => dsconvLayer('', dsconvDims(args), args.reverse_seq),
  io: (args) => blockIo(args.dim),
});

const lmSchema = {
  num_tokens: { kind: 'int', default: null, min: 1, doc: 'vocabulary size V' },
  depth: { kind: 'int', default: null, min: 1, max: 1024, doc: 'number of GatedDsConv blocks (at most 1024)' },
  ...DSCONV_LAYER_ARGS,
  max_seq_len: { kind: 'int', default: 2048, min: 1, doc: 'the longest input the official forward accepts (a fixed --seq-len beyond it is refused)' },
} as const satisfies ArgSchema;

/** lucidrains `GatedDsConvLM`: token ids int64 [B,L] → logits [B,L,V]. */
export const gssDsconvLm = defineArch({
  id: 'gss-dsconv-lm',
  official: 'lucidrains/gated-state-spaces-pytorch gated_state_spaces_pytorch/dsconv.py GatedDsConvLM',
  schema: lmSchema,
  validate: (args) => void dsconvDims(args),
  layer: (args) => {
    const d = dsconvDims(args);
    return tokenLm(args.num_tokens, d.E, Array.from({ length: args.depth }, (_, i) => dsconvLayer(`layers.${i}.`, d, false, args.max_seq_len)));
  },
  io: (args) => tokenLmIo(args.num_tokens),
});
