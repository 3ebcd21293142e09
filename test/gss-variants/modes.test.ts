import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, describeComparison, modelToBytes, readStates, runSteps, UserError, zeroStates } from 'ssmc';
import { evaluateModel, fromTensor, i64, type Model, type Tensor } from 'ssmc/ir';
import { createSession, runOnnx } from 'ssmc/runtime';
import { randomTensor } from '../helpers/graphs.js';
import { OWN_DIR, PUBLIC_DIR, variantCase } from './cases.js';

const ops = (m: Model) => m.graph.nodes.map((n) => n.qualifiedOp);
const count = (m: Model, op: string) => ops(m).filter((o) => o === op).length;

/** Position t of x [B,L,…] as a step input [B,…]. */
function at(x: Tensor, t: number): Tensor {
  const [B, L] = x.dims as [number, number];
  const width = x.dims.slice(2).reduce((a, b) => a * b, 1);
  const src = x.data as Float32Array | BigInt64Array;
  const pick = (i: number) => src[(Math.floor(i / width) * L + t) * width + (i % width)]!;
  return x.dtype === 'int64'
    ? i64(Array.from({ length: B * width }, (_, i) => pick(i) as bigint), [B])
    : { dtype: 'float32', dims: [B, ...x.dims.slice(2)], data: Float32Array.from({ length: B * width }, (_, i) => pick(i) as number) };
}

/** Positions [from, to) of x [B,L,…]. */
function span(x: Tensor, from: number, to: number): Tensor {
  const [B, L] = x.dims as [number, number];
  const width = x.dims.slice(2).reduce((a, b) => a * b, 1), n = to - from;
  const src = x.data as Float32Array | BigInt64Array;
  const idx = (i: number) => (Math.floor(i / (n * width)) * L + from) * width + (i % (n * width));
  if (x.dtype === 'int64') return i64(Array.from({ length: B * n * width }, (_, i) => src[idx(i)] as bigint), [B, n, ...x.dims.slice(2)]);
  return { dtype: 'float32', dims: [B, n, ...x.dims.slice(2)], data: Float32Array.from({ length: B * n * width }, (_, i) => src[idx(i)] as number) };
}

const TOTAL = 512, PREFIX = 256, B = 2;

describe('GatedMHESA: conv = step = prefill + step over 512 positions', () => {
  it.each([
    ['GatedExponentialSmoothingLM (public weights)', PUBLIC_DIR, 'gss_mhesa_lm'],
    ['GatedExponentialSmoothingLM, 3 blocks of 8 heads', OWN_DIR, 'gss_mhesa_lm_h8_d3'],
    ['GatedMHESA block', OWN_DIR, 'gss_mhesa_block'],
  ] as const)('%s', async (_label, dir, name) => {
    const c = variantCase(dir, name);
    const lm = c.input.dtype === 'int64';
    const V = c.dims[2]!;
    const x: Tensor = lm
      ? i64(Array.from({ length: B * TOTAL }, (_, i) => BigInt((i * 7919 + 13) % V)), [B, TOTAL])
      : randomTensor([B, TOTAL, c.input.dims[2]!], 11);
    const opts = { seqLen: null, opset: 17 } as const;
    const conv = compileModel(c.file, c.weights(), opts).model;
    const step = compileModel(c.file, c.weights(), { ...opts, mode: 'step' }).model;
    const prefill = compileModel(c.file, c.weights(), { ...opts, mode: 'prefill' }).model;
    // One state per block: each channel's smoothed value, complex [batch, dim_mhesa, 1], planar at the interface ([batch, dim_mhesa, 2, 1]).
    const specs = readStates(step);
    const depth = typeof c.file.args.depth === 'number' ? c.file.args.depth : 1;
    expect(specs.map((s) => s.input)).toEqual(depth > 1 || lm ? Array.from({ length: depth }, (_, i) => `state.layers.${i}`) : ['state.mhesa']);
    expect(specs.every((s) => s.shape.join() === `batch,${c.file.args.dim_mhesa},2,1`)).toBe(true);
    expect(readStates(prefill).map((s) => s.output)).toEqual(specs.map((s) => s.output));

    const full = (await runOnnx(modelToBytes(conv), new Map([['input', x]]))).get('output')!;
    const session = await createSession(modelToBytes(step));
    try {
      // From zero states over every position: each step's output is the conv output's at that position.
      const stepped = await runSteps(session, specs, TOTAL, (t) => at(x, t), zeroStates(specs, B));
      const worst = { err: 0, t: -1 };
      for (let t = 0; t < TOTAL; t++) {
        const cmp = compareToReference(stepped.outputs[t]!.data as Float32Array, at(full, t).data as Float32Array);
        if (!cmp.ok && worst.t < 0) worst.t = t;
        worst.err = Math.max(worst.err, cmp.maxAbs);
      }
      expect(worst.t, `step vs conv first fails at position ${worst.t} (max|Δ| ${worst.err})`).toBe(-1);

      // Prefill over the first half, then step through the second.
      const pre = await runOnnx(modelToBytes(prefill), new Map([['input', span(x, 0, PREFIX)]]));
      const cmpPre = compareToReference(pre.get('output')!.data as Float32Array, span(full, 0, PREFIX).data as Float32Array);
      expect(cmpPre.ok, describeComparison('prefill output vs conv prefix', cmpPre)).toBe(true);
      const initial = new Map(specs.map((s) => [s.input, pre.get(s.output)!]));
      const rest = await runSteps(session, specs, TOTAL - PREFIX, (t) => at(x, PREFIX + t), initial);
      for (let t = 0; t < TOTAL - PREFIX; t++) {
        const cmp = compareToReference(rest.outputs[t]!.data as Float32Array, at(full, PREFIX + t).data as Float32Array);
        expect(cmp.ok, describeComparison(`prefill + step at position ${PREFIX + t}`, cmp)).toBe(true);
      }
    } finally {
      await session.release();
    }
  }, 120_000);
});

describe('GatedMHESA: a head whose decay rounds to zero', () => {
  it('stays finite (λ = −softplus(a) − softplus(−d), never log 0) and step = conv = the float64 interpreter', async () => {
    const c = variantCase(OWN_DIR, 'gss_mhesa_block');
    const tensors = c.weights().tensors;
    // σ(60) = 1 and σ(−800) = 0 in float64: r = (1 − α)·σ(d) is exactly 0 for heads 0 and 1.
    const alphas = Float32Array.from(tensors.get('mhesa.alphas')!.data as Float32Array);
    const damp = Float32Array.from(tensors.get('mhesa.dampen_factors')!.data as Float32Array);
    alphas[0] = 60;
    damp[1] = -800;
    tensors.set('mhesa.alphas', { dtype: 'float32', dims: [alphas.length], data: alphas });
    tensors.set('mhesa.dampen_factors', { dtype: 'float32', dims: [damp.length], data: damp });
    const weights = { tensors, source: 'extreme' };
    const opts = { seqLen: null, opset: 17 } as const;
    const ref = evaluateModel(buildModel(c.file, weights, opts).model, { input: fromTensor(c.input) }).get('output')!;
    expect(Array.from(ref.data).every(Number.isFinite)).toBe(true);
    const y = (await runOnnx(modelToBytes(compileModel(c.file, weights, opts).model), new Map([['input', c.input]]))).get('output')!;
    const cmp = compareToReference(y.data as Float32Array, ref.data);
    expect(cmp.ok, describeComparison('conv vs float64 interpreter', cmp)).toBe(true);
    const step = compileModel(c.file, weights, { ...opts, mode: 'step' }).model;
    const specs = readStates(step);
    const session = await createSession(modelToBytes(step));
    try {
      const { outputs } = await runSteps(session, specs, 5, (t) => at(c.input, t), zeroStates(specs, 2));
      const cmpStep = compareToReference(outputs[4]!.data as Float32Array, at(y, 4).data as Float32Array);
      expect(cmpStep.ok, describeComparison('step vs conv at position 4', cmpStep)).toBe(true);
    } finally {
      await session.release();
    }
  });
});

describe('GatedMHESA: every long-convolution lowering serves the smoothing kernel', () => {
  const c = variantCase(PUBLIC_DIR, 'gss_mhesa_lm');
  const L = c.input.dims[1]!;
  it.each([
    ['dft', L, 'DFT', 4],
    ['fourstep', L, 'MatMul', 0],
    ['chunked', L, 'Scan', 2],
    ['chunked', null, 'Scan', 2],
    ['direct', L, 'Conv', 2],
  ] as const)('--lowering %s, length %s', async (lowering, seqLen, op, times) => {
    const { model, layers } = compileModel(c.file, c.weights(), { seqLen, opset: 17, lowering });
    expect(layers.map((l) => l.lowering)).toEqual([lowering, lowering]);
    if (op === 'MatMul') expect(count(model, 'DFT')).toBe(0);
    else expect(count(model, op)).toBe(times);
    const y = (await runOnnx(modelToBytes(model), new Map([['input', c.input]]))).get('output')!;
    const cmp = compareToReference(y.data as Float32Array, c.ref);
    expect(cmp.ok, describeComparison(`${lowering}`, cmp)).toBe(true);
  });

  it('--custom-ops keeps the step update as the DiagSSMStep op, with a body every runtime runs', async () => {
    const { model } = compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode: 'step', customOps: true });
    expect(count(model, 'ai.ssmc.DiagSSMStep')).toBe(2);
    const specs = readStates(model);
    const session = await createSession(modelToBytes(model));
    try {
      const { outputs } = await runSteps(session, specs, 3, (t) => at(c.input, t), zeroStates(specs, 2));
      const full = (await runOnnx(modelToBytes(compileModel(c.file, c.weights(), { seqLen: null, opset: 17 }).model), new Map([['input', c.input]]))).get('output')!;
      const cmp = compareToReference(outputs[2]!.data as Float32Array, at(full, 2).data as Float32Array);
      expect(cmp.ok, describeComparison('custom-op step at position 2', cmp)).toBe(true);
    } finally {
      await session.release();
    }
  });
});

describe('GatedDsConv: the input-dependent convolution in both forms', () => {
  it.each([
    ['Toeplitz (--lowering direct), dynamic length', 'gss_dsconv_lm', 'direct', null, 0],
    ['DFT (--lowering dft), fixed length', 'gss_dsconv_lm', 'dft', 'L', 6],
    ['Toeplitz at 1100 positions (--lowering direct)', 'gss_dsconv_lm_long', 'direct', 'L', 0],
    ['DFT, reversed block, fixed length', 'gss_dsconv_block_reverse', 'dft', 'L', 3],
  ] as const)('%s', async (_label, name, lowering, len, dfts) => {
    const c = variantCase(name === 'gss_dsconv_lm' ? PUBLIC_DIR : OWN_DIR, name);
    const seqLen = len === 'L' ? c.input.dims[1]! : null;
    const { model } = compileModel(c.file, c.weights(), { seqLen, opset: 17, lowering });
    expect(count(model, 'DFT')).toBe(dfts);
    if (lowering === 'direct') expect(count(model, 'Gather')).toBeGreaterThanOrEqual(typeof c.file.args.depth === 'number' ? c.file.args.depth : 1);
    const y = (await runOnnx(modelToBytes(model), new Map([['input', c.input]]))).get('output')!;
    const cmp = compareToReference(y.data as Float32Array, c.ref);
    expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
  });
});

describe('GatedDsConv: what is refused, with the reason', () => {
  const c = variantCase(PUBLIC_DIR, 'gss_dsconv_lm');
  it.each(['step', 'prefill'] as const)('--mode %s: no recurrence, the state would grow with the sequence', (mode) => {
    expect(() => compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode })).toThrow(UserError);
    expect(() => compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode })).toThrow(/--mode .*GatedDsConv has no recurrence: its kernel is computed from the input itself.*grows with the sequence; use --mode conv/);
  });
  it('a fixed length beyond max_seq_len, as the official forward asserts', () => {
    expect(() => compileModel(c.file, c.weights(), { seqLen: 513, opset: 17 })).toThrow(/--seq-len 513 is longer than max_seq_len 512.*compile with --seq-len 512 or less/);
  });
  it.each(['fourstep', 'chunked'])('--lowering %s: the kernel exists only at run time', (lowering) => {
    expect(() => compileModel(c.file, c.weights(), { seqLen: 64, opset: 17, lowering })).toThrow(new RegExp(`--lowering ${lowering} cannot lower GatedDsConv's input-dependent convolution.*use --lowering auto, direct \\(Toeplitz MatMul\\) or dft`));
  });
  it.each([
    ['gss-dsconv-lm', { num_tokens: 8, dim: 8, depth: 1, heads: 3, dim_dsconv: 8 }, /"dim_dsconv" \(8\) must be divisible by "heads" \(3\)/],
    ['gss-mhesa-lm', { num_tokens: 8, dim: 8, depth: 1, heads: 3, dim_mhesa: 16 }, /"dim_mhesa" \(16\) must be divisible by "heads" \(3\)/],
    ['gss-mhesa', { dim: 8, heads: 2, dim_mhesa: 8, reverse_seq: true }, /unknown argument "reverse_seq" for arch 'gss-mhesa'/],
  ] as const)('%s with %j', (arch, args, message) => {
    expect(() => compileModel({ arch, args }, null, { seqLen: null, opset: 17 })).toThrow(message);
  });
});

describe('fresh models (official init) compile in every mode they have', () => {
  it.each([
    ['gss-mhesa', { dim: 8, heads: 2, dim_mhesa: 8 }, ['conv', 'step', 'prefill']],
    ['gss-mhesa-lm', { num_tokens: 16, dim: 8, depth: 2, heads: 2, dim_mhesa: 8 }, ['conv', 'step', 'prefill']],
    ['gss-dsconv', { dim: 8, heads: 2, dim_dsconv: 8 }, ['conv']],
    ['gss-dsconv-lm', { num_tokens: 16, dim: 8, depth: 2, heads: 2, dim_dsconv: 8 }, ['conv']],
  ] as const)('%s', async (arch, args, modes) => {
    for (const mode of modes) {
      const { model } = compileModel({ arch, args }, null, { seqLen: null, opset: 17, mode });
      const lm = arch.endsWith('-lm');
      const x: Tensor = mode === 'step'
        ? (lm ? i64([1, 2], [2]) : randomTensor([2, 8], 1))
        : (lm ? i64(Array.from({ length: 20 }, (_, i) => i % 16), [2, 10]) : randomTensor([2, 10, 8], 1));
      const feeds = new Map([['input', x], ...(mode === 'step' ? zeroStates(readStates(model), 2) : [])]);
      const y = (await runOnnx(modelToBytes(model), feeds)).get('output')!;
      expect((y.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });
});
