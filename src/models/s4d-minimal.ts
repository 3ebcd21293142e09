import { f32 } from '../../ir/tensor.js';
import type { ArchDef } from './arch.js';
import { type ArgValues, bool, checkDtRange, DT_RANGE, int, num, trainingOnly } from './args.js';
import { complexRandn, fill, logDt, randn, uniformFanIn } from './init.js';
import { gelu, glu, linear } from './layers.js';
import { finalState, vandermondeStep } from './step.js';
import { discretize, discretizeOp } from '../../ir/ops/discretize.js';
import { convWithSkip, toChannelsFirst } from './ssm-blocks.js';
import { UserError } from '../errors.js';

/**
 * The minimal S4D layer of state-spaces/s4 `models/s4/s4d.py` (ssm-math.md §2.1):
 * ZOH kernel with B ≡ 1, a = −exp(log_A_real) + i·A_imag, FFT convolution, D skip, GELU,
 * Conv1d(H→2H, k=1) and GLU over channels.
 */
export const s4dMinimal: ArchDef = {
  id: 's4d-minimal',
  official: 'state-spaces/s4 models/s4/s4d.py S4D',
  schema: {
    d_model: { kind: 'int', default: null, min: 1, doc: 'number of features H' },
    d_state: { kind: 'int', default: 64, min: 2, doc: 'state size N (N/2 complex modes are stored)' },
    transposed: { kind: 'bool', default: true, doc: 'input layout (B,H,L) when true, (B,L,H) when false' },
    ...DT_RANGE,
    ...trainingOnly('dropout', 'lr'),
  },
  validate(args) {
    if (int(args, 'd_state') % 2 !== 0) {
      throw new UserError(`model file: argument "d_state" of arch 's4d-minimal' must be even (N/2 conjugate pairs are stored), got ${int(args, 'd_state')}`);
    }
    checkDtRange('s4d-minimal', args);
  },
  params(args) {
    const H = int(args, 'd_model'), N2 = int(args, 'd_state') / 2;
    return [
      { name: 'D', shape: [H], dtype: 'float32' },
      { name: 'kernel.log_dt', shape: [H], dtype: 'float32' },
      { name: 'kernel.C', shape: [H, N2, 2], dtype: 'float32' },
      { name: 'kernel.log_A_real', shape: [H, N2], dtype: 'float32' },
      { name: 'kernel.A_imag', shape: [H, N2], dtype: 'float32' },
      { name: 'output_linear.0.weight', shape: [2 * H, H, 1], dtype: 'float32' },
      { name: 'output_linear.0.bias', shape: [2 * H], dtype: 'float32' },
    ];
  },
  init(args, rng) {
    const H = int(args, 'd_model'), N2 = int(args, 'd_state') / 2;
    return new Map([
      ['D', randn(rng, [H])],
      ['kernel.log_dt', f32(logDt(rng, [H], num(args, 'dt_min'), num(args, 'dt_max')), [H])],
      ['kernel.C', complexRandn(rng, [H, N2])],
      ['kernel.log_A_real', fill([H, N2], () => Math.log(0.5))],
      ['kernel.A_imag', fill([H, N2], (i) => Math.PI * (i % N2))],
      ['output_linear.0.weight', uniformFanIn(rng, [2 * H, H, 1], H)],
      ['output_linear.0.bias', uniformFanIn(rng, [2 * H], H)],
    ]);
  },
  io(args: ArgValues) {
    const H = int(args, 'd_model');
    const shape = bool(args, 'transposed') ? (L: string | number | null) => ['batch', H, L] : (L: string | number | null) => ['batch', L, H];
    return { inputDtype: 'float32', inputShape: shape, outputShape: shape, layout: bool(args, 'transposed') ? 'BHL' : 'BLH' };
  },
  build({ b, args, params, input, step, prefill }) {
    const H = int(args, 'd_model');
    const transposed = bool(args, 'transposed');
    const dt = b.unsqueeze(b.exp(params.real('kernel.log_dt')), [1]); // [H,1]
    const A = b.ssm('Complex', [b.neg(b.exp(params.real('kernel.log_A_real'))), params.real('kernel.A_imag')]);
    const C = b.unsqueeze(params.complex('kernel.C'), [0]); // [1,H,N']: B ≡ 1 is folded into C
    if (step) {
      // The exact recurrence of the ZOH kernel (ssm-math.md §2.1): the official file has no step mode.
      const { lambda, coef } = discretize(b, dt, A, C, 'zoh');
      const { y, next } = vandermondeStep(b, lambda, coef, 2, input, step.state('kernel', H, int(args, 'd_state') / 2));
      step.setOut('kernel', next);
      const act = gelu(b, b.add(b.squeeze(y, [1]), b.mul(input, params.real('D'))));
      const z = linear(b, act, b.reshape(params.real('output_linear.0.weight'), [2 * H, H]), params.real('output_linear.0.bias'));
      return glu(b, z, 1, 2 * H);
    }
    const u = toChannelsFirst(b, input, transposed); // [B,H,L]
    if (prefill) prefill.set('kernel', H, int(args, 'd_state') / 2, finalState(b, discretize(b, dt, A, C, 'zoh').lambda, u));
    const L = b.dim(u, 2);
    const causal = discretizeOp(b, dt, A, C, 'zoh');
    const y = convWithSkip(b, { kernel: 'diagonal', u, length: L, scale: 2, causal, reverse: null }, b.unsqueeze(params.real('D'), [0]), H, 1); // [B,H,L]
    const act = gelu(b, y);
    const w = b.reshape(params.real('output_linear.0.weight'), [2 * H, H]);
    const z = b.add(b.matmul(w, act), b.unsqueeze(params.real('output_linear.0.bias'), [1])); // [B,2H,L]
    const out = glu(b, z, 1, 2 * H);
    return transposed ? out : b.transpose(out, [0, 2, 1]);
  },
  stepIo(args) {
    const H = int(args, 'd_model');
    return { input: ['batch', H], output: ['batch', H] };
  },
};
