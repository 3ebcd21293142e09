import type { Builder } from '../../ir/builder.js';
import { discretize, discretizeOp, DISCRETIZATIONS } from '../../ir/ops/discretize.js';
import type { LongConv } from '../../ir/ops/long-conv.js';
import { f32, lazyTensor, type Tensor } from '../../ir/tensor.js';
import type { Value } from '../../ir/value.js';
import { UserError } from '../errors.js';
import { defineArch } from './arch.js';
import { checkDtRange, DT_RANGE, trainingOnly, type Args, type ArgSchema } from './args.js';
import { dplrLinearPrefill, dplrStateSpace, type DplrStateSpace } from './dplr-chunked.js';
import { planDplrStep, type DplrStepPlan } from './dplr-diagonal.js';
import { legsNplr } from './hippo.js';
import { complexRandn, logDt, randn, uniformFanIn } from './init.js';
import { submodule, type FinalStates, type Layer, type LayerContext, type ParamSpec, type StepStates } from './layer.js';
import { ACTIVATIONS, activation, glu, GLU_ACTIVATIONS, gluGate, isGlu, linear } from './layers.js';
import type { Rng } from './rng.js';
import { dplrCompileCost } from './s4-dplr-cost.js';
import { complexTensor, DPLR_MAX_DYNAMIC_LENGTH, dplrExtraParams, dplrKernel, dplrLinearStep, readSystem, toCtilde } from './s4-dplr.js';
import { convWithSkip, toChannelsFirst } from './ssm-blocks.js';
import { finalState, vandermondeStep } from './step.js';
import { invTransform, PARAM_TRANSFORMS, paramTransform } from './transforms.js';

const DIAG_MODES = ['diag', 's4d'] as const;
const DPLR_MODES = ['dplr', 's4', 'nplr'] as const;
/** The diagonal initialisations of closed form (S4D-Lin, -Inv, -Inv2, -Quad, -Real). */
const DIAG_INITS = ['diag-lin', 'diag-inv', 'diag-inv2', 'diag-quad', 'diag-real'] as const;
/** S4D-LegS: the diagonal part of HiPPO-LegS's normal-plus-low-rank form (the official default init, 'legs'). */
const LEGS_INITS = ['legs', 'diag-legs', 'dplr-legs'];
/** Official combinations, split evenly over the n_ssm copies in this order. */
const DIAG_COMBINATIONS: Record<string, string[]> = { diag: ['diag-inv', 'diag-lin'] };

export const s4BlockSchema = {
  d_model: { kind: 'int', default: null, min: 1, doc: 'number of features H' },
  d_state: { kind: 'int', default: 64, min: 2, doc: 'state size N (N/2 complex modes are stored)' },
  channels: { kind: 'int', default: 1, min: 1, doc: 'output channels C per feature' },
  l_max: { kind: 'int', default: null, min: 1, max: 2 ** 24, nullable: true, doc: 'maximum kernel length (null: the input length)' },
  bidirectional: { kind: 'bool', default: false, doc: 'two-sided (non-causal) kernel' },
  activation: { kind: 'enum', default: 'gelu', values: ACTIVATIONS, nullable: true, doc: 'activation after the SSM' },
  mult_act: { kind: 'enum', default: null, values: ACTIVATIONS, nullable: true, doc: 'activation after the first one (applied even without a gate)' },
  final_act: { kind: 'enum', default: 'glu', values: [...GLU_ACTIVATIONS, ...ACTIVATIONS], nullable: true, doc: "output_linear's activation; null: no output_linear" },
  transposed: { kind: 'bool', default: true, doc: 'input layout (B,H,L) when true, (B,L,H) when false' },
  swap_channels: { kind: 'bool', default: false, doc: "flatten channels as (h c) instead of (c h)" },
  mode: { kind: 'enum', default: 'dplr', values: [...DIAG_MODES, ...DPLR_MODES], doc: 'kernel: diag/s4d (diagonal) or dplr/s4/nplr' },
  init: { kind: 'enum', default: 'legs', values: ['legs', 'fout', 'fourier', 'legt', 'lagt', 'hippo', 'diag', 'all', 'diag-legs', 'dplr-legs', ...DIAG_INITS], doc: 'initialisation of A (and B, P); any is fine with a checkpoint' },
  disc: { kind: 'enum', default: 'zoh', values: DISCRETIZATIONS, doc: 'discretisation of the diagonal kernel' },
  ...DT_RANGE,
  dt_tie: { kind: 'bool', default: true, doc: 'one Δ per feature (false: one per mode)' },
  dt_transform: { kind: 'enum', default: 'exp', values: PARAM_TRANSFORMS, doc: 'how inv_dt maps to Δ' },
  real_transform: { kind: 'enum', default: 'exp', values: PARAM_TRANSFORMS, doc: 'how A_real maps to −Re a' },
  imag_transform: { kind: 'enum', default: 'none', values: PARAM_TRANSFORMS, doc: 'how A_imag maps to −Im a' },
  n_ssm: { kind: 'int', default: null, min: 1, nullable: true, doc: 'number of independent (A, B) copies (null: H)' },
  rank: { kind: 'int', default: 1, min: 1, doc: 'low-rank term of the DPLR kernel' },
  bandlimit: { kind: 'float', default: null, min: 0, nullable: true, doc: 'zero modes above this frequency' },
  bottleneck: { kind: 'int', default: null, nullable: true, min: 1, doc: 'GSS-style bottleneck (broken at the official HEAD)' },
  gate: { kind: 'int', default: null, nullable: true, min: 1, doc: 'GSS-style gate (broken at the official HEAD)' },
  ...trainingOnly('dropout', 'tie_dropout', 'drop_kernel', 'lr', 'wd', 'backend', 'weight_norm', 'initializer'),
} as const satisfies ArgSchema;

export type S4BlockArgs = Args<typeof s4BlockSchema>;


function dims(args: S4BlockArgs) {
  const H = args.d_model;
  const N2 = args.d_state / 2;
  const C = args.channels;
  const Ck = C * (args.bidirectional ? 2 : 1);
  const nSsm = args.n_ssm ?? H;
  return { H, N2, C, Ck, nSsm, dOut: isGlu(args.final_act) ? 2 * H : H };
}

function isDplr(args: S4BlockArgs): boolean {
  return DPLR_MODES.some((m) => m === args.mode);
}

/**
 * The official parameter names of an S4Block whose state_dict prefix is `prefix` ('' at the top,
 * 'layers.0.layer.' inside a backbone). Its SSM core is the `<prefix>layer` module: that is also
 * the name of its state (`state.<prefix>layer`) and of its entry in `ssmc.layers`.
 */
export interface S4BlockNames {
  core: string;
  D: string;
  /** The kernel's prefix, for the DPLR system and the constants derived from it. */
  kernel: string;
  invDt: string;
  aReal: string;
  aImag: string;
  B: string;
  C: string;
  /** output_linear's tensors; null when final_act is null (output_linear is the identity). */
  weight: string | null;
  bias: string | null;
}

function names(args: S4BlockArgs, prefix: string): S4BlockNames {
  const kernel = `${prefix}layer.kernel.`;
  // LinearActivation wraps the Linear in nn.Sequential(linear, act) whenever final_act is set;
  // final_act null makes output_linear nn.Identity, without tensors.
  const lin = `${prefix}output_linear.0`;
  const linear = args.final_act !== null;
  return {
    core: `${prefix}layer`, D: `${prefix}layer.D`, kernel, invDt: `${kernel}inv_dt`, aReal: `${kernel}A_real`, aImag: `${kernel}A_imag`,
    B: `${kernel}B`, C: `${kernel}C`, weight: linear ? `${lin}.weight` : null, bias: linear ? `${lin}.bias` : null,
  };
}

/** The S4Block's checkpoint entries. */
function params(args: S4BlockArgs, n: S4BlockNames): ParamSpec[] {
  const { H, N2, C, Ck, nSsm, dOut } = dims(args);
  return [
    { name: n.D, shape: [C, H], dtype: 'float32' },
    { name: n.invDt, shape: args.dt_tie ? [H, 1] : [H, N2], dtype: 'float32' },
    { name: n.aReal, shape: [nSsm, N2], dtype: 'float32' },
    { name: n.aImag, shape: [nSsm, N2], dtype: 'float32' },
    { name: n.B, shape: [1, nSsm, N2, 2], dtype: 'float32' },
    { name: n.C, shape: [Ck, H, N2, 2], dtype: 'float32' },
    ...outputLinear(n, dOut, C * H),
    ...(isDplr(args) ? dplrExtraParams(args, n.kernel) : []),
  ];
}

/** output_linear's checkpoint entries (none when final_act is null). */
function outputLinear(n: S4BlockNames, dOut: number, CH: number): ParamSpec[] {
  if (n.weight === null || n.bias === null) return [];
  return [
    { name: n.weight, shape: [dOut, CH], dtype: 'float32' },
    { name: n.bias, shape: [dOut], dtype: 'float32' },
  ];
}

function initOutputLinear(n: S4BlockNames, dOut: number, CH: number, rng: Rng): [string, Tensor][] {
  return outputLinear(n, dOut, CH).map((p) => [p.name, uniformFanIn(rng, p.shape, CH)]);
}

/** A fresh diagonal S4Block, initialised like the official code (S4D-LegS, -Lin, -Inv, …, the 'diag' combination). */
function init(args: S4BlockArgs, n: S4BlockNames, rng: Rng): [string, Tensor][] {
  const { H, N2, C, Ck, nSsm, dOut } = dims(args);
  if (isDplr(args)) return initDplr(args, n, rng);
  const modes = diagInitCopies(args.init, args.mode, nSsm, N2);
  const dtShape = args.dt_tie ? [H, 1] : [H, N2];
  return [
    [n.D, randn(rng, [C, H])],
    [n.invDt, f32(logDt(rng, dtShape, args.dt_min, args.dt_max).map((x) => invTransform(Math.exp(x), args.dt_transform)), dtShape)],
    [n.aReal, f32(modes.map((m) => invTransform(m.re, args.real_transform)), [nSsm, N2])],
    [n.aImag, f32(modes.map((m) => invTransform(m.im, args.imag_transform)), [nSsm, N2])],
    [n.B, f32(modes.flatMap((m) => m.B), [1, nSsm, N2, 2])],
    [n.C, complexRandn(rng, [Ck, H, N2])],
    ...initOutputLinear(n, dOut, C * H, rng),
  ];
}

/** One mode of a fresh diagonal kernel: −Re a, −Im a (before the transforms) and B as (re, im). */
interface DiagMode {
  re: number;
  im: number;
  B: [number, number];
}

/**
 * Fresh diagonal (S4D) parameters for every copy and mode (ssm-math.md §2.5): the S4D-Lin / -Inv
 * / -Inv2 / -Quad / -Real formulas with B = 1, S4D-LegS from HiPPO-LegS diagonalised in float64
 * (a = −½ − iω, B = V*B_legs with Im B clipped to [−2, 2]), and the 'diag' combination split over
 * the copies as the official `combination` does.
 */
function diagInitCopies(init: string, mode: string, nSsm: number, N2: number): DiagMode[] {
  const measures = DIAG_COMBINATIONS[init] ?? [init];
  const supported: string[] = [...LEGS_INITS, ...DIAG_INITS, ...Object.keys(DIAG_COMBINATIONS)];
  if (!measures.every((m) => supported.includes(m))) {
    throw new UserError(`model file: arch 's4-block': init "${init}" with mode "${mode}" is not one ssmc initialises fresh models with; use init ${supported.map((x) => `"${x}"`).join(', ')}, or load a checkpoint with --weights`);
  }
  if (nSsm % measures.length !== 0) {
    throw new UserError(`model file: arch 's4-block': init "${init}" splits the ${nSsm} (A, B) copies over ${measures.length} initialisations, so "n_ssm" must be a multiple of ${measures.length}`);
  }
  const perMeasure = measures.map((m) => singleDiagInit(m, N2));
  const per = nSsm / measures.length;
  return Array.from({ length: nSsm }, (_, c) => perMeasure[Math.floor(c / per)]!).flat();
}

function singleDiagInit(init: string, N2: number): DiagMode[] {
  const N = 2 * N2;
  if (LEGS_INITS.includes(init)) {
    const { w, B } = legsNplr(N);
    return w.map((wn, n) => ({ re: -wn.re, im: -wn.im, B: [B[n]!.re, B[n]!.im] }));
  }
  const imag = (n: number): number => {
    if (init.endsWith('inv')) return (N / Math.PI) * (N / (1 + 2 * n) - 1);
    if (init.endsWith('inv2')) return (N / Math.PI) * (N / (1 + n) - 1);
    if (init.endsWith('quad')) return (1 + 2 * n) ** 2 / Math.PI;
    if (init.endsWith('real')) return 0;
    return Math.PI * n; // diag-lin
  };
  return Array.from({ length: N2 }, (_, n) => ({ re: init.endsWith('real') ? 1 + n : 0.5, im: imag(n), B: [1, 0] }));
}

/** DPLR modes support init 'legs' (HiPPO-LegS, rank 1): the official default. */
function initDplr(args: S4BlockArgs, n: S4BlockNames, rng: Rng): [string, Tensor][] {
  const { H, N2, C, Ck, nSsm, dOut } = dims(args);
  if (args.init !== 'legs' || args.rank !== 1) {
    throw new UserError(`model file: arch 's4-block': a fresh S4 (DPLR) model can be initialised with init "legs" and rank 1 (HiPPO-LegS); got init "${args.init}", rank ${args.rank}: load a checkpoint with --weights for others`);
  }
  const { w, B, P } = legsNplr(2 * N2);
  const perCopy = <T>(f: (n: number) => T) => Array.from({ length: nSsm * N2 }, (_, i) => f(i % N2));
  const tensors = new Map<string, Tensor>([
    [n.D, randn(rng, [C, H])],
    [n.invDt, f32(logDt(rng, [H, 1], args.dt_min, args.dt_max).map((x) => invTransform(Math.exp(x), args.dt_transform)), [H, 1])],
    [n.aReal, f32(perCopy((n) => invTransform(-w[n]!.re, args.real_transform)), [nSsm, N2])],
    [n.aImag, f32(perCopy((n) => invTransform(-w[n]!.im, args.imag_transform)), [nSsm, N2])],
    [n.B, f32(perCopy((n) => [B[n]!.re, B[n]!.im]).flat(), [1, nSsm, N2, 2])],
    [`${n.kernel}P`, f32(perCopy((n) => [P[n]!.re, P[n]!.im]).flat(), [1, nSsm, N2, 2])],
    [n.C, complexRandn(rng, [Ck, H, N2])],
    ...initOutputLinear(n, dOut, C * H, rng),
  ]);
  // As after the official first forward pass at l_max (or 1024): C holds C~ for that length.
  toCtilde(tensors, args, n.kernel, Ck, args.l_max ?? 1024);
  return [...tensors];
}

/**
 * The S4 DPLR stepper for this build. Step and prefill graphs compiled with the same options
 * plan the same way (the choice and its check are deterministic), so a prefill graph's state is
 * in the basis its step graph reads: dA's eigenbasis (diagonal) or the official half state (linear).
 */
function dplrPlan(ctx: LayerContext, args: S4BlockArgs, n: S4BlockNames, Ck: number): DplrStepPlan {
  const sys = readSystem(ctx.params, args, n.kernel, Ck);
  return planDplrStep(sys, ctx.options.dplrStep, (why) => {
    throw new UserError(`--dplr-step diagonal: the diagonalised S4 DPLR stepper is refused for this model: ${why}. Use --dplr-step linear (the official O(N) stepper, exact for any DPLR matrix) or auto (diagonal only when it passes this check)`);
  });
}

/**
 * S4 DPLR's kernel as a dense real state space (dplr-chunked.ts), for lowerings that never form
 * the kernel; null where it would not equal the Cauchy kernel for every length the graph serves
 * (a kernel cut at l_max below the input length, bandlimit, or rank > 2, which the linear
 * stepper's Woodbury inverse does not cover).
 */
function dplrDenseKernel(ctx: LayerContext, args: S4BlockArgs, n: S4BlockNames, Ck: number, fixedLength: number | null): { A: Value; B: Value; C: Value } | null {
  const { b } = ctx;
  if (args.bandlimit !== null || args.rank > 2) return null;
  if (args.l_max !== null && (fixedLength === null || fixedLength > args.l_max)) return null;
  const sys = readSystem(ctx.params, args, n.kernel, Ck);
  const { H, N } = sys, S = 2 * N;
  // Computed only if the chosen lowering reads the state space (chunked): a lowering that reads
  // the taps leaves these constants unread and they are dropped.
  const init = (name: string, pick: (d: DplrStateSpace) => Float64Array, dims: number[]) =>
    b.initializer(b.graph.freshName(`${n.kernel}${name}`), lazyTensor('float64', dims, () => pick(dplrStateSpace(sys))));
  return { A: init('dense_A', (d) => d.A, [H, S, S]), B: init('dense_B', (d) => d.B, [H, S]), C: init('dense_C', (d) => d.C, [Ck, H, S]) };
}

const complexInit = (b: Builder, n: S4BlockNames, name: string, data: Float64Array, dims: number[]) => b.initializer(b.graph.freshName(`${n.kernel}${name}`), complexTensor(data, dims));

/** Δ, A, B·C of the diagonal kernel (the DPLR kernel reads its system from the checkpoint in float64). */
function system(ctx: LayerContext, args: S4BlockArgs, n: S4BlockNames) {
  const { b, params } = ctx;
  const { H, nSsm } = dims(args);
  const dt = paramTransform(b, params.real(n.invDt), args.dt_transform);
  const aRe = b.neg(paramTransform(b, params.real(n.aReal), args.real_transform));
  const aIm = b.neg(paramTransform(b, params.real(n.aImag), args.imag_transform));
  // Feature h uses copy h mod n_ssm: einops '(v t)' with t fastest is a Tile over the copy axis.
  const tile = (x: Value, reps: number[]) => (H === nSsm ? x : b.op('Tile', [x, b.i64(reps, undefined, 'repeats')]));
  const A = tile(b.ssm('Complex', [aRe, aIm]), [H / nSsm, 1]); // [H,N']
  const B = tile(params.complex(n.B), [1, H / nSsm, 1]); // [1,H,N']
  let Cc = params.complex(n.C); // [Ck,H,N']
  if (args.bandlimit !== null) {
    // Zero the modes whose frequency Δ·|Im a|/(2π) reaches bandlimit/2.
    const freq = b.mul(b.mul(dt, b.op('Abs', [aIm])), b.f32(1 / (2 * Math.PI)));
    const keep = b.cast(b.op('Less', [tile(freq, [H / nSsm, 1]), b.f32(args.bandlimit / 2)]), 1);
    Cc = b.mul(Cc, keep);
  }
  return { dt, A, BC: b.mul(B, Cc) };
}

/**
 * One position u [B,H]: x' = dA·x + dB·u, y = 2 Re(C·x') + D·u (ssm-math.md §2.3), then the head.
 * S4 DPLR uses the diagonalised stepper (Vandermonde form in dA's eigenbasis) or the official O(N)
 * linear stepper on the half state. Scopes as the official modules: layer/kernel (the discrete
 * system), layer/step, output_linear.
 */
function step(ctx: LayerContext, args: S4BlockArgs, n: S4BlockNames, u: Value, states: StepStates): Value {
  const { b, params } = ctx;
  const { H, N2, C, Ck, dOut } = dims(args);
  const flat = submodule(ctx, 'layer', (layer) => {
    type Stepper = (state: (K: number, meaning?: string) => Value) => { y: Value; next: Value };
    const stepper = submodule(layer, 'kernel', (k): Stepper => {
      const { dt, A, BC } = system(k, args, n);
      if (!isDplr(args)) {
        const diag = discretize(b, dt, A, BC, args.disc);
        return (state) => vandermondeStep(b, diag.lambda, diag.coef, 2, u, state(N2)); // [B,C,H]
      }
      const plan = dplrPlan(k, args, n, Ck);
      if (plan.kind === 'diagonal') {
        const { K, lambda, coef } = plan.form;
        const lam = complexInit(b, n, 'step_lambda', lambda, [H, K]), co = complexInit(b, n, 'step_coef', coef, [Ck, H, K]);
        return (state) => vandermondeStep(b, lam, co, 2, u, state(K, plan.meaning));
      }
      return (state) => dplrLinearStep(b, plan.sys, u, state(N2, plan.meaning), plan.params);
    });
    return submodule(layer, 'step', () => {
      const { y, next } = stepper((K, meaning) => states.state(n.core, H, K, meaning));
      states.setOut(n.core, next);
      const skip = b.mul(b.unsqueeze(u, [1]), params.real(n.D)); // [B,1,H]·[C,H]
      let flat = b.reshape(b.add(y, skip), [0, C * H]);
      if (args.swap_channels && C > 1) flat = b.reshape(b.transpose(b.reshape(flat, [0, C, H]), [0, 2, 1]), [0, C * H]);
      return flat;
    });
  });
  // The activation belongs to the official FFTConv ('layer'); mult_act to the block itself.
  const act = activation(b, submodule(ctx, 'layer', () => activation(b, flat, args.activation)), args.mult_act);
  const weight = n.weight, bias = n.bias;
  if (weight === null || bias === null) return act;
  return submodule(ctx, 'output_linear', () => {
    const z = linear(b, act, params.real(weight), params.real(bias));
    return args.final_act !== null && isGlu(args.final_act) ? glu(b, z, 1, dOut, gluGate(args.final_act)) : activation(b, z, args.final_act);
  });
}

/** The state after the whole sequence u [B,H,L], in the basis the step form reads. */
function finalStateOf(ctx: LayerContext, args: S4BlockArgs, n: S4BlockNames, u: Value, sys: ReturnType<typeof system>, final: FinalStates): void {
  const { b } = ctx;
  const { H, N2, Ck } = dims(args);
  if (!isDplr(args)) {
    final.set(n.core, H, N2, finalState(ctx, discretize(b, sys.dt, sys.A, sys.BC, args.disc).lambda, u));
    return;
  }
  const plan = dplrPlan(ctx, args, n, Ck);
  if (plan.kind === 'diagonal') {
    // The final state in the diagonal stepper's basis: w_L = Σ_j μ^(L−1−j) u_j.
    const { K, lambda } = plan.form;
    final.set(n.core, H, K, finalState(ctx, complexInit(b, n, 'prefill_lambda', lambda, [H, K]), u), plan.meaning);
  } else {
    // The linear stepper's half state x_L[:N'] (dense transition, chunked: dplr-chunked.ts).
    final.set(n.core, H, N2, dplrLinearPrefill(b, plan.sys, u, ctx.options.loopFree), plan.meaning);
  }
}

/**
 * The whole sequence (the official FFTConv module, activation, output_linear); with `final`, also
 * the state after it. Scopes as the official modules: layer/kernel (the SSM kernel, precomputed in
 * float64 where the length is fixed), layer/state (prefill), layer/conv, output_linear.
 */
function sequence(ctx: LayerContext, args: S4BlockArgs, n: S4BlockNames, input: Value, final: FinalStates | null): Value {
  const { b, params } = ctx;
  const { H, C, Ck, dOut } = dims(args);
  const u = toChannelsFirst(b, input, args.transposed); // [B,H,L]
  const y = submodule(ctx, 'layer', (layer) => {
    const { sys, conv } = submodule(layer, 'kernel', (k) => {
      const sys = system(k, args, n);
      let L = b.dim(u, 2);
      if (args.l_max !== null) L = b.op('Min', [L, b.i64(args.l_max, [], 'l_max')]);
      const fixed = u.type.shape?.[2];
      const bidir = args.bidirectional;
      const sides = (x: Value): [Value, Value | null] => (bidir ? [b.slice(x, [0], [C], [0]), b.slice(x, [C], [Ck], [0])] : [x, null]);
      let conv: LongConv;
      if (isDplr(args)) {
        const fixedLength = typeof fixed === 'number' ? fixed : null;
        const [kf, kRev] = sides(dplrKernel(b, params, args, n.kernel, Ck, L, fixedLength, ctx.options.approximateTrig)); // [C,H,Lk]
        const dense = bidir ? null : dplrDenseKernel(k, args, n, Ck, fixedLength);
        conv = dense ? { kernel: 'dense', u, ...dense, taps: kf } : { kernel: 'taps', u, k: kf, kRev };
      } else {
        const { lambda, coef } = discretizeOp(b, sys.dt, sys.A, sys.BC, args.disc);
        const [causal, reverse] = sides(coef);
        conv = { kernel: 'diagonal', u, length: L, scale: 2, causal: { lambda, coef: causal }, reverse: reverse ? { lambda, coef: reverse } : null };
      }
      return { sys, conv };
    });
    if (final) submodule(layer, 'state', (s) => finalStateOf(s, args, n, u, sys, final));
    const info = { name: n.core, kernel: isDplr(args) ? 'dplr' : `diag-${args.disc}`, H, N: dims(args).N2, channels: C, bidirectional: args.bidirectional };
    const y = submodule(layer, 'conv', (c) => {
      let y = convWithSkip(c, conv, params.real(n.D), H, C, info); // [B,C·H,L]
      if (args.swap_channels && C > 1) y = b.reshape(b.transpose(b.reshape(y, [0, C, H, -1]), [0, 2, 1, 3]), [0, C * H, -1]);
      return y;
    });
    return activation(b, y, args.activation);
  });
  // The activation belongs to the official FFTConv ('layer'); mult_act to the block itself.
  const act = activation(b, y, args.mult_act);
  const weight = n.weight, bias = n.bias;
  if (weight === null || bias === null) return args.transposed ? act : b.transpose(act, [0, 2, 1]);
  return submodule(ctx, 'output_linear', () => {
    const W = params.real(weight), B = params.real(bias);
    // Channels first in either layout: W·act reads the convolution's output [B,H,L] as it lies,
    // the GLU halves contiguous blocks, and a length-first block transposes only the result
    // (half the projection's width after a GLU). Transposing act first made onnxruntime fuse the
    // transpose into the MatMul (a transposed-A GEMM): 15 % of an S4D layer's time at L = 16384.
    const z = b.add(b.matmul(W, act), b.unsqueeze(B, [1])); // [B,dOut,L]
    const out = args.final_act !== null && isGlu(args.final_act) ? glu(b, z, 1, dOut, gluGate(args.final_act)) : activation(b, z, args.final_act);
    return args.transposed ? out : b.transpose(out, [0, 2, 1]);
  });
}

/** An S4Block as a layer, its parameters under `prefix` (the block is `S4BlockArgs`: `s4BlockSchema`). */
export function s4BlockLayer(args: S4BlockArgs, prefix = ''): Layer {
  const n = names(args, prefix);
  return {
    params: () => params(args, n),
    init: (rng) => init(args, n, rng),
    conv: (ctx, x) => sequence(ctx, args, n, x, null),
    recurrence: args.bidirectional
      ? { none: 'a bidirectional kernel has no recurrence: its anti-causal half needs the future of the sequence; compile it with --mode conv' }
      : { step: (ctx, x, states) => step(ctx, args, n, x, states), prefill: (ctx, x, states) => sequence(ctx, args, n, x, states) },
  };
}

/**
 * `S4Block` of state-spaces/s4 `models/s4/s4.py` (ssm-math.md §2.2-§2.3, §2.6) with the diagonal
 * (S4D) or DPLR (S4) kernel: the long convolution (kernel, D skip, activation) followed by
 * output_linear (+GLU).
 */
export const s4Block = defineArch({
  id: 's4-block',
  official: 'state-spaces/s4 models/s4/s4.py S4Block',
  schema: s4BlockSchema,
  validate(args) {
    const where = "model file: arch 's4-block'";
    if (args.d_state % 2 !== 0) {
      throw new UserError(`${where}: argument "d_state" must be even (N/2 conjugate pairs are stored), got ${args.d_state}`);
    }
    if (isDplr(args) && !args.dt_tie) {
      throw new UserError(`${where}: mode "${args.mode}" needs "dt_tie": true (one Δ per feature), as the official DPLR kernel does`);
    }
    const { H, nSsm } = dims(args);
    if (H % nSsm !== 0) throw new UserError(`${where}: "d_model" (${H}) must be a multiple of "n_ssm" (${nSsm}): features share the ${nSsm} (A, B) copies`);
    if (isDplr(args) && args.l_max !== null && args.l_max > DPLR_MAX_DYNAMIC_LENGTH) {
      throw new UserError(`${where}: mode "${args.mode}" computes its kernel at "l_max" positions, at most ${DPLR_MAX_DYNAMIC_LENGTH} (2^20); got ${args.l_max}`);
    }
    if (args.bottleneck !== null || args.gate !== null) {
      throw new UserError(`${where}: "bottleneck"/"gate" are broken in the official S4Block at HEAD (the module cannot be built); use arch 'gss' for gated state spaces`);
    }
    checkDtRange('s4-block', args);
  },
  layer: (args) => s4BlockLayer(args),
  io(args) {
    const H = args.d_model;
    // Without output_linear (final_act null) the block returns all C·H channels.
    const W = args.final_act === null ? args.channels * H : H;
    const shape = (width: number) => (args.transposed ? (L: string | number | null) => ['batch', width, L] : (L: string | number | null) => ['batch', L, width]);
    return { inputDtype: 'float32', inputShape: shape(H), outputShape: shape(W), step: { input: ['batch', H], output: ['batch', W] }, layout: args.transposed ? 'BHL' : 'BLH' };
  },
  compileCost(args, target) {
    if (!isDplr(args)) return [];
    const { H, Ck, nSsm } = dims(args);
    return dplrCompileCost({ H, M: args.d_state, rank: args.rank, Ck, nSsm, bidirectional: args.bidirectional, lMax: args.l_max, fresh: target.fresh }, target);
  },
});
