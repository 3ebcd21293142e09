import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, describeComparison, modelToBytes } from 'ssmc';
import { evaluateModel, f32, fromTensor, i64 } from 'ssmc/ir';
import { runOnnx } from 'ssmc/runtime';
import { legsNplr } from '../../src/models/hippo.js';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const c = goldenCase('s4_dplr_legs');

describe('S4 DPLR beyond the checkpoint kernel length', () => {
  const weights = goldenWeights(c);
  const lKernel = Number((weights.get('layer.kernel.l_kernel')!.data as BigInt64Array)[0]);

  it.each([null, 4 * 32 + 3])('the doubled kernel keeps the output causal: a longer input has the same prefix (seq-len %s)', async (seqLen) => {
    const io = goldenIo(c);
    const [B, L, H] = c.input.shape as [number, number, number];
    const longL = 4 * L + 3; // > l_kernel: the official code doubles C~ twice or more
    expect(longL).toBeGreaterThan(lKernel);
    const x = io.get('input')!.data as Float32Array;
    const padded = new Float32Array(B * longL * H);
    for (let b = 0; b < B; b++) padded.set(x.subarray(b * L * H, (b + 1) * L * H), b * longL * H);
    const { model } = compileModel(modelFileFor(c), { tensors: weights, source: 'golden' }, { seqLen, opset: 17 });
    const y = (await runOnnx(modelToBytes(model), new Map([['input', f32(padded, [B, longL, H])]]))).get('output')!.data as Float32Array;
    const prefix = new Float32Array(B * L * H);
    for (let b = 0; b < B; b++) prefix.set(y.subarray(b * longL * H, b * longL * H + L * H), b * L * H);
    const cmp = compareToReference(prefix, io.get('output_f64')!.data as Float32Array);
    expect(cmp.ok, describeComparison('prefix of the long run vs the official float64 output', cmp)).toBe(true);
  });

  it('explains a checkpoint saved before any forward pass (l_kernel = 0)', () => {
    const w = new Map(weights);
    w.set('layer.kernel.l_kernel', i64([0], []));
    expect(() => compileModel(modelFileFor(c), { tensors: w, source: 'ckpt' }, { seqLen: 32, opset: 17 })).toThrow(/l_kernel' is 0.*raw C.*C~ = C·\(I − dA\^l_kernel\)/s);
  });

  it('refuses fresh DPLR inits it cannot reproduce, with a clear message', () => {
    expect(() => compileModel({ arch: 's4-block', args: { d_model: 4, mode: 'dplr', init: 'fout' } }, null, { seqLen: 32, opset: 17 })).toThrow(/init "legs" and rank 1.*--weights/);
  });
});

describe('fresh S4 (HiPPO-LegS) models', () => {
  it('diagonalises LegS: modes −½ − iω, and V*P keeps the norm of P (the eigenbasis is unitary)', () => {
    const N = 16;
    const { w, P } = legsNplr(N);
    expect(w).toHaveLength(N / 2);
    for (const m of w) expect(m.re).toBe(-0.5);
    for (let i = 1; i < w.length; i++) expect(w[i]!.im).toBeGreaterThanOrEqual(w[i - 1]!.im);
    // Conjugate pairs double the half basis: 2·Σ|V*P|² = ‖P‖² = Σ (n + ½) = N²/2.
    const norm = 2 * P.reduce((s, p) => s + p.re * p.re + p.im * p.im, 0);
    expect(norm).toBeCloseTo((N * N) / 2, TOL.F64_SUM_DIGITS);
  });

  it.each([null, 64])('compile and run in onnxruntime against the float64 reference (seq-len %s)', async (seqLen) => {
    const file = { arch: 's4-block', args: { d_model: 3, d_state: 16, mode: 'dplr', transposed: false, l_max: 32 } };
    const input = f32(Array.from({ length: 2 * 64 * 3 }, (_, i) => Math.sin(i * 0.37)), [2, 64, 3]);
    const { model } = compileModel(file, null, { seqLen, opset: 17 });
    const y = (await runOnnx(modelToBytes(model), new Map([['input', input]]))).get('output')!;
    const ref = evaluateModel(buildModel(file, null, { seqLen, opset: 17 }).model, { input: fromTensor(input) }).get('output')!;
    const cmp = compareToReference(y.data as Float32Array, ref.data);
    expect(cmp.ok, describeComparison('fresh S4', cmp)).toBe(true);
  });
});
