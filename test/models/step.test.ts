import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { argmaxRow, compareToReference, compileModel, type CompileOptions, describeComparison, generateTokens, type ModelFile, modelToBytes, parseModelFile, readSafetensors, readStates, runSteps, type Weights, zeroStates } from 'ssmc';
import { f32, i64 } from 'ssmc/ir';
import { createSession, runOnnx } from 'ssmc/runtime';
import { goldenCase, goldenCheckpoint, modelFileFor } from '../helpers/golden.js';
import { randomTensor } from '../helpers/graphs.js';

const L = 64, B = 2;

/** Conv output over L positions vs the step graph run position by position from zero states. */
async function convVsStep(file: ModelFile, weights: Weights | null, layout: 'BHL' | 'BLH', dplrStep?: CompileOptions['dplrStep']) {
  const conv = compileModel(file, weights, { seqLen: null, opset: 17 }).model;
  const step = compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step', dplrStep }).model;
  const H = step.graph.inputs[0]!.type.shape![1] as number;
  const x = randomTensor(layout === 'BHL' ? [B, H, L] : [B, L, H], 11);
  const xd = x.data as Float32Array;
  const idx = (b: number, t: number, h: number) => (layout === 'BHL' ? (b * H + h) * L + t : (b * L + t) * H + h);
  const y = (await runOnnx(modelToBytes(conv), new Map([['input', x]]))).get('output')!.data as Float32Array;
  const specs = readStates(step);
  const session = await createSession(modelToBytes(step));
  const at = (t: number) => f32(Array.from({ length: B * H }, (_, i) => xd[idx(Math.floor(i / H), t, i % H)]!), [B, H]);
  const { outputs } = await runSteps(session, specs, L, at, zeroStates(specs, B));
  await session.release();
  const stepped = new Float32Array(y.length);
  outputs.forEach((o, t) => (o.data as Float32Array).forEach((v, i) => (stepped[idx(Math.floor(i / H), t, i % H)] = v)));
  return compareToReference(stepped, y);
}

describe('step graphs equal the convolution graphs', () => {
  it.each([
    ['s4d-minimal (fresh)', { arch: 's4d-minimal', args: { d_model: 3, d_state: 8 } }, null, 'BHL'],
    ['s4-block bilinear, 2 channels (fresh)', { arch: 's4-block', args: { d_model: 3, d_state: 8, mode: 'diag', init: 'diag-inv', disc: 'bilinear', channels: 2, transposed: false } }, null, 'BLH'],
    ['s4 dplr, HiPPO-LegS (fresh), linear stepper', { arch: 's4-block', args: { d_model: 3, d_state: 16, mode: 'dplr', transposed: false } }, null, 'BLH'],
    ['s4 dplr (golden weights) beyond l_kernel', modelFileFor(goldenCase('s4_dplr_legs')), 's4_dplr_legs', 'BLH'],
    ['dss exp (golden weights)', modelFileFor(goldenCase('dss_exp')), 'dss_exp', 'BHL'],
    ['gss layer (golden weights)', modelFileFor(goldenCase('gss_layer')), 'gss_layer', 'BLH'],
    // HiPPO-LegS is too ill-conditioned for the diagonal stepper; with P halved A is near normal.
    ['s4 dplr (golden weights, P halved), diagonal stepper', modelFileFor(goldenCase('s4_dplr_legs')), 's4_dplr_legs:P/2', 'BLH', 'diagonal'],
    ['s4 dplr (golden weights, P halved), linear stepper', modelFileFor(goldenCase('s4_dplr_legs')), 's4_dplr_legs:P/2', 'BLH', 'linear'],
  ] as const)('%s', async (_name, file, weightsOf, layout, dplrStep?: CompileOptions['dplrStep']) => {
    const weights = weightsOf ? { tensors: goldenCheckpoint(weightsOf), source: weightsOf } : null;
    const cmp = await convVsStep(file as ModelFile, weights, layout, dplrStep);
    expect(cmp.ok, describeComparison('steps vs conv', cmp)).toBe(true);
  });

  it('DSS-softmax refuses step mode and says why', () => {
    expect(() => compileModel({ arch: 'dss', args: { d_model: 4 } }, null, { seqLen: null, opset: 17, mode: 'step' })).toThrow(/depends on the sequence length L/);
  });
});

describe('the gss-code model, token by token', () => {
  it('greedy generation from the step graph equals greedy generation re-running the convolution graph', async () => {
    const dir = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));
    const file = parseModelFile(readFileSync(`${dir}model.json`, 'utf8'), 'model.json');
    const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(`${dir}gss_code.weights.safetensors`))), source: 'gss-code' };
    const prompt = [...new TextEncoder().encode('def load_config(path):\n    with open(')];
    const steps = 24;
    const conv = await createSession(modelToBytes(compileModel(file, weights, { seqLen: null, opset: 17 }).model));
    const convIds = [...prompt];
    for (let i = 0; i < steps; i++) {
      const logits = (await conv.run(new Map([['input', i64(convIds, [1, convIds.length])]]))).get('output')!;
      convIds.push(argmaxRow(logits.data as Float32Array, convIds.length - 1, 256));
    }
    await conv.release();
    const stepModel = compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step' }).model;
    const specs = readStates(stepModel);
    expect(specs.map((s) => s.input)).toEqual(Array.from({ length: 6 }, (_, i) => `state.layers.${i}`));
    const session = await createSession(modelToBytes(stepModel));
    const ids = await generateTokens(session, specs, prompt, steps, (logits) => argmaxRow(logits, 0, 256));
    await session.release();
    expect(new TextDecoder().decode(Uint8Array.from(ids))).toBe(new TextDecoder().decode(Uint8Array.from(convIds)));
  }, 120_000);
});
