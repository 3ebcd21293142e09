import type { Tensor } from '../../../ir/tensor.js';
import type { Value } from '../../../ir/value.js';
import { UserError } from '../../errors.js';
import type { ArgSchema } from '../args.js';
import { constant, uniformFanIn } from '../init.js';
import type { LayerContext, ParamSpec } from '../layer.js';
import { gelu, layerNorm, linear } from '../layers.js';
import type { Rng } from '../rng.js';

/**
 * The gated block lucidrains' GSS repository wraps around every sequence mixer (the paper's
 * pseudocode 3.2): x̂ = LN(x); u = GELU(x̂ W_u); v = GELU(x̂ W_v); v' = mixer(v);
 * y = (v' W_gate ⊙ u) W_out + b_out + x. GSS, GatedMHESA and GatedDsConv differ only in the mixer
 * (a DSS kernel, multi-head exponential smoothing, an input-dependent kernel) and its width.
 */
export const GATED_ARGS = {
  dim: { kind: 'int', default: null, min: 1, doc: 'model width E' },
  dim_expansion_factor: { kind: 'float', default: 4, min: 0, exclusiveMin: true, doc: 'F = int(E · factor), the gate width' },
} as const satisfies ArgSchema;

/** Widths of one gated block: model E, gate F = int(E·factor), mixer M. */
export interface GatedDims {
  E: number;
  F: number;
  M: number;
}

export function gatedDims(dim: number, factor: number, mixer: number): GatedDims {
  return { E: dim, F: Math.floor(dim * factor), M: mixer };
}

/** A gated block whose mixer splits its M channels into G heads (GatedMHESA, GatedDsConv). */
export interface HeadedDims extends GatedDims {
  G: number;
}

/**
 * The widths of a headed block; `widthArg` names the mixer's width argument and `module` the
 * official class, whose constructor asserts that the heads divide it.
 */
export function headedDims(args: { dim: number; dim_expansion_factor: number; heads: number }, widthArg: string, width: number, module: string): HeadedDims {
  if (width % args.heads !== 0) {
    throw new UserError(`model file: "${widthArg}" (${width}) must be divisible by "heads" (${args.heads}), as ${module} asserts; choose heads dividing ${widthArg}`);
  }
  return { ...gatedDims(args.dim, args.dim_expansion_factor, width), G: args.heads };
}

/** The block's own tensors under `prefix` (the mixer's are its own). */
export function gatedParams(prefix: string, d: GatedDims): ParamSpec[] {
  const p = (name: string, shape: number[]): ParamSpec => ({ name: `${prefix}${name}`, shape, dtype: 'float32' });
  return [
    p('norm.weight', [d.E]), p('norm.bias', [d.E]),
    p('to_u.0.weight', [d.F, d.E]), p('to_v.0.weight', [d.M, d.E]),
    p('to_gate.weight', [d.F, d.M]), p('to_out.weight', [d.E, d.F]), p('to_out.bias', [d.E]),
  ];
}

/** The official init: LayerNorm 1/0, nn.Linear defaults. */
export function gatedInit(prefix: string, d: GatedDims, rng: Rng): [string, Tensor][] {
  return [
    [`${prefix}norm.weight`, constant([d.E], 1)], [`${prefix}norm.bias`, constant([d.E], 0)],
    [`${prefix}to_u.0.weight`, uniformFanIn(rng, [d.F, d.E], d.E)], [`${prefix}to_v.0.weight`, uniformFanIn(rng, [d.M, d.E], d.E)],
    [`${prefix}to_gate.weight`, uniformFanIn(rng, [d.F, d.M], d.M)],
    [`${prefix}to_out.weight`, uniformFanIn(rng, [d.E, d.F], d.F)], [`${prefix}to_out.bias`, uniformFanIn(rng, [d.E], d.F)],
  ];
}

/**
 * The gated block on x [B,L,E] (or [B,E] for one position), features last; `mixer` maps v
 * [B,L,M] (or [B,M]) in the form being built. With `reverse` the block runs on the sequence
 * flipped along L and flips its output back (GatedDsConv's reverse_seq).
 */
export function gatedBlock(ctx: LayerContext, prefix: string, x: Value, reverse: boolean, mixer: (v: Value) => Value): Value {
  const { b, params } = ctx;
  const flip = (v: Value) => b.slice(v, [-1], [Number.MIN_SAFE_INTEGER], [1], [-1]);
  const inp = reverse ? flip(x) : x;
  const xn = layerNorm(b, inp, params.real(`${prefix}norm.weight`), params.real(`${prefix}norm.bias`));
  const gate = gelu(b, linear(b, xn, params.real(`${prefix}to_u.0.weight`), null)); // [B,L,F]
  const v = gelu(b, linear(b, xn, params.real(`${prefix}to_v.0.weight`), null)); // [B,L,M]
  const uc = linear(b, mixer(v), params.real(`${prefix}to_gate.weight`), null); // [B,L,F]
  const out = b.add(linear(b, b.mul(uc, gate), params.real(`${prefix}to_out.weight`), params.real(`${prefix}to_out.bias`)), inp);
  return reverse ? flip(out) : out;
}
