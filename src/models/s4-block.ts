import type { Builder } from '../../ir/builder.js';
import { f32, f64 } from '../../ir/tensor.js';
import type { Value } from '../../ir/value.js';
import { UserError } from '../errors.js';
import type { ArchDef, BuildContext } from './arch.js';
import { bool, checkDtRange, DT_RANGE, int, num, str, trainingOnly, type ArgSchema, type ArgValues } from './args.js';
import { complexRandn, fill, logDt, randn, uniformFanIn } from './init.js';
import { ACTIVATIONS, activation, glu, linear } from './layers.js';
import { legsNplr } from './hippo.js';
import type { Rng } from './rng.js';
import type { Tensor } from '../../ir/tensor.js';
import { complexTensor, DPLR_MAX_DYNAMIC_LENGTH, dplrExtraParams, dplrKernel, dplrLinearStep, readSystem, toCtilde } from './s4-dplr.js';
import { FLOPS_PER_SECOND } from '../budget.js';
import { planDplrStep, type DplrStepPlan } from './dplr-diagonal.js';
import { dplrLinearPrefill, dplrStateSpace } from './dplr-chunked.js';
import { convWithSkip, toChannelsFirst } from './ssm-blocks.js';
import { finalState, vandermondeStep } from './step.js';
import { discretize, discretizeOp, type Discretization } from '../../ir/ops/discretize.js';
import type { LongConv } from '../../ir/ops/long-conv.js';
import { invTransform, PARAM_TRANSFORMS, paramTransform, type ParamTransform } from './transforms.js';

const DIAG_MODES = ['diag', 's4d'];
const DPLR_MODES = ['dplr', 's4', 'nplr'];
/** The diagonal initialisations we can reproduce without the HiPPO diagonalisation. */
const DIAG_INITS = ['diag-lin', 'diag-inv', 'diag-inv2', 'diag-quad', 'diag-real'];

const schema: ArgSchema = {
  d_model: { kind: 'int', default: null, min: 1, doc: 'number of features H' },
  d_state: { kind: 'int', default: 64, min: 2, doc: 'state size N (N/2 complex modes are stored)' },
  channels: { kind: 'int', default: 1, min: 1, doc: 'output channels C per feature' },
  l_max: { kind: 'int', default: null, min: 1, max: 2 ** 24, nullable: true, doc: 'maximum kernel length (null: the input length)' },
  bidirectional: { kind: 'bool', default: false, doc: 'two-sided (non-causal) kernel' },
  activation: { kind: 'enum', default: 'gelu', values: ACTIVATIONS, nullable: true, doc: 'activation after the SSM' },
  final_act: { kind: 'enum', default: 'glu', values: ['glu', ...ACTIVATIONS], nullable: true, doc: 'output_linear activation' },
  transposed: { kind: 'bool', default: true, doc: 'input layout (B,H,L) when true, (B,L,H) when false' },
  swap_channels: { kind: 'bool', default: false, doc: "flatten channels as (h c) instead of (c h)" },
  mode: { kind: 'enum', default: 'dplr', values: [...DIAG_MODES, ...DPLR_MODES], doc: 'kernel: diag/s4d (diagonal) or dplr/s4/nplr' },
  init: { kind: 'enum', default: 'legs', values: ['legs', 'fout', 'fourier', 'legt', 'lagt', 'hippo', 'diag', 'all', 'diag-legs', 'dplr-legs', ...DIAG_INITS], doc: 'initialisation of A (and B, P); any is fine with a checkpoint' },
  disc: { kind: 'enum', default: 'zoh', values: ['zoh', 'bilinear'], doc: 'discretisation of the diagonal kernel' },
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
};

function dims(args: ArgValues) {
  const H = int(args, 'd_model');
  const N2 = int(args, 'd_state') / 2;
  const C = int(args, 'channels');
  const Ck = C * (bool(args, 'bidirectional') ? 2 : 1);
  const nSsm = (args.n_ssm as number | null) ?? H;
  const glu = args.final_act === 'glu';
  return { H, N2, C, Ck, nSsm, dOut: glu ? 2 * H : H };
}

function isDplr(args: ArgValues): boolean {
  return DPLR_MODES.includes(str(args, 'mode'));
}

function outputLinearPrefix(args: ArgValues): string {
  // LinearActivation wraps the Linear in nn.Sequential(linear, act) whenever final_act is set.
  return args.final_act === null ? 'output_linear' : 'output_linear.0';
}

/**
 * `S4Block` of state-spaces/s4 `models/s4/s4.py` (ssm-math.md §2.2-§2.3, §2.6) with the diagonal
 * (S4D) or DPLR (S4) kernel: the long convolution (kernel, D skip, activation) followed by output_linear (+GLU).
 */
export const s4Block: ArchDef = {
  id: 's4-block',
  official: 'state-spaces/s4 models/s4/s4.py S4Block',
  schema,
  validate(args) {
    const where = "model file: arch 's4-block'";
    if (int(args, 'd_state') % 2 !== 0) {
      throw new UserError(`${where}: argument "d_state" must be even (N/2 conjugate pairs are stored), got ${int(args, 'd_state')}`);
    }
    if (isDplr(args) && !bool(args, 'dt_tie')) {
      throw new UserError(`${where}: mode "${str(args, 'mode')}" needs "dt_tie": true (one Δ per feature), as the official DPLR kernel does`);
    }
    const { H, nSsm } = dims(args);
    if (H % nSsm !== 0) throw new UserError(`${where}: "d_model" (${H}) must be a multiple of "n_ssm" (${nSsm}): features share the ${nSsm} (A, B) copies`);
    if (isDplr(args) && args.l_max !== null && int(args, 'l_max') > DPLR_MAX_DYNAMIC_LENGTH) {
      throw new UserError(`${where}: mode "${str(args, 'mode')}" computes its kernel at "l_max" positions, at most ${DPLR_MAX_DYNAMIC_LENGTH} (2^20); got ${int(args, 'l_max')}`);
    }
    if (args.bottleneck !== null || args.gate !== null) {
      throw new UserError(`${where}: "bottleneck"/"gate" are broken in the official S4Block at HEAD (the module cannot be built); use arch 'gss' for gated state spaces`);
    }
    checkDtRange('s4-block', args);
  },
  params(args) {
    const { H, N2, C, Ck, nSsm, dOut } = dims(args);
    const lin = outputLinearPrefix(args);
    return [
      { name: 'layer.D', shape: [C, H], dtype: 'float32' },
      { name: 'layer.kernel.inv_dt', shape: bool(args, 'dt_tie') ? [H, 1] : [H, N2], dtype: 'float32' },
      { name: 'layer.kernel.A_real', shape: [nSsm, N2], dtype: 'float32' },
      { name: 'layer.kernel.A_imag', shape: [nSsm, N2], dtype: 'float32' },
      { name: 'layer.kernel.B', shape: [1, nSsm, N2, 2], dtype: 'float32' },
      { name: 'layer.kernel.C', shape: [Ck, H, N2, 2], dtype: 'float32' },
      { name: `${lin}.weight`, shape: [dOut, C * H], dtype: 'float32' },
      { name: `${lin}.bias`, shape: [dOut], dtype: 'float32' },
      ...(isDplr(args) ? dplrExtraParams(args) : []),
    ];
  },
  init(args, rng) {
    const { H, N2, C, Ck, nSsm, dOut } = dims(args);
    const N = 2 * N2;
    const init = str(args, 'init');
    if (isDplr(args)) return initDplr(args, rng);
    if (!DIAG_INITS.includes(init)) {
      throw new UserError(`model file: arch 's4-block': init "${init}" with mode "${str(args, 'mode')}" needs the HiPPO diagonalisation, which this version of ssmc does not do for fresh models; use init ${DIAG_INITS.map((x) => `"${x}"`).join(', ')}, or load a checkpoint with --weights`);
    }
    const imag = (n: number): number => {
      if (init.endsWith('inv')) return (N / Math.PI) * (N / (1 + 2 * n) - 1);
      if (init.endsWith('inv2')) return (N / Math.PI) * (N / (1 + n) - 1);
      if (init.endsWith('quad')) return (1 + 2 * n) ** 2 / Math.PI;
      if (init.endsWith('real')) return 0;
      return Math.PI * n; // diag-lin
    };
    const real = (n: number) => (init.endsWith('real') ? 1 + n : 0.5);
    const rt = str(args, 'real_transform') as ParamTransform, it = str(args, 'imag_transform') as ParamTransform;
    const lin = outputLinearPrefix(args);
    const dtShape = bool(args, 'dt_tie') ? [H, 1] : [H, N2];
    return new Map([
      ['layer.D', randn(rng, [C, H])],
      ['layer.kernel.inv_dt', f32(logDt(rng, dtShape, num(args, 'dt_min'), num(args, 'dt_max')).map((x) => invTransform(Math.exp(x), str(args, 'dt_transform') as ParamTransform)), dtShape)],
      ['layer.kernel.A_real', fill([nSsm, N2], (i) => invTransform(real(i % N2), rt))],
      ['layer.kernel.A_imag', fill([nSsm, N2], (i) => invTransform(imag(i % N2), it))],
      ['layer.kernel.B', fill([1, nSsm, N2, 2], (i) => (i % 2 === 0 ? 1 : 0))],
      ['layer.kernel.C', complexRandn(rng, [Ck, H, N2])],
      [`${lin}.weight`, uniformFanIn(rng, [dOut, C * H], C * H)],
      [`${lin}.bias`, uniformFanIn(rng, [dOut], C * H)],
    ]);
  },
  io(args) {
    const H = int(args, 'd_model');
    const t = bool(args, 'transposed');
    const shape = t ? (L: string | number | null) => ['batch', H, L] : (L: string | number | null) => ['batch', L, H];
    return { inputDtype: 'float32', inputShape: shape, outputShape: shape, layout: t ? 'BHL' : 'BLH' };
  },
  compileCost(args, target) {
    if (!DPLR_MODES.includes(str(args, 'mode'))) return [];
    // S4 DPLR works on dense float64 [M,M] complex matrices per feature (M = d_state): dA by a
    // solve, dA^l_kernel by squaring, one squaring per doubling of the kernel length, dA^T for the
    // chunked form, the stepper's parameters; each matmul is 8·M³ flops, and ~6 matrices per
    // feature stay cached.
    const { H } = dims(args), M = int(args, 'd_state');
    const lKernel = (args.l_max as number | null) ?? 1024;
    const maxLen = target.seqLen ?? DPLR_MAX_DYNAMIC_LENGTH;
    const doublings = Math.max(0, Math.ceil(Math.log2(maxLen / lKernel)));
    const matmuls = 2 * Math.log2(lKernel) + doublings + 2 * 7 + 6;
    return [{
      what: `S4 DPLR dense float64 matrices (H=${H}, d_state=${M}, ${Math.round(matmuls)} [${M},${M}] complex products per feature)`,
      bytes: H * 6 * M * M * 16,
      seconds: (H * matmuls * 8 * M ** 3) / FLOPS_PER_SECOND,
    }];
  },
  build(ctx) {
    return buildS4Block(ctx);
  },
  stepIo(args) {
    if (bool(args, 'bidirectional')) return 'a bidirectional kernel has no recurrence: its anti-causal half needs the future of the sequence; compile it with --mode conv';
    const H = int(args, 'd_model');
    return { input: ['batch', H], output: ['batch', H] };
  },
};

/** DPLR modes support init 'legs' (HiPPO-LegS, rank 1): the official default. */
function initDplr(args: ArgValues, rng: Rng): Map<string, Tensor> {
  const { H, N2, C, Ck, nSsm, dOut } = dims(args);
  if (str(args, 'init') !== 'legs' || int(args, 'rank') !== 1) {
    throw new UserError(`model file: arch 's4-block': a fresh S4 (DPLR) model can be initialised with init "legs" and rank 1 (HiPPO-LegS); got init "${str(args, 'init')}", rank ${int(args, 'rank')}: load a checkpoint with --weights for others`);
  }
  const { w, B, P } = legsNplr(2 * N2);
  const perCopy = <T>(f: (n: number) => T) => Array.from({ length: nSsm * N2 }, (_, i) => f(i % N2));
  const rt = str(args, 'real_transform') as ParamTransform, it = str(args, 'imag_transform') as ParamTransform;
  const lin = outputLinearPrefix(args);
  const tensors = new Map<string, Tensor>([
    ['layer.D', randn(rng, [C, H])],
    ['layer.kernel.inv_dt', f32(logDt(rng, [H, 1], num(args, 'dt_min'), num(args, 'dt_max')).map((x) => invTransform(Math.exp(x), str(args, 'dt_transform') as ParamTransform)), [H, 1])],
    ['layer.kernel.A_real', f32(perCopy((n) => invTransform(-w[n]!.re, rt)), [nSsm, N2])],
    ['layer.kernel.A_imag', f32(perCopy((n) => invTransform(-w[n]!.im, it)), [nSsm, N2])],
    ['layer.kernel.B', f32(perCopy((n) => [B[n]!.re, B[n]!.im]).flat(), [1, nSsm, N2, 2])],
    ['layer.kernel.P', f32(perCopy((n) => [P[n]!.re, P[n]!.im]).flat(), [1, nSsm, N2, 2])],
    ['layer.kernel.C', complexRandn(rng, [Ck, H, N2])],
    [`${lin}.weight`, uniformFanIn(rng, [dOut, C * H], C * H)],
    [`${lin}.bias`, uniformFanIn(rng, [dOut], C * H)],
  ]);
  // As after the official first forward pass at l_max (or 1024): C holds C~ for that length.
  toCtilde(tensors, args, Ck, (args.l_max as number | null) ?? 1024);
  return tensors;
}

/**
 * The S4 DPLR stepper for this build. Step and prefill graphs compiled with the same options
 * plan the same way (the choice and its check are deterministic), so a prefill graph's state is
 * in the basis its step graph reads: dA's eigenbasis (diagonal) or the official half state (linear).
 */
function dplrPlan(ctx: BuildContext, Ck: number): DplrStepPlan {
  const choice = ctx.dplrStep ?? 'auto';
  const sys = readSystem(ctx.params, ctx.args, Ck);
  return planDplrStep(sys, choice, (why) => {
    throw new UserError(`--dplr-step diagonal: the diagonalised S4 DPLR stepper is refused for this model: ${why}. Use --dplr-step linear (the official O(N) stepper, exact for any DPLR matrix) or auto (diagonal only when it passes this check)`);
  });
}

/**
 * S4 DPLR's kernel as a dense real state space (dplr-chunked.ts), for lowerings that never form
 * the kernel; null where it would not equal the Cauchy kernel for every length the graph serves
 * (a kernel cut at l_max below the input length, bandlimit, or rank > 2, which the linear
 * stepper's Woodbury inverse does not cover).
 */
function dplrDenseKernel(ctx: BuildContext, Ck: number, fixedLength: number | null): { A: Value; B: Value; C: Value } | null {
  const { b, args } = ctx;
  const lMax = args.l_max as number | null;
  if (args.bandlimit !== null || int(args, 'rank') > 2) return null;
  if (lMax !== null && (fixedLength === null || fixedLength > lMax)) return null;
  const sys = readSystem(ctx.params, args, Ck);
  const { H, N } = sys, S = 2 * N;
  const d = dplrStateSpace(sys);
  const init = (name: string, data: Float64Array, dims: number[]) => b.initializer(b.graph.freshName(`layer.kernel.${name}`), f64(data, dims));
  return { A: init('dense_A', d.A, [H, S, S]), B: init('dense_B', d.B, [H, S]), C: init('dense_C', d.C, [Ck, H, S]) };
}

const complexInit = (b: Builder, name: string, data: Float64Array, dims: number[]) => b.initializer(b.graph.freshName(`layer.kernel.${name}`), complexTensor(data, dims));

function buildS4Block(ctx: BuildContext): Value {
  const { b, args, params, input, step, prefill } = ctx;
  const { H, N2, C, Ck, nSsm, dOut } = dims(args);
  const transposed = bool(args, 'transposed');
  const u = step ? input : toChannelsFirst(b, input, transposed); // [B,H,L], or [B,H] in step mode
  const dt = paramTransform(b, params.real('layer.kernel.inv_dt'), str(args, 'dt_transform') as ParamTransform);
  const aRe = b.neg(paramTransform(b, params.real('layer.kernel.A_real'), str(args, 'real_transform') as ParamTransform));
  const aIm = b.neg(paramTransform(b, params.real('layer.kernel.A_imag'), str(args, 'imag_transform') as ParamTransform));
  // Feature h uses copy h mod n_ssm: einops '(v t)' with t fastest is a Tile over the copy axis.
  const tile = (x: Value, reps: number[]) => (H === nSsm ? x : b.op('Tile', [x, b.i64(reps, undefined, 'repeats')]));
  const A = tile(b.ssm('Complex', [aRe, aIm]), [H / nSsm, 1]); // [H,N']
  const B = tile(params.complex('layer.kernel.B'), [1, H / nSsm, 1]); // [1,H,N']
  let Cc = params.complex('layer.kernel.C'); // [Ck,H,N']
  if (args.bandlimit !== null) {
    // Zero the modes whose frequency Δ·|Im a|/(2π) reaches bandlimit/2.
    const freq = b.mul(b.mul(dt, b.op('Abs', [aIm])), b.f32(1 / (2 * Math.PI)));
    const keep = b.cast(b.op('Less', [tile(freq, [H / nSsm, 1]), b.f32(num(args, 'bandlimit') / 2)]), 1);
    Cc = b.mul(Cc, keep);
  }
  const BC = b.mul(B, Cc);
  if (step) {
    // One position: x' = dA·x + dB·u, y = 2 Re(C·x') + D·u (ssm-math.md §2.3), then the same head;
    // S4 DPLR uses the diagonalised stepper (Vandermonde form in dA's eigenbasis) or the official
    // O(N) linear stepper on the half state.
    let y: Value, next: Value;
    if (isDplr(args)) {
      const plan = dplrPlan(ctx, Ck);
      if (plan.kind === 'diagonal') {
        const { K, lambda, coef } = plan.form;
        const state = step.state('layer', H, K, plan.meaning);
        ({ y, next } = vandermondeStep(b, complexInit(b, 'step_lambda', lambda, [H, K]), complexInit(b, 'step_coef', coef, [Ck, H, K]), 2, u, state));
      } else {
        const state = step.state('layer', H, N2, plan.meaning);
        ({ y, next } = dplrLinearStep(b, plan.sys, u, state, plan.params));
      }
    } else {
      const state = step.state('layer', H, N2);
      const diag = discretize(b, dt, A, BC, str(args, 'disc'));
      ({ y, next } = vandermondeStep(b, diag.lambda, diag.coef, 2, u, state)); // [B,C,H]
    }
    step.setOut('layer', next);
    const skip = b.mul(b.unsqueeze(u, [1]), params.real('layer.D')); // [B,1,H]·[C,H]
    let flat = b.reshape(b.add(y, skip), [0, C * H]);
    if (bool(args, 'swap_channels') && C > 1) flat = b.reshape(b.transpose(b.reshape(flat, [0, C, H]), [0, 2, 1]), [0, C * H]);
    const lin = outputLinearPrefix(args);
    const z = linear(b, activation(b, flat, args.activation as string | null), params.real(`${lin}.weight`), params.real(`${lin}.bias`));
    return args.final_act === 'glu' ? glu(b, z, 1, dOut) : activation(b, z, args.final_act as string | null);
  }
  if (prefill && isDplr(args)) {
    const plan = dplrPlan(ctx, Ck);
    if (plan.kind === 'diagonal') {
      // The final state in the diagonal stepper's basis: w_L = Σ_j μ^(L−1−j) u_j.
      const { K, lambda } = plan.form;
      prefill.set('layer', H, K, finalState(b, complexInit(b, 'prefill_lambda', lambda, [H, K]), u), plan.meaning);
    } else {
      // The linear stepper's half state x_L[:N'] (dense transition, chunked: dplr-chunked.ts).
      prefill.set('layer', H, N2, dplrLinearPrefill(b, plan.sys, u), plan.meaning);
    }
  } else if (prefill) {
    prefill.set('layer', H, N2, finalState(b, discretize(b, dt, A, BC, str(args, 'disc')).lambda, u));
  }
  let L = b.dim(u, 2);
  if (args.l_max !== null) L = b.op('Min', [L, b.i64(int(args, 'l_max'), [], 'l_max')]);
  const fixed = u.type.shape?.[2];
  const bidir = bool(args, 'bidirectional');
  const sides = (x: Value): [Value, Value | null] => (bidir ? [b.slice(x, [0], [C], [0]), b.slice(x, [C], [Ck], [0])] : [x, null]);
  let conv: LongConv;
  if (isDplr(args)) {
    const fixedLength = typeof fixed === 'number' ? fixed : null;
    const [k, kRev] = sides(dplrKernel(b, params, args, Ck, L, fixedLength)); // [C,H,Lk]
    const dense = bidir ? null : dplrDenseKernel(ctx, Ck, fixedLength);
    conv = dense ? { kernel: 'dense', u, ...dense, taps: k } : { kernel: 'taps', u, k, kRev };
  } else {
    const { lambda, coef } = discretizeOp(b, dt, A, BC, str(args, 'disc') as Discretization);
    const [causal, reverse] = sides(coef);
    conv = { kernel: 'diagonal', u, length: L, scale: 2, causal: { lambda, coef: causal }, reverse: reverse ? { lambda, coef: reverse } : null };
  }
  let y = convWithSkip(b, conv, params.real('layer.D'), H, C); // [B,C·H,L]
  if (bool(args, 'swap_channels') && C > 1) {
    y = b.reshape(b.transpose(b.reshape(y, [0, C, H, -1]), [0, 2, 1, 3]), [0, C * H, -1]);
  }
  y = activation(b, y, args.activation as string | null);
  const lin = outputLinearPrefix(args);
  const W = params.real(`${lin}.weight`), bias = params.real(`${lin}.bias`);
  let z: Value;
  if (transposed) {
    z = b.add(b.matmul(W, y), b.unsqueeze(bias, [1])); // [B,dOut,L]
  } else {
    z = linear(b, b.transpose(y, [0, 2, 1]), W, bias); // [B,L,dOut]
  }
  const axis = transposed ? 1 : 2;
  if (args.final_act === 'glu') return glu(b, z, axis, dOut);
  return activation(b, z, args.final_act as string | null);
}

