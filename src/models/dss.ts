import type { Builder } from '../../ir/builder.js';
import { powersByProducts } from '../../ir/ops/powers.js';
import { c64, f32, type Tensor } from '../../ir/tensor.js';
import { onnxCode } from '../../ir/types.js';
import type { LongConv } from '../../ir/ops/long-conv.js';
import type { Value } from '../../ir/value.js';
import { UserError } from '../errors.js';
import { defineArch } from './arch.js';
import { checkDtRange, DT_RANGE, trainingOnly, type Args, type ArgSchema } from './args.js';
import { symmetricEigenvalues } from './eig.js';
import { fill, logDt, randn, uniformFanIn } from './init.js';
import { prefixed, submodule, type FinalStates, type Layer, type LayerContext, type ParamSpec, type Prefixed, type StepStates } from './layer.js';
import { ACTIVATIONS, activation, glu, linear } from './layers.js';
import { finalState, vandermondeStep } from './step.js';
import type { ParamStore } from './params.js';
import type { Rng } from './rng.js';
import { convWithSkip, toChannelsFirst } from './ssm-blocks.js';

const VERSIONS = ['softmax', 'exp', 'exp-re-im', 'exp-no-scale', 'clip', 'clip-no-scale'] as const;
type Version = (typeof VERSIONS)[number];

export const dssSchema = {
  d_model: { kind: 'int', default: null, min: 1, doc: 'number of features H' },
  d_state: { kind: 'int', default: 64, min: 1, doc: 'complex modes N (no conjugate halving in DSS)' },
  l_max: { kind: 'int', default: null, min: 1, max: 2 ** 24, nullable: true, doc: 'unused at inference (the kernel follows the input length)' },
  channels: { kind: 'int', default: 1, min: 1, doc: 'output channels C per feature' },
  bidirectional: { kind: 'bool', default: false, doc: 'two-sided kernel' },
  activation: { kind: 'enum', default: 'gelu', values: ACTIVATIONS, nullable: true, doc: 'activation after the SSM' },
  postact: { kind: 'enum', default: null, values: ['glu'], nullable: true, doc: 'output_linear activation (null or "glu")' },
  hyper_act: { kind: 'enum', default: null, values: ACTIVATIONS, nullable: true, doc: 'hypernetwork gating activation (not supported: null only)' },
  transposed: { kind: 'bool', default: true, doc: 'input layout (B,H,L) when true, (B,L,H) when false' },
  max_kernel_length: { kind: 'int', default: null, min: 1, max: 2 ** 24, nullable: true, doc: 'truncate the kernel to this length' },
  version: { kind: 'enum', default: 'softmax', values: VERSIONS, doc: 'DSS kernel version' },
  sep_dt_re_im: { kind: 'bool', default: true, doc: 'separate Δ for the real and imaginary parts of Λ' },
  epsilon: { kind: 'float', default: 1e-7, min: 0, doc: 'epsilon of the reciprocals' },
  max_real_Lambda: { kind: 'float', default: 1e-4, doc: "upper clip of Re Λ for the 'clip' versions" },
  Lambda_init: { kind: 'enum', default: 'hippo_skew_pos_imag', values: ['hippo_skew_pos_imag', 'randn'], doc: 'initial Λ' },
  ...DT_RANGE,
  ...trainingOnly('trainable', 'lr', 'dropout', 'weight_norm', 'initializer'),
} as const satisfies ArgSchema;

export type DssArgs = Args<typeof dssSchema>;


function dims(args: DssArgs) {
  const H = args.d_model, N = args.d_state, C = args.channels;
  return { H, N, C, Ck: C * (args.bidirectional ? 2 : 1), dOut: args.postact === 'glu' ? 2 * H : H };
}

function lambdaParams(version: Version, N: number, px: Prefixed): ParamSpec[] {
  const p = (name: string, shape: number[]): ParamSpec => ({ name: px(`kernel.${name}`), shape, dtype: 'float32' });
  if (version === 'softmax' || version.startsWith('clip')) return [p('Lambda', [N, 2])];
  if (version === 'exp-re-im') return [p('Lambda_log_neg_re', [N]), p('Lambda_log_im', [N])];
  return [p('Lambda_log_neg_re', [N]), p('Lambda_im', [N])];
}

function linearPrefix(args: DssArgs, p: Prefixed): string {
  return p(args.postact === 'glu' ? 'output_linear.0' : 'output_linear');
}

/** Λ0 = −0.5 + iω for the N largest positive ω of the skew part of HiPPO-LegS (size 2N). */
function hippoSkewLambda(N: number): { re: number[]; im: number[] } {
  const M = 2 * N;
  if (M > 256) {
    throw new UserError(`model file: arch 'dss': Lambda_init "hippo_skew_pos_imag" for d_state ${N} > 128 is not computed by ssmc (its eigen-solver is meant for small matrices); use Lambda_init "randn" or load a checkpoint with --weights`);
  }
  // S = (Hᵗ − Hᵗᵀ)/2 with Hᵗ[i,j] = √((2i+1)(2j+1)) for i > j; its eigenvalues are ±iω, ω² those of SᵀS.
  const S = new Float64Array(M * M);
  for (let i = 0; i < M; i++) for (let j = 0; j < i; j++) {
    const v = Math.sqrt((2 * i + 1) * (2 * j + 1)) / 2;
    S[i * M + j] = v;
    S[j * M + i] = -v;
  }
  const StS = new Float64Array(M * M);
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) {
    let s = 0;
    for (let k = 0; k < M; k++) s += S[k * M + i]! * S[k * M + j]!;
    StS[i * M + j] = s;
  }
  const omegas = symmetricEigenvalues(StS, M).map((x) => Math.sqrt(Math.max(x, 0))).sort((a, b) => b - a);
  // Each ω appears twice (for +iω and −iω): take every other one.
  const im = Array.from({ length: N }, (_, n) => omegas[2 * n]!);
  return { re: im.map(() => -0.5), im };
}

/** Λ (complex [N]) from the stored parameters of each version. */
function lambdaOf(b: Builder, params: ParamStore, version: Version, args: DssArgs, p: Prefixed): Value {
  if (version === 'softmax' || version.startsWith('clip')) {
    const raw = params.real(p('kernel.Lambda'));
    const part = (i: number) => b.op('Gather', [raw, b.i64(i, [], 'part')], { axis: 1 });
    const re = version === 'softmax' ? part(0) : b.op('Min', [part(0), b.f32(args.max_real_Lambda)]);
    return b.ssm('Complex', [re, part(1)]);
  }
  const re = b.neg(b.exp(params.real(p('kernel.Lambda_log_neg_re'))));
  const im = version === 'exp-re-im' ? b.exp(params.real(p('kernel.Lambda_log_im'))) : params.real(p('kernel.Lambda_im'));
  return b.ssm('Complex', [re, im]);
}

/** conj(x)/(|x|² + ε): DSS's epsilon reciprocal — not exactly 1/x, reproduced as the official code has it. */
function reciprocal(b: Builder, x: Value, eps: number): Value {
  const conj = b.ssm('Conj', [x]);
  return b.div(conj, b.add(b.ssm('Real', [b.mul(x, conj)]), b.f32(eps)));
}

/** What every DSS kernel version starts from: Λ [N], ΔΛ [H,N], W [Ck,H,N] and a complex one. */
interface DssSystem {
  lambda: Value;
  dLambda: Value;
  W: Value;
  one: Value;
}

function dssSystem(b: Builder, params: ParamStore, args: DssArgs, p: Prefixed): DssSystem {
  const lambda = lambdaOf(b, params, args.version, args, p); // [N]
  const logDtV = params.real(p('kernel.log_dt'));
  let dLambda: Value; // [H,N]
  if (args.sep_dt_re_im) {
    const dt = b.exp(logDtV); // [H,2]
    const col = (i: number) => b.op('Gather', [dt, b.i64([i], [1], 'col')], { axis: 1 }); // [H,1]
    dLambda = b.ssm('Complex', [b.mul(col(0), b.ssm('Real', [lambda])), b.mul(col(1), b.ssm('Imag', [lambda]))]);
  } else {
    dLambda = b.mul(lambda, b.unsqueeze(b.exp(logDtV), [1]));
  }
  const W = params.complex(p('kernel.W')); // [Ck,H,N]
  const one = b.initializer(b.graph.freshName('one'), c64([1], [0], []));
  return { lambda, dLambda, W, one };
}

/**
 * The length-independent versions (ssm-math.md §3.1) as a diagonal kernel: K_l = Re Σ_n coef·exp(ΔΛ·l),
 * no factor 2, with coef = W·(e^{ΔΛ} − 1)·conj(Λ)/max(|Λ|², ε) (or W alone for the no-scale ones).
 */
function diagonalModes(b: Builder, sys: DssSystem, args: DssArgs): { lambda: Value; coef: Value } {
  const { lambda, dLambda, W, one } = sys;
  const coef = args.version.endsWith('no-scale')
    ? W
    : b.mul(W, b.div(b.mul(b.sub(b.exp(dLambda), one), b.ssm('Conj', [lambda])),
      b.op('Max', [b.ssm('Real', [b.mul(lambda, b.ssm('Conj', [lambda]))]), b.f32(args.epsilon)])));
  return { lambda: dLambda, coef };
}

/**
 * The DSS-softmax kernel K [Ck,H,Lk] (ssm-math.md §3.1), which depends on its length: modes with
 * Re Λ > 0 are shifted by −ΔΛ(L−1) so nothing overflows. `approximateTrig` (a GPU's shader math)
 * builds the powers from products of constants (softmaxPowers) instead of exp of run-time phases.
 */
function softmaxKernel(b: Builder, sys: DssSystem, args: DssArgs, Lk: Value, approximateTrig: boolean): Value {
  const { lambda, dLambda, W, one } = sys;
  const eps = args.epsilon;
  const float = onnxCode('float32');
  const g = b.cast(b.op('Greater', [b.ssm('Real', [lambda]), b.f32(0)]), float); // [N]
  const dNeg = b.mul(dLambda, b.sub(b.f32(1), b.mul(g, b.f32(2)))); // ΔΛ·(1 − 2g)
  if (approximateTrig) return softmaxPowers(b, sys, args, Lk, g, dNeg);
  const l = b.positions(Lk); // [Lk]
  // L as a float [1] taken from the positions themselves, so it lives where they do (a float cast
  // from the host-side length would be copied to a GPU on every run).
  const Lf = b.add(b.slice(l, [-1], [Number.MAX_SAFE_INTEGER], [0]), b.f32(1, [], 'one'));
  const num_ = b.sub(b.exp(dNeg), one);
  const den = b.sub(b.exp(b.mul(dNeg, Lf)), one);
  const coef = b.mul(W, b.mul(num_, reciprocal(b, b.mul(den, lambda), eps))); // [Ck,H,N]
  const shift = b.mul(b.mul(dLambda, g), b.sub(Lf, b.f32(1))); // [H,N]
  const P = b.sub(b.mul(b.unsqueeze(dLambda, [2]), l), b.unsqueeze(shift, [2])); // [H,N,Lk]
  const K = b.ssm('Real', [b.matmul(b.transpose(coef, [1, 0, 2]), b.exp(P))]); // [H,Ck,Lk]
  return b.transpose(K, [1, 0, 2]);
}

/**
 * The DSS-softmax kernel from one power table of ΔΛ' = ΔΛ·(1 − 2g) (Re ΔΛ' ≤ 0, so nothing
 * overflows): T_l = exp(ΔΛ'·l) for l = 0..L by products of constants (ir/ops/powers.ts). Then
 * exp(ΔΛ·l − g·ΔΛ·(L−1)) is T_l for g = 0 and T_(L−1−l) for g = 1, and exp(ΔΛ'·L) = T_L: the
 * same kernel as softmaxKernel's with no run-time sin or cos.
 */
function softmaxPowers(b: Builder, sys: DssSystem, args: DssArgs, Lk: Value, g: Value, dNeg: Value): Value {
  const { lambda, W, one } = sys;
  const table = powersByProducts(b, dNeg, b.add(Lk, b.i64(1, [], 'one')), DSS_MAX_POSITIONS + 1); // [H,N,L+1]
  const forward = b.slice(table, [0], b.unsqueeze(Lk, [0]), [2]); // [H,N,L]
  const backward = b.slice(forward, [-1], [Number.MIN_SAFE_INTEGER], [2], [-1]);
  const gE = b.unsqueeze(g, [1]); // [N,1]
  const E = b.add(b.mul(forward, b.sub(b.f32(1), gE)), b.mul(backward, gE)); // [H,N,L]
  const atL = b.squeeze(b.slice(table, b.unsqueeze(Lk, [0]), b.unsqueeze(b.add(Lk, b.i64(1, [], 'one')), [0]), [2]), [2]); // [H,N]
  const coef = b.mul(W, b.mul(b.sub(b.exp(dNeg), one), reciprocal(b, b.mul(b.sub(atL, one), lambda), args.epsilon))); // [Ck,H,N]
  const K = b.ssm('Real', [b.matmul(b.transpose(coef, [1, 0, 2]), E)]); // [H,Ck,L]
  return b.transpose(K, [1, 0, 2]);
}

/** The longest input a DSS-softmax graph for a device with approximate sin/cos serves (its power table's levels). */
const DSS_MAX_POSITIONS = 2 ** 20;

function params(args: DssArgs, p: Prefixed): ParamSpec[] {
  const { H, N, C, Ck, dOut } = dims(args);
  const lin = linearPrefix(args, p);
  return [
    { name: p('D'), shape: [C, H], dtype: 'float32' },
    { name: p('kernel.log_dt'), shape: args.sep_dt_re_im ? [H, 2] : [H], dtype: 'float32' },
    ...lambdaParams(args.version, N, p),
    { name: p('kernel.W'), shape: [Ck, H, N, 2], dtype: 'float32' },
    { name: `${lin}.weight`, shape: [dOut, H * C], dtype: 'float32' },
    { name: `${lin}.bias`, shape: args.transposed ? [dOut, 1] : [dOut], dtype: 'float32' },
  ];
}

function init(args: DssArgs, p: Prefixed, rng: Rng): [string, Tensor][] {
  const { H, N, C, Ck, dOut } = dims(args);
  const version = args.version;
  const lam = args.Lambda_init === 'randn'
    ? { re: Array.from({ length: N }, () => Math.SQRT1_2 * rng.normal()), im: Array.from({ length: N }, () => Math.SQRT1_2 * rng.normal()) }
    : hippoSkewLambda(N);
  const lin = linearPrefix(args, p);
  const ldt = logDt(rng, [H], args.dt_min, args.dt_max);
  const out: [string, Tensor][] = [
    [p('D'), randn(rng, [C, H])],
    [p('kernel.log_dt'), args.sep_dt_re_im ? f32(ldt.flatMap((x) => [x, x]), [H, 2]) : f32(ldt, [H])],
    [p('kernel.W'), randn(rng, [Ck, H, N, 2])],
    [`${lin}.weight`, uniformFanIn(rng, [dOut, H * C], H * C)],
    [`${lin}.bias`, uniformFanIn(rng, args.transposed ? [dOut, 1] : [dOut], H * C)],
  ];
  if (version === 'softmax' || version.startsWith('clip')) out.push([p('kernel.Lambda'), f32(lam.re.flatMap((r, i) => [r, lam.im[i]!]), [N, 2])]);
  else {
    out.push([p('kernel.Lambda_log_neg_re'), f32(lam.re.map((r) => Math.log(Math.max(-r, 1e-4))), [N])]);
    if (version === 'exp-re-im') out.push([p('kernel.Lambda_log_im'), fill([N], (i) => Math.log(Math.max(lam.im[i]!, 1e-4)))]);
    else out.push([p('kernel.Lambda_im'), f32(lam.im, [N])]);
  }
  return out;
}

/** One position u [B,H]: x' = e^{ΔΛ} ⊙ x + u, y = Re Σ coef·x' + D·u (ssm-math.md §5: the DSS-exp recurrence). */
function step(ctx: LayerContext, args: DssArgs, p: Prefixed, u: Value, states: StepStates): Value {
  const { b, params } = ctx;
  const { H, N, C, dOut } = dims(args);
  const { lambda, coef } = submodule(ctx, 'kernel', () => diagonalModes(b, dssSystem(b, params, args, p), args));
  const flat = submodule(ctx, 'step', () => {
    const { y, next } = vandermondeStep(b, lambda, coef, 1, u, states.state(p('kernel'), H, N)); // [B,C,H]
    states.setOut(p('kernel'), next);
    return b.reshape(b.add(y, b.mul(b.unsqueeze(u, [1]), params.real(p('D')))), [0, C * H]);
  });
  const act = activation(b, flat, args.activation);
  return submodule(ctx, 'output_linear', () => {
    const lin = linearPrefix(args, p);
    const z = linear(b, act, params.real(`${lin}.weight`), b.reshape(params.real(`${lin}.bias`), [dOut]));
    return args.postact === 'glu' ? glu(b, z, 1, dOut) : z;
  });
}

/** The whole sequence; with `final`, also the state after it (prefill). Scopes: kernel, state (prefill), conv, output_linear. */
function sequence(ctx: LayerContext, args: DssArgs, p: Prefixed, input: Value, final: FinalStates | null): Value {
  const { b, params } = ctx;
  const { H, N, C, Ck, dOut } = dims(args);
  const u = toChannelsFirst(b, input, args.transposed);
  if (final) submodule(ctx, 'state', () => final.set(p('kernel'), H, N, finalState(ctx, diagonalModes(b, dssSystem(b, params, args, p), args).lambda, u)));
  const conv = submodule(ctx, 'kernel', (): LongConv => {
    let Lk = b.dim(u, 2);
    if (args.max_kernel_length !== null) Lk = b.op('Min', [Lk, b.i64(args.max_kernel_length, [], 'max_kernel_length')]);
    const sys = dssSystem(b, params, args, p);
    const sides = (x: Value): [Value, Value | null] => (args.bidirectional ? [b.slice(x, [0], [C], [0]), b.slice(x, [C], [Ck], [0])] : [x, null]);
    if (args.version === 'softmax') {
      const [k, kRev] = sides(softmaxKernel(b, sys, args, Lk, ctx.options.approximateTrig));
      return { kernel: 'taps', u, k, kRev };
    }
    const { lambda, coef } = diagonalModes(b, sys, args);
    const [causal, reverse] = sides(coef);
    return { kernel: 'diagonal', u, length: Lk, scale: 1, causal: { lambda, coef: causal }, reverse: reverse ? { lambda, coef: reverse } : null };
  });
  const info = { name: p('kernel'), kernel: args.version === 'softmax' ? 'dss-softmax' : 'vandermonde', H, N, channels: C, bidirectional: args.bidirectional };
  const y = activation(b, submodule(ctx, 'conv', (c) => convWithSkip(c, conv, params.real(p('D')), H, C, info)), args.activation); // [B,C·H,L]
  return submodule(ctx, 'output_linear', () => {
    const lin = linearPrefix(args, p);
    const W = params.real(`${lin}.weight`), bias = params.real(`${lin}.bias`);
    const z = args.transposed
      ? b.add(b.matmul(W, y), bias) // bias [dOut,1]
      : b.add(b.matmul(b.transpose(y, [0, 2, 1]), b.transpose(W, [1, 0])), bias);
    return args.postact === 'glu' ? glu(b, z, args.transposed ? 1 : 2, dOut) : z;
  });
}

/** Why this DSS has no recurrence, or null. */
function noRecurrence(args: DssArgs): string | null {
  if (args.version === 'softmax') {
    return 'the DSS-softmax kernel depends on the sequence length L (its row-softmax normalises over all L positions), so it has no length-independent recurrence; use --mode conv, or a DSS-exp model';
  }
  if (args.bidirectional) return 'a bidirectional kernel has no recurrence: its anti-causal half needs the future of the sequence; use --mode conv';
  return null;
}

/** A DSS layer, its parameters under `prefix`. */
export function dssLayer(args: DssArgs, prefix = ''): Layer {
  const p = prefixed(prefix);
  const none = noRecurrence(args);
  return {
    params: () => params(args, p),
    init: (rng) => init(args, p, rng),
    conv: (ctx, x) => sequence(ctx, args, p, x, null),
    recurrence: none !== null ? { none } : { step: (ctx, x, states) => step(ctx, args, p, x, states), prefill: (ctx, x, states) => sequence(ctx, args, p, x, states) },
  };
}

/** ag1988/dss `DSS` layer (ssm-math.md §3.2). */
export const dss = defineArch({
  id: 'dss',
  official: 'ag1988/dss src/models/sequence/ss/standalone/dss.py DSS',
  schema: dssSchema,
  validate(args) {
    if (args.hyper_act !== null) {
      throw new UserError(`model file: arch 'dss': "hyper_act" ${JSON.stringify(args.hyper_act)} (hypernetwork gating) is not supported by ssmc; set it to null or leave it out`);
    }
    checkDtRange('dss', args);
  },
  layer: (args) => dssLayer(args),
  io(args) {
    const H = args.d_model;
    const shape = args.transposed ? (L: string | number | null) => ['batch', H, L] : (L: string | number | null) => ['batch', L, H];
    return { inputDtype: 'float32', inputShape: shape, outputShape: shape, step: { input: ['batch', H], output: ['batch', H] }, layout: args.transposed ? 'BHL' : 'BLH' };
  },
});
