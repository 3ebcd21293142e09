import type { Builder } from '../../ir/builder.js';
import { longConv } from '../../ir/ops/long-conv.js';
import { c64 } from '../../ir/tensor.js';
import type { Value } from '../../ir/value.js';
import type { ArchDef, ParamSpec } from './arch.js';
import { bool, int, type ArgSchema, type ArgValues } from './args.js';
import { constant, randn, uniformFanIn } from './init.js';
import { gelu, layerNorm, linear } from './layers.js';
import type { ParamStore } from './params.js';
import type { Rng } from './rng.js';
import type { Tensor } from '../../ir/tensor.js';
import { finalState, vandermondeStep, type FinalStates, type StepStates } from './step.js';

/** lucidrains/gated-state-spaces-pytorch `GSS` constructor arguments (ssm-math.md §4.3). */
export const GSS_LAYER_ARGS: ArgSchema = {
  dim: { kind: 'int', default: null, min: 1, doc: 'model width E' },
  dim_expansion_factor: { kind: 'float', default: 4, min: 0, exclusiveMin: true, doc: 'F = int(E · factor), the gate width' },
  dss_kernel_N: { kind: 'int', default: 512, min: 1, doc: 'complex modes N of the DSS kernel' },
  dss_kernel_H: { kind: 'int', default: 256, min: 1, doc: 'width H of the SSM branch' },
  dss_kernel_lambda_imag_exp: { kind: 'bool', default: true, doc: 'Im Λ = exp(Lambda_imag) when true' },
};

export interface GssDims {
  E: number;
  F: number;
  H: number;
  N: number;
}

export function gssDims(args: ArgValues): GssDims {
  const E = int(args, 'dim');
  return { E, F: Math.floor(E * (args.dim_expansion_factor as number)), H: int(args, 'dss_kernel_H'), N: int(args, 'dss_kernel_N') };
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

/**
 * GSS-lr's simplified DSS (§4.2) on s [B,L,H]: ũ = LN(s); K[h,l] = Re Σ_n C'[h,n]·exp(Λ_n l) with
 * C' = C·(e^Λ − 1)/Λ, Λ = −exp(Λ_re) + i·exp(Λ_im) shared by all H, Δ = 1, no factor 2;
 * y = K * ũ + D ⊙ ũ (a LongConv with that diagonal kernel).
 */
function dssBranch(b: Builder, params: ParamStore, prefix: string, s: Value, d: GssDims, imagExp: boolean, step: StepStates | null, prefill: FinalStates | null): Value {
  const u = layerNorm(b, s, params.real(`${prefix}dss.norm.weight`), params.real(`${prefix}dss.norm.bias`));
  const lamRe = b.neg(b.exp(params.real(`${prefix}dss.Lambda_real`)));
  const lamImRaw = params.real(`${prefix}dss.Lambda_imag`);
  const lambda = b.ssm('Complex', [lamRe, imagExp ? b.exp(lamImRaw) : lamImRaw]); // [N]
  const C = params.complexPair(`${prefix}dss.C_real`, `${prefix}dss.C_imag`, `${prefix}dss.C`); // [H,N]
  const one = b.initializer(b.graph.freshName('one'), c64([1], [0], []));
  const coef = b.unsqueeze(b.mul(C, b.div(b.sub(b.exp(lambda), one), lambda)), [0]); // [1,H,N]
  if (step) {
    // One position: x' = e^Λ ⊙ x + ũ, y = Re Σ C'·x' + D ⊙ ũ (ssm-math.md §5, GSS row).
    const layer = prefix ? prefix.slice(0, -1) : 'dss';
    const { y, next } = vandermondeStep(b, lambda, coef, 1, u, step.state(layer, d.H, d.N)); // [B,1,H]
    step.setOut(layer, next);
    return b.add(b.squeeze(y, [1]), b.mul(u, params.real(`${prefix}dss.param_D`)));
  }
  const uT = b.transpose(u, [0, 2, 1]); // [B,H,L]
  if (prefill) prefill.set(prefix ? prefix.slice(0, -1) : 'dss', d.H, d.N, finalState(b, lambda, uT));
  const conv = longConv(b, { kernel: 'diagonal', u: uT, length: b.dim(uT, 2), scale: 1, causal: { lambda, coef }, reverse: null });
  const y = b.squeeze(conv, [1]); // [B,H,L]
  return b.add(b.transpose(y, [0, 2, 1]), b.mul(u, params.real(`${prefix}dss.param_D`)));
}

/** One GSS layer (§4.3) on x [B,L,E]; `prefix` is the state_dict prefix ('' or 'layers.3.'). */
export function gssLayer(b: Builder, params: ParamStore, prefix: string, x: Value, d: GssDims, imagExp: boolean, reverse = false, step: StepStates | null = null, prefill: FinalStates | null = null): Value {
  const flip = (v: Value) => b.slice(v, [-1], [Number.MIN_SAFE_INTEGER], [1], [-1]);
  const inp = reverse ? flip(x) : x;
  const xn = layerNorm(b, inp, params.real(`${prefix}norm.weight`), params.real(`${prefix}norm.bias`));
  const gate = gelu(b, linear(b, xn, params.real(`${prefix}to_u.0.weight`), null)); // [B,L,F]
  const s = gelu(b, linear(b, xn, params.real(`${prefix}to_v.0.weight`), null)); // [B,L,H]
  const y = dssBranch(b, params, prefix, s, d, imagExp, step, prefill);
  const uc = linear(b, y, params.real(`${prefix}to_gate.weight`), null); // [B,L,F]
  const out = b.add(linear(b, b.mul(uc, gate), params.real(`${prefix}to_out.weight`), params.real(`${prefix}to_out.bias`)), inp);
  return reverse ? flip(out) : out;
}

export const gss: ArchDef = {
  id: 'gss',
  official: 'lucidrains/gated-state-spaces-pytorch gated_state_spaces_pytorch/gss.py GSS',
  schema: { ...GSS_LAYER_ARGS, reverse_seq: { kind: 'bool', default: false, doc: 'run the layer on the reversed sequence' } },
  params: (args) => gssLayerParams('', gssDims(args)),
  init: (args, rng) => new Map(gssLayerInit('', gssDims(args), rng)),
  io(args) {
    const E = int(args, 'dim');
    const shape = (L: string | number | null) => ['batch', L, E];
    return { inputDtype: 'float32', inputShape: shape, outputShape: shape, layout: 'BLE' };
  },
  build: ({ b, args, params, input, step, prefill }) =>
    gssLayer(b, params, '', input, gssDims(args), bool(args, 'dss_kernel_lambda_imag_exp'), bool(args, 'reverse_seq'), step, prefill),
  stepIo(args) {
    if (bool(args, 'reverse_seq')) return 'a reversed-sequence GSS layer needs the whole sequence (its recurrence runs backwards in time); use --mode conv';
    const E = int(args, 'dim');
    return { input: ['batch', E], output: ['batch', E] };
  },
};
