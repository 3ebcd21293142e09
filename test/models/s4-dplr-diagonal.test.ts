import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, type CompileOptions, describeComparison, initialWeights, type ModelFile, modelToBytes, readStates, Rng, runSteps, TOLERANCES, type Weights, zeroStates } from 'ssmc';
import { evaluateModel, f32, fromTensor, type Tensor } from 'ssmc/ir';
import { createSession, nodeBackend, runOnnx } from 'ssmc/runtime';
import { diagonalizeDplr } from '../../src/models/dplr-diagonal.js';
import { linearStepParams, readSystem, type DplrSystem } from '../../src/models/s4-dplr.js';
import { checkRecurrence } from '../../src/verify/recurrence.js';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const golden = goldenCase('s4_dplr_legs');
const goldenFile = modelFileFor(golden);

/** A checkpoint with the low-rank term P scaled: s < 1 moves A = diag(a) − PPᴴ towards normal. */
function withScaledP(tensors: Map<string, Tensor>, s: number): Map<string, Tensor> {
  const out = new Map(tensors), P = tensors.get('layer.kernel.P')!;
  out.set('layer.kernel.P', f32((P.data as Float32Array).map((v) => v * s), P.dims));
  return out;
}

/** The hand-made DPLR system of one feature with one complex mode: A = diag(a, ā) − ppᴴ (2×2). */
function oneModeSystem(a: [number, number], P: [number, number]): DplrSystem {
  return {
    prefix: 'layer.kernel.', H: 1, N: 1, nSsm: 1, rank: 1, C: 1, dt: [0.1], lKernel: 64,
    a: Float64Array.from(a), B: Float64Array.of(1, 0.3), P: Float64Array.from(P), Ctilde: Float64Array.of(0.7, -0.4),
  };
}

/** Run a step graph over x [B,L,H] (BLH) from zero states; outputs reassembled as [B,L,H]. */
async function stepThrough(model: ReturnType<typeof compileModel>['model'], x: Float32Array, B: number, L: number, H: number): Promise<Float32Array> {
  const specs = readStates(model);
  const session = await createSession(modelToBytes(model));
  const at = (t: number) => f32(Array.from({ length: B * H }, (_, i) => x[(Math.floor(i / H) * L + t) * H + (i % H)]!), [B, H]);
  const { outputs } = await runSteps(session, specs, L, at, zeroStates(specs, B));
  await session.release();
  const y = new Float32Array(B * L * H);
  outputs.forEach((o, t) => (o.data as Float32Array).forEach((v, i) => (y[(Math.floor(i / H) * L + t) * H + (i % H)] = v)));
  return y;
}

describe('the diagonalisation check (float64, compile time)', () => {
  it('accepts a well-conditioned complex pair: one mode kept, impulse responses agree to ~1e-13', () => {
    const sys = oneModeSystem([-0.5, -1], [Math.sqrt(0.5), 0]); // |P|² = 0.5 < |Im a|: eigenvalues −1 ± i·√0.75
    const out = diagonalizeDplr(sys, linearStepParams(sys));
    expect(out.refusal).toBeNull();
    expect(out.form!.K).toBe(1);
    expect(out.form!.quality.pairs).toBe(1);
    expect(out.form!.quality.impulseL1).toBeLessThan(TOL.F64_REORDERED);
  });

  it('keeps real eigenvalues as lone modes (no partner), exactly', () => {
    const sys = oneModeSystem([-0.5, -1], [Math.SQRT2, 0]); // |P|² = 2 > |Im a|: eigenvalues −2.5 ± √3, both real
    const out = diagonalizeDplr(sys, linearStepParams(sys));
    expect(out.refusal).toBeNull();
    expect(out.form!.K).toBe(2);
    expect(out.form!.quality.singles).toBe(2);
    expect(out.form!.quality.impulseL1).toBeLessThan(TOL.F64_REORDERED);
  });

  it('refuses a nearly defective matrix, with the numbers', () => {
    const sys = oneModeSystem([-0.5, -1], [Math.sqrt(1 + 1e-10), 0]); // |P|² ≈ |Im a|: a double eigenvalue, split by 1e-5
    const out = diagonalizeDplr(sys, linearStepParams(sys));
    expect(out.form).toBeNull();
    if (out.form) return;
    expect(out.quality!.amplification).toBeGreaterThan(TOLERANCES.DPLR_DIAGONAL_AMPLIFICATION);
    expect(out.refusal).toMatch(/too ill-conditioned.*feature 0.*4096 taps.*float32 modal sum adds terms .*× larger/);
  });
});

describe('S4 DPLR with HiPPO-LegS: the diagonal basis is refused', () => {
  const weights: Weights = { tensors: goldenWeights(golden), source: 'golden' };
  const step = (dplrStep: CompileOptions['dplrStep'], mode: 'step' | 'prefill' = 'step') => compileModel(goldenFile, weights, { seqLen: null, opset: 17, mode, dplrStep });

  it('golden s4_dplr_legs: auto falls back to the linear stepper and says why in ssmc.states', () => {
    const [spec] = readStates(step('auto').model);
    expect(spec!.shape).toEqual(['batch', 4, 2, 8]);
    expect(spec!.meaning).toMatch(/half state .* linear stepper.*diagonal stepper was not used: its eigenvector basis is too ill-conditioned/);
  });

  it('golden s4_dplr_legs: --dplr-step diagonal refuses, in step and prefill mode, with the reason and the way out', () => {
    expect(() => step('diagonal')).toThrow(/--dplr-step diagonal: .*refused.*too ill-conditioned.*Use --dplr-step linear/);
    expect(() => step('diagonal', 'prefill')).toThrow(/--dplr-step diagonal: .*refused.*too ill-conditioned.*Use --dplr-step linear/);
  });

  it('a fresh HiPPO-LegS model at d_state 64: float32 cancellation of ~1e6 in the modal sum', () => {
    const tensors = initialWeights({ arch: 's4-block', args: { d_model: 1, d_state: 64, mode: 'dplr', transposed: false } });
    // The official defaults of what the system depends on.
    const args = { d_model: 1, d_state: 64, rank: 1, n_ssm: null, dt_transform: 'exp', real_transform: 'exp', imag_transform: 'none' } as const;
    const sys = readSystem({ tensor: (n) => tensors.get(n)! }, args, 'layer.kernel.', 1);
    const out = diagonalizeDplr(sys, linearStepParams(sys));
    expect(out.form).toBeNull();
    expect(out.form ? 0 : out.quality!.amplification).toBeGreaterThan(1e5);
  });
});

describe('S4 DPLR with a near-normal A (golden weights, P halved): the diagonal stepper', () => {
  const weights: Weights = { tensors: withScaledP(goldenWeights(golden), 0.5), source: 'golden, P×0.5' };
  const [B, L, H] = golden.input.shape as [number, number, number];
  const x = goldenIo(golden).get('input')!.data as Float32Array;

  it.each([17, 20])('auto picks it; it matches the linear stepper, the conv graph and the float64 reference (opset %i)', async (opset) => {
    const diagonal = compileModel(goldenFile, weights, { seqLen: null, opset, mode: 'step' }).model;
    const [spec] = readStates(diagonal);
    expect(spec!.meaning).toMatch(/eigenbasis of dA \(diagonal stepper\).*8 modes/);
    expect(spec!.shape).toEqual(['batch', H, 2, 8]);
    const linear = compileModel(goldenFile, weights, { seqLen: null, opset, mode: 'step', dplrStep: 'linear' }).model;
    expect(readStates(linear)[0]!.meaning).toMatch(/^S4 DPLR half state/);
    const yDiag = await stepThrough(diagonal, x, B, L, H);
    const yLin = await stepThrough(linear, x, B, L, H);
    const input = f32(x, [B, L, H]);
    const conv = (await runOnnx(modelToBytes(compileModel(goldenFile, weights, { seqLen: null, opset }).model), new Map([['input', input]]))).get('output')!.data as Float32Array;
    const ref = evaluateModel(buildModel(goldenFile, weights, { seqLen: null, opset }).model, { input: fromTensor(input) }).get('output')!.data;
    for (const [name, want] of [['linear stepper', yLin], ['conv graph', conv], ['float64 reference', ref]] as const) {
      const cmp = compareToReference(yDiag, want);
      expect(cmp.ok, describeComparison(`diagonal steps vs ${name}`, cmp)).toBe(true);
    }
    // The same input must not be a trivial match: the halved P changes the model's output.
    const original = goldenIo(golden).get('output_f64')!.data as Float32Array;
    expect(compareToReference(yDiag, original).ok).toBe(false);
  });
});

describe('S4 DPLR prefill + diagonal steps equal the convolution graph over 1024 positions', () => {
  const TOTAL = 1024, PREFIX = 1000, B = 2;
  const freshArgs = { d_model: 3, d_state: 64, mode: 'dplr', transposed: false };
  const sharedArgs = { d_model: 4, d_state: 16, mode: 'dplr', n_ssm: 1, channels: 2, transposed: false };
  const fresh = (args: Record<string, unknown>): Map<string, Tensor> => initialWeights({ arch: 's4-block', args, seed: 3 });
  // The golden weights (P halved) are in prefill.test.ts with the other families.
  it.each([
    ['fresh HiPPO-LegS, d_state 64, P halved', { arch: 's4-block', args: freshArgs } as ModelFile, () => withScaledP(fresh(freshArgs), 0.5)],
    ['fresh HiPPO-LegS, one (A, B, P) copy for 4 features, 2 channels, P halved', { arch: 's4-block', args: sharedArgs } as ModelFile, () => withScaledP(fresh(sharedArgs), 0.5)],
  ] as const)('%s', async (_name, file, tensorsOf) => {
    const weights: Weights = { tensors: tensorsOf(), source: 'test' };
    const opts = { seqLen: null, opset: 17 } as const;
    const H = (file.args as { d_model: number }).d_model;
    const rng = new Rng(5);
    const x = Float32Array.from({ length: B * TOTAL * H }, () => rng.normal());
    const slice = (from: number, to: number) => {
      const out = new Float32Array(B * (to - from) * H);
      for (let b = 0; b < B; b++) out.set(x.subarray((b * TOTAL + from) * H, (b * TOTAL + to) * H), b * (to - from) * H);
      return out;
    };
    const full = (await runOnnx(modelToBytes(compileModel(file, weights, opts).model), new Map([['input', f32(x, [B, TOTAL, H])]]))).get('output')!.data as Float32Array;
    const prefill = compileModel(file, weights, { ...opts, mode: 'prefill' }).model;
    const step = compileModel(file, weights, { ...opts, mode: 'step' }).model;
    expect(prefill.metadata.get('ssmc.states')).toBe(step.metadata.get('ssmc.states'));
    const pre = await runOnnx(modelToBytes(prefill), new Map([['input', f32(slice(0, PREFIX), [B, PREFIX, H])]]));
    const specs = readStates(step);
    const session = await createSession(modelToBytes(step));
    const at = (t: number) => f32(slice(PREFIX + t, PREFIX + t + 1), [B, H]);
    const { outputs } = await runSteps(session, specs, TOTAL - PREFIX, at, new Map(specs.map((s) => [s.input, pre.get(s.output)!])));
    await session.release();
    const stepped = new Float32Array(B * (TOTAL - PREFIX) * H);
    outputs.forEach((o, t) => (o.data as Float32Array).forEach((v, i) => (stepped[(Math.floor(i / H) * (TOTAL - PREFIX) + t) * H + (i % H)] = v)));
    const tail = new Float32Array(B * (TOTAL - PREFIX) * H);
    for (let b = 0; b < B; b++) tail.set(full.subarray((b * TOTAL + PREFIX) * H, (b + 1) * TOTAL * H), b * (TOTAL - PREFIX) * H);
    const cmp = compareToReference(stepped, tail);
    expect(cmp.ok, describeComparison(`prefill (${PREFIX}) + ${TOTAL - PREFIX} steps vs conv`, cmp)).toBe(true);
    const head = new Float32Array(B * PREFIX * H);
    for (let b = 0; b < B; b++) head.set(full.subarray(b * TOTAL * H, (b * TOTAL + PREFIX) * H), b * PREFIX * H);
    const cmpPre = compareToReference(pre.get('output')!.data as Float32Array, head);
    expect(cmpPre.ok, describeComparison('prefill output vs conv prefix', cmpPre)).toBe(true);
  }, 60_000);
});

describe("ssmc verify's recurrence checks for S4 DPLR (src/verify/recurrence.ts)", () => {
  const L = 48, B = 2, H = 4;
  async function checks(tensors: Map<string, Tensor>) {
    const weights: Weights = { tensors, source: 'golden' };
    const opts: CompileOptions = { seqLen: null, opset: 17 };
    const rng = new Rng(1);
    const x = f32(Array.from({ length: B * L * H }, () => rng.normal()), [B, L, H]);
    const conv = compileModel(goldenFile, weights, opts);
    const convOutput = (await nodeBackend.run(modelToBytes(conv.model), new Map([['input', x]]))).get('output')!.data as Float32Array;
    const reference = evaluateModel(buildModel(goldenFile, weights, opts).model, { input: fromTensor(x) }).get('output')!.data;
    return checkRecurrence(nodeBackend, goldenFile, weights, opts, { x, layout: 'BLH', L, B, convOutput, references: [['float64 reference', reference]], outputShape: conv.io.outputShape });
  }

  it('HiPPO-LegS: step (linear stepper) and prefill (its half state) + step both pass', async () => {
    const { rows, skipped } = await checks(goldenWeights(golden));
    expect(skipped).toEqual([]);
    expect(rows.map(([name]) => name)).toEqual(['step (from zero state) vs conv', 'step vs float64 reference', `prefill (${L / 2} positions) + step vs conv`]);
    for (const [name, cmp] of rows) expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
  });

  it('near-normal A: step (diagonal) and prefill + step both pass', async () => {
    const { rows, skipped } = await checks(withScaledP(goldenWeights(golden), 0.5));
    expect(skipped).toEqual([]);
    expect(rows.map(([name]) => name)).toEqual(['step (from zero state) vs conv', 'step vs float64 reference', `prefill (${L / 2} positions) + step vs conv`]);
    for (const [name, cmp] of rows) expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
  });
});
