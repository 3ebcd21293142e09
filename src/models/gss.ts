import { longConv } from '../../ir/ops/long-conv.js';
import { c64, type Tensor } from '../../ir/tensor.js';
import type { Value } from '../../ir/value.js';
import { defineArch } from './arch.js';
import type { Args, ArgSchema } from './args.js';
import { constant, randn, uniformFanIn } from './init.js';
import { submodule, type FinalStates, type Layer, type LayerContext, type ParamSpec, type StepStates } from './layer.js';
import { gelu, layerNorm, linear } from './layers.js';
import type { Rng } from './rng.js';
import { finalState, vandermondeStep } from './step.js';

/** lucidrains/gated-state-spaces-pytorch `GSS` constructor arguments (ssm-math.md §4.3). */
export const GSS_LAYER_ARGS = {
  dim: { kind: 'int', default: null, min: 1, doc: 'model width E' },
  dim_expansion_factor: { kind: 'float', default: 4, min: 0, exclusiveMin: true, doc: 'F = int(E · factor), the gate width' },
  dss_kernel_N: { kind: 'int', default: 512, min: 1, doc: 'complex modes N of the DSS kernel' },
  dss_kernel_H: { kind: 'int', default: 256, min: 1, doc: 'width H of the SSM branch' },
  dss_kernel_lambda_imag_exp: { kind: 'bool', default: true, doc: 'Im Λ = exp(Lambda_imag) when true' },
} as const satisfies ArgSchema;

export interface GssDims {
  E: number;
  F: number;
  H: number;
  N: number;
}

export function gssDims(args: Args<typeof GSS_LAYER_ARGS>): GssDims {
  const E = args.dim;
  return { E, F: Math.floor(E * args.dim_expansion_factor), H: args.dss_kernel_H, N: args.dss_kernel_N };
}

export function gssLayerParams(prefix: string, d: GssDims): ParamSpec[] {
  const p = (name: string, shape: number[]): ParamSpec => ({ name: `${prefix}${name}`, shape, dtype: 'float32' });
  return [
    p('norm.weight', [d.E]), p('norm.bias', [d.E]),
    p('to_u.0.weight', [d.F, d.E]), p('to_v.0.weight', [d.H, d.E]),
    p('dss.Lambda_real', [d.N]), p('dss.Lambda_imag', [d.N]),
    p('dss.C_real', [d.H, d.N]), p('dss.C_imag', [d.H, d.N]), p('dss.param_D', [d.H]),
    p('dss.norm.weight', [d.H]), p('dss.norm.bias', [d.H]),
    p('to_gate.weight', [d.F, d.H]), p('to_out.weight', [d.E, d.F]), p('to_out.bias', [d.E]),
  ];
}

/** The official init: LayerNorms 1/0, Λ and C randn, nn.Linear defaults. */
export function gssLayerInit(prefix: string, d: GssDims, rng: Rng): [string, Tensor][] {
  return [
    [`${prefix}norm.weight`, constant([d.E], 1)], [`${prefix}norm.bias`, constant([d.E], 0)],
    [`${prefix}to_u.0.weight`, uniformFanIn(rng, [d.F, d.E], d.E)], [`${prefix}to_v.0.weight`, uniformFanIn(rng, [d.H, d.E], d.E)],
    [`${prefix}dss.Lambda_real`, randn(rng, [d.N])], [`${prefix}dss.Lambda_imag`, randn(rng, [d.N])],
    [`${prefix}dss.C_real`, randn(rng, [d.H, d.N])], [`${prefix}dss.C_imag`, randn(rng, [d.H, d.N])],
    [`${prefix}dss.param_D`, randn(rng, [d.H])],
    [`${prefix}dss.norm.weight`, constant([d.H], 1)], [`${prefix}dss.norm.bias`, constant([d.H], 0)],
    [`${prefix}to_gate.weight`, uniformFanIn(rng, [d.F, d.H], d.H)],
    [`${prefix}to_out.weight`, uniformFanIn(rng, [d.E, d.F], d.F)], [`${prefix}to_out.bias`, uniformFanIn(rng, [d.E], d.F)],
  ];
}

/** Applies K to ũ in the form being built (the convolution, or one step of the recurrence). */
type DssBranch = (ctx: LayerContext, u: Value, lambda: Value, coef: Value) => Value;

/**
 * GSS-lr's simplified DSS (§4.2) on s [B,L,H] (or [B,H] for one position): ũ = LN(s); K[h,l] =
 * Re Σ_n C'[h,n]·exp(Λ_n l) with C' = C·(e^Λ − 1)/Λ, Λ = −exp(Λ_re) + i·exp(Λ_im) shared by all H,
 * Δ = 1, no factor 2; y = K * ũ + D ⊙ ũ, with `run` applying K to ũ in the form being built.
 */
function dssBranch(outer: LayerContext, prefix: string, s: Value, imagExp: boolean, run: DssBranch): Value {
  return submodule(outer, 'dss', (ctx) => {
    const { b, params } = ctx;
    const u = submodule(ctx, 'norm', () => layerNorm(b, s, params.real(`${prefix}dss.norm.weight`), params.real(`${prefix}dss.norm.bias`)));
    const { lambda, coef } = submodule(ctx, 'kernel', () => {
      const lamRe = b.neg(b.exp(params.real(`${prefix}dss.Lambda_real`)));
      const lamImRaw = params.real(`${prefix}dss.Lambda_imag`);
      const lambda = b.ssm('Complex', [lamRe, imagExp ? b.exp(lamImRaw) : lamImRaw]); // [N]
      const C = params.complexPair(`${prefix}dss.C_real`, `${prefix}dss.C_imag`, `${prefix}dss.C`); // [H,N]
      const one = b.initializer(b.graph.freshName('one'), c64([1], [0], []));
      return { lambda, coef: b.unsqueeze(b.mul(C, b.div(b.sub(b.exp(lambda), one), lambda)), [0]) }; // [1,H,N]
    });
    return b.add(run(ctx, u, lambda, coef), b.mul(u, params.real(`${prefix}dss.param_D`)));
  });
}

/** One GSS layer (§4.3) on x [B,L,E] (or [B,E]), its DSS branch given by `run`; each part in its module's scope. */
function gssBody(ctx: LayerContext, prefix: string, x: Value, imagExp: boolean, reverse: boolean, run: DssBranch): Value {
  const { b, params } = ctx;
  const flip = (v: Value) => b.slice(v, [-1], [Number.MIN_SAFE_INTEGER], [1], [-1]);
  const inp = reverse ? flip(x) : x;
  const xn = submodule(ctx, 'norm', () => layerNorm(b, inp, params.real(`${prefix}norm.weight`), params.real(`${prefix}norm.bias`)));
  const gate = submodule(ctx, 'to_u', () => gelu(b, linear(b, xn, params.real(`${prefix}to_u.0.weight`), null))); // [B,L,F]
  const s = submodule(ctx, 'to_v', () => gelu(b, linear(b, xn, params.real(`${prefix}to_v.0.weight`), null))); // [B,L,H]
  const y = dssBranch(ctx, prefix, s, imagExp, run);
  const uc = submodule(ctx, 'to_gate', () => linear(b, y, params.real(`${prefix}to_gate.weight`), null)); // [B,L,F]
  const out = b.add(submodule(ctx, 'to_out', () => linear(b, b.mul(uc, gate), params.real(`${prefix}to_out.weight`), params.real(`${prefix}to_out.bias`))), inp);
  return reverse ? flip(out) : out;
}

/**
 * One GSS layer as a Layer; `prefix` is its state_dict prefix ('' or 'layers.3.'). Its state is
 * `state.<prefix without the dot>` ('state.dss' for a layer at the top), its SSM core `<prefix>dss`.
 */
export function gssLayer(prefix: string, d: GssDims, imagExp: boolean, reverse = false): Layer {
  const stateName = prefix ? prefix.slice(0, -1) : 'dss';
  const info = { name: `${prefix}dss`, kernel: 'vandermonde', H: d.H, N: d.N, channels: 1, bidirectional: false };
  const sequence = (final: FinalStates | null): DssBranch => (outer, u, lambda, coef) => submodule(outer, 'conv', (ctx) => {
    const { b } = ctx;
    const uT = b.transpose(u, [0, 2, 1]); // [B,H,L]
    if (final) final.set(stateName, d.H, d.N, finalState(ctx, lambda, uT));
    const conv = longConv(b, { kernel: 'diagonal', u: uT, length: b.dim(uT, 2), scale: 1, causal: { lambda, coef }, reverse: null });
    ctx.ssmLayer(conv, info);
    return b.transpose(b.squeeze(conv, [1]), [0, 2, 1]); // [B,L,H]
  });
  // One position: x' = e^Λ ⊙ x + ũ, y = Re Σ C'·x' (ssm-math.md §5, GSS row).
  const step = (states: StepStates): DssBranch => (outer, u, lambda, coef) => submodule(outer, 'step', ({ b }) => {
    const { y, next } = vandermondeStep(b, lambda, coef, 1, u, states.state(stateName, d.H, d.N)); // [B,1,H]
    states.setOut(stateName, next);
    return b.squeeze(y, [1]);
  });
  return {
    params: () => gssLayerParams(prefix, d),
    init: (rng) => gssLayerInit(prefix, d, rng),
    conv: (ctx, x) => gssBody(ctx, prefix, x, imagExp, reverse, sequence(null)),
    recurrence: reverse
      ? { none: 'a reversed-sequence GSS layer needs the whole sequence (its recurrence runs backwards in time); use --mode conv' }
      : {
        step: (ctx, x, states) => gssBody(ctx, prefix, x, imagExp, false, step(states)),
        prefill: (ctx, x, states) => gssBody(ctx, prefix, x, imagExp, false, sequence(states)),
      },
  };
}

const schema = { ...GSS_LAYER_ARGS, reverse_seq: { kind: 'bool', default: false, doc: 'run the layer on the reversed sequence' } } as const satisfies ArgSchema;

export const gss = defineArch({
  id: 'gss',
  official: 'lucidrains/gated-state-spaces-pytorch gated_state_spaces_pytorch/gss.py GSS',
  schema,
  layer: (args) => gssLayer('', gssDims(args), args.dss_kernel_lambda_imag_exp, args.reverse_seq),
  io(args) {
    const E = args.dim;
    const shape = (L: string | number | null) => ['batch', L, E];
    return { inputDtype: 'float32', inputShape: shape, outputShape: shape, step: { input: ['batch', E], output: ['batch', E] }, layout: 'BLE' };
  },
});
