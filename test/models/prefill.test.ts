import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, type ModelFile, modelToBytes, readStates, runSteps, type Weights } from 'ssmc';
import { f32, i64, type Tensor } from 'ssmc/ir';
import { createSession, runOnnx } from 'ssmc/runtime';
import { goldenCase, goldenCheckpoint, modelFileFor } from '../helpers/golden.js';
import { randomTensor } from '../helpers/graphs.js';

const TOTAL = 1024, PREFIX = 1000, B = 2;

type Layout = 'BHL' | 'BLH' | 'BL';

/** Take positions [from, to) of a [B,·,L]-laid-out tensor. */
function positions(x: Tensor, layout: Layout, from: number, to: number): Tensor {
  const d = x.data as Float32Array | BigInt64Array;
  if (layout === 'BL') return i64(Array.from({ length: B * (to - from) }, (_, i) => d[Math.floor(i / (to - from)) * TOTAL + from + (i % (to - from))]!), [B, to - from]);
  const H = layout === 'BHL' ? x.dims[1]! : x.dims[2]!;
  const n = to - from;
  const out = new Float32Array(B * H * n);
  for (let b = 0; b < B; b++) for (let t = 0; t < n; t++) for (let h = 0; h < H; h++) {
    const src = layout === 'BHL' ? (b * H + h) * TOTAL + from + t : (b * TOTAL + from + t) * H + h;
    const dst = layout === 'BHL' ? (b * H + h) * n + t : (b * n + t) * H + h;
    out[dst] = (d as Float32Array)[src]!;
  }
  return f32(out, layout === 'BHL' ? [B, H, n] : [B, n, H]);
}

// ort-webgpu: the forms for a runtime without control flow or exact sin/cos (loop-free prefill,
// powers from folded constants), run here on the CPU: no Scan, Loop or If in any of the three graphs.
describe.each(['ort-cpu', 'ort-webgpu'])('prefill + step equals the convolution graph over 1024 positions, compiled for %s', (runtime) => {
  it.each([
    ['s4d-minimal', { arch: 's4d-minimal', args: { d_model: 3, d_state: 8 } }, null, 'BHL'],
    ['s4-block zoh', { arch: 's4-block', args: { d_model: 3, d_state: 8, mode: 'diag', init: 'diag-lin', transposed: false } }, null, 'BLH'],
    ['dss exp', modelFileFor(goldenCase('dss_exp')), 'dss_exp', 'BHL'],
    ['gss layer', modelFileFor(goldenCase('gss_layer')), 'gss_layer', 'BLH'],
    ['gss lm', modelFileFor(goldenCase('gss_lm')), 'gss_lm', 'BL'],
    // HiPPO-LegS is too ill-conditioned for the diagonal stepper (s4-dplr-diagonal.test.ts): its
    // prefill hands over the linear stepper's half state. With the low-rank term halved A is near
    // normal and both graphs use the diagonal stepper's eigenbasis.
    ['s4 dplr HiPPO-LegS (golden weights, linear stepper)', modelFileFor(goldenCase('s4_dplr_legs')), 's4_dplr_legs', 'BLH'],
    ['s4 dplr (golden weights, P halved, diagonal stepper)', modelFileFor(goldenCase('s4_dplr_legs')), 's4_dplr_legs:P/2', 'BLH'],
  ] as const)('%s', async (_name, file, weightsOf, layout) => {
    const weights: Weights | null = weightsOf ? { tensors: goldenCheckpoint(weightsOf), source: weightsOf } : null;
    const opts = { seqLen: null, opset: 17, runtime } as const;
    const conv = compileModel(file as ModelFile, weights, opts).model;
    const prefill = compileModel(file as ModelFile, weights, { ...opts, mode: 'prefill' }).model;
    const step = compileModel(file as ModelFile, weights, { ...opts, mode: 'step' }).model;
    if (runtime === 'ort-webgpu') {
      for (const m of [conv, prefill, step]) expect(m.graph.nodes.filter((n) => ['Scan', 'Loop', 'If'].includes(n.op)).map((n) => n.name)).toEqual([]);
    }
    const H = conv.graph.inputs[0]!.type.shape![layout === 'BHL' ? 1 : 2] as number;
    const x = layout === 'BL'
      ? i64(Array.from({ length: B * TOTAL }, (_, i) => (i * 7919) % 32), [B, TOTAL])
      : randomTensor(layout === 'BHL' ? [B, H, TOTAL] : [B, TOTAL, H], 5);
    const full = (await runOnnx(modelToBytes(conv), new Map([['input', x]]))).get('output')!;
    const pre = await runOnnx(modelToBytes(prefill), new Map([['input', positions(x, layout, 0, PREFIX)]]));
    const specs = readStates(step);
    const session = await createSession(modelToBytes(step));
    const at = (t: number) => {
      const p = positions(x, layout, PREFIX + t, PREFIX + t + 1);
      return layout === 'BL' ? i64(Array.from(p.data as BigInt64Array), [B]) : f32(p.data as Float32Array, [B, H]);
    };
    const initial = new Map(specs.map((s) => [s.input, pre.get(s.output)!]));
    const { outputs } = await runSteps(session, specs, TOTAL - PREFIX, at, initial);
    await session.release();
    // The last step's output against the convolution graph's last position, and the prefill output against its prefix.
    const V = full.dims[full.dims.length - 1]!;
    const width = layout === 'BHL' ? H : V;
    const lastConv = Array.from({ length: B * width }, (_, i) => {
      const b = Math.floor(i / width), c = i % width;
      return layout === 'BHL' ? (full.data as Float32Array)[(b * H + c) * TOTAL + TOTAL - 1]! : (full.data as Float32Array)[(b * TOTAL + TOTAL - 1) * width + c]!;
    });
    const cmp = compareToReference(outputs[outputs.length - 1]!.data as Float32Array, lastConv);
    expect(cmp.ok, describeComparison('prefill + 24 steps vs conv at position 1023', cmp)).toBe(true);
    const convPrefix = positions(layout === 'BL' ? f32(full.data as Float32Array, full.dims) : full, layout === 'BL' ? 'BLH' : layout, 0, PREFIX);
    const cmpPre = compareToReference(pre.get('output')!.data as Float32Array, convPrefix.data as Float32Array);
    expect(cmpPre.ok, describeComparison('prefill output vs conv prefix', cmpPre)).toBe(true);
  }, 120_000);
});

describe('S4 DPLR prefill states mean what the step graph reads', () => {
  const c = goldenCase('s4_dplr_legs');
  const compile = (mode: 'step' | 'prefill', dplrStep: 'auto' | 'linear' | 'diagonal', variant = '') =>
    compileModel(modelFileFor(c), { tensors: goldenCheckpoint(`s4_dplr_legs${variant}`), source: 'golden' }, { seqLen: null, opset: 17, mode, dplrStep }).model;
  const meaning = (m: ReturnType<typeof compile>) => readStates(m)[0]!.meaning;

  it.each([
    ['auto', '', /^S4 DPLR half state .*linear stepper.*diagonal stepper was not used/],
    ['linear', '', /^S4 DPLR half state .*linear stepper/],
    ['linear', ':P/2', /^S4 DPLR half state .*linear stepper/],
    ['auto', ':P/2', /eigenbasis of dA \(diagonal stepper\)/],
  ] as const)('--dplr-step %s%s: the same state meaning and shape in both graphs', (choice, variant, expected) => {
    const step = compile('step', choice, variant), prefill = compile('prefill', choice, variant);
    expect(meaning(prefill)).toBe(meaning(step));
    expect(meaning(prefill)).toMatch(expected);
    expect(readStates(prefill).map((s) => [s.output, s.shape])).toEqual(readStates(step).map((s) => [s.output, s.shape]));
  });

  it('HiPPO-LegS: --dplr-step diagonal refuses prefill as it refuses step, with the way out', () => {
    expect(() => compile('prefill', 'diagonal')).toThrow(/--dplr-step diagonal: .*refused.*too ill-conditioned.*Use --dplr-step linear/);
  });
});
