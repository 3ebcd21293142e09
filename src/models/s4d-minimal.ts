import { discretize, discretizeOp } from '../../ir/ops/discretize.js';
import { f32 } from '../../ir/tensor.js';
import type { Value } from '../../ir/value.js';
import { UserError } from '../errors.js';
import { defineArch } from './arch.js';
import { checkDtRange, DT_RANGE, trainingOnly, type Args, type ArgSchema } from './args.js';
import { complexRandn, fill, logDt, randn, uniformFanIn } from './init.js';
import { prefixed, submodule, type FinalStates, type Layer, type LayerContext, type Prefixed, type StepStates } from './layer.js';
import { gelu, glu, linear } from './layers.js';
import { convWithSkip, toChannelsFirst } from './ssm-blocks.js';
import { finalState, vandermondeStep } from './step.js';

export const s4dMinimalSchema = {
  d_model: { kind: 'int', default: null, min: 1, doc: 'number of features H' },
  d_state: { kind: 'int', default: 64, min: 2, doc: 'state size N (N/2 complex modes are stored)' },
  transposed: { kind: 'bool', default: true, doc: 'input layout (B,H,L) when true, (B,L,H) when false' },
  ...DT_RANGE,
  ...trainingOnly('dropout', 'lr'),
} as const satisfies ArgSchema;

export type S4dMinimalArgs = Args<typeof s4dMinimalSchema>;


/** dt [H,1], A [H,N'] and C [1,H,N'] (B ≡ 1 folded into C) of the S4D kernel. */
function system(ctx: LayerContext, p: Prefixed) {
  const { b, params } = ctx;
  const dt = b.unsqueeze(b.exp(params.real(p('kernel.log_dt'))), [1]); // [H,1]
  const A = b.ssm('Complex', [b.neg(b.exp(params.real(p('kernel.log_A_real')))), params.real(p('kernel.A_imag'))]);
  const C = b.unsqueeze(params.complex(p('kernel.C')), [0]); // [1,H,N']
  return { dt, A, C };
}

/** GELU, then Conv1d(H→2H, k=1) and GLU over channels (output_linear) on y [B,H,L]. */
function head(ctx: LayerContext, p: Prefixed, y: Value, H: number): Value {
  const { b, params } = ctx;
  const act = gelu(b, y);
  return submodule(ctx, 'output_linear', () => {
    const w = b.reshape(params.real(p('output_linear.0.weight')), [2 * H, H]);
    const z = b.add(b.matmul(w, act), b.unsqueeze(params.real(p('output_linear.0.bias')), [1])); // [B,2H,L]
    return glu(b, z, 1, 2 * H);
  });
}

/** The whole sequence; with `final`, also the state after it (prefill). */
function sequence(ctx: LayerContext, args: S4dMinimalArgs, p: Prefixed, input: Value, final: FinalStates | null): Value {
  const { b, params } = ctx;
  const H = args.d_model;
  const { dt, A, C } = submodule(ctx, 'kernel', (k) => system(k, p));
  const u = toChannelsFirst(b, input, args.transposed); // [B,H,L]
  if (final) submodule(ctx, 'state', () => final.set(p('kernel'), H, args.d_state / 2, finalState(ctx, discretize(b, dt, A, C, 'zoh').lambda, u)));
  const { L, causal } = submodule(ctx, 'kernel', () => ({ L: b.dim(u, 2), causal: discretizeOp(b, dt, A, C, 'zoh') }));
  const y = submodule(ctx, 'conv', (c) => convWithSkip(c, { kernel: 'diagonal', u, length: L, scale: 2, causal, reverse: null }, b.unsqueeze(params.real(p('D')), [0]), H, 1, {
    name: p('kernel'), kernel: 'diag-zoh', H, N: args.d_state / 2, channels: 1, bidirectional: false,
  })); // [B,H,L]
  const out = head(ctx, p, y, H);
  return args.transposed ? out : b.transpose(out, [0, 2, 1]);
}

/** One position x [B,H]: the exact recurrence of the ZOH kernel (ssm-math.md §2.1); the official file has no step mode. */
function step(ctx: LayerContext, args: S4dMinimalArgs, p: Prefixed, x: Value, states: StepStates): Value {
  const { b, params } = ctx;
  const H = args.d_model;
  const { lambda, coef } = submodule(ctx, 'kernel', (k) => {
    const { dt, A, C } = system(k, p);
    return discretize(b, dt, A, C, 'zoh');
  });
  const skipped = submodule(ctx, 'step', () => {
    const { y, next } = vandermondeStep(b, lambda, coef, 2, x, states.state(p('kernel'), H, args.d_state / 2));
    states.setOut(p('kernel'), next);
    return b.add(b.squeeze(y, [1]), b.mul(x, params.real(p('D'))));
  });
  const act = gelu(b, skipped);
  return submodule(ctx, 'output_linear', () => {
    const z = linear(b, act, b.reshape(params.real(p('output_linear.0.weight')), [2 * H, H]), params.real(p('output_linear.0.bias')));
    return glu(b, z, 1, 2 * H);
  });
}

/** The minimal S4D layer, its parameters under `prefix` ('' at the top, 's4_layers.0.' in example.py's S4Model). */
export function s4dMinimalLayer(args: S4dMinimalArgs, prefix = ''): Layer {
  const p = prefixed(prefix);
  const H = args.d_model, N2 = args.d_state / 2;
  return {
    params: () => [
      { name: p('D'), shape: [H], dtype: 'float32' },
      { name: p('kernel.log_dt'), shape: [H], dtype: 'float32' },
      { name: p('kernel.C'), shape: [H, N2, 2], dtype: 'float32' },
      { name: p('kernel.log_A_real'), shape: [H, N2], dtype: 'float32' },
      { name: p('kernel.A_imag'), shape: [H, N2], dtype: 'float32' },
      { name: p('output_linear.0.weight'), shape: [2 * H, H, 1], dtype: 'float32' },
      { name: p('output_linear.0.bias'), shape: [2 * H], dtype: 'float32' },
    ],
    init: (rng) => [
      [p('D'), randn(rng, [H])],
      [p('kernel.log_dt'), f32(logDt(rng, [H], args.dt_min, args.dt_max), [H])],
      [p('kernel.C'), complexRandn(rng, [H, N2])],
      [p('kernel.log_A_real'), fill([H, N2], () => Math.log(0.5))],
      [p('kernel.A_imag'), fill([H, N2], (i) => Math.PI * (i % N2))],
      [p('output_linear.0.weight'), uniformFanIn(rng, [2 * H, H, 1], H)],
      [p('output_linear.0.bias'), uniformFanIn(rng, [2 * H], H)],
    ],
    conv: (ctx, x) => sequence(ctx, args, p, x, null),
    recurrence: {
      step: (ctx, x, states) => step(ctx, args, p, x, states),
      prefill: (ctx, x, states) => sequence(ctx, args, p, x, states),
    },
  };
}

/**
 * The minimal S4D layer of state-spaces/s4 `models/s4/s4d.py` (ssm-math.md §2.1):
 * ZOH kernel with B ≡ 1, a = −exp(log_A_real) + i·A_imag, FFT convolution, D skip, GELU,
 * Conv1d(H→2H, k=1) and GLU over channels.
 */
export const s4dMinimal = defineArch({
  id: 's4d-minimal',
  official: 'state-spaces/s4 models/s4/s4d.py S4D',
  schema: s4dMinimalSchema,
  validate(args) {
    if (args.d_state % 2 !== 0) {
      throw new UserError(`model file: argument "d_state" of arch 's4d-minimal' must be even (N/2 conjugate pairs are stored), got ${args.d_state}`);
    }
    checkDtRange('s4d-minimal', args);
  },
  layer: (args) => s4dMinimalLayer(args),
  io(args) {
    const H = args.d_model;
    const shape = args.transposed ? (L: string | number | null) => ['batch', H, L] : (L: string | number | null) => ['batch', L, H];
    return { inputDtype: 'float32', inputShape: shape, outputShape: shape, step: { input: ['batch', H], output: ['batch', H] }, layout: args.transposed ? 'BHL' : 'BLH' };
  },
});
