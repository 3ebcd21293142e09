import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, describeComparison, modelToBytes, UserError } from 'ssmc';
import { evaluateModel, f32, fromTensor, i64, type Tensor } from 'ssmc/ir';
import { runOnnx } from 'ssmc/runtime';
import { goldenCase, goldenWeights } from '../helpers/golden.js';
import { causalConv, cdiv, cexp, cmul, cscale, csub, flipL, gelu, layerNormRows, linearRows, TestRng, type Cx } from './oracle-f64.js';

/*
 * The golden cases (test/golden) cover the default GSS layer and a 2-layer LM. Here reverse_seq,
 * dss_kernel_lambda_imag_exp = false, a fractional expansion factor and a deeper LM are checked
 * against a float64 re-implementation of ssm-math.md §4.2-4.3 written with plain numbers.
 */

interface GssCfg {
  dim: number;
  dim_expansion_factor?: number;
  dss_kernel_N: number;
  dss_kernel_H: number;
  reverse_seq?: boolean;
  dss_kernel_lambda_imag_exp?: boolean;
}

const dimsOf = (cfg: GssCfg) => ({ E: cfg.dim, F: Math.floor(cfg.dim * (cfg.dim_expansion_factor ?? 4)), H: cfg.dss_kernel_H, N: cfg.dss_kernel_N });

/** Random weights of one GSS layer under `prefix`, with their shapes. */
function layerWeights(cfg: GssCfg, prefix: string, r: TestRng): [string, Float32Array, number[]][] {
  const { E, F, H, N } = dimsOf(cfg);
  const u = (fanIn: number) => () => r.range(-1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
  const n = () => r.normal();
  const t = (name: string, shape: number[], f: () => number): [string, Float32Array, number[]] =>
    [`${prefix}${name}`, r.f32(shape.reduce((a, b) => a * b, 1), f), shape];
  return [
    t('norm.weight', [E], () => r.range(0.5, 1.5)), t('norm.bias', [E], () => r.range(-0.2, 0.2)),
    t('to_u.0.weight', [F, E], u(E)), t('to_v.0.weight', [H, E], u(E)),
    t('dss.norm.weight', [H], () => r.range(0.5, 1.5)), t('dss.norm.bias', [H], () => r.range(-0.2, 0.2)),
    t('dss.Lambda_real', [N], n), t('dss.Lambda_imag', [N], n),
    t('dss.C_real', [H, N], n), t('dss.C_imag', [H, N], n), t('dss.param_D', [H], n),
    t('to_gate.weight', [F, H], u(H)), t('to_out.weight', [E, F], u(F)), t('to_out.bias', [E], u(F)),
  ];
}

/** One GSS layer (§4.3) on x [B,L,E]. */
function oracleLayer(cfg: GssCfg, w: Map<string, Float32Array>, prefix: string, x0: Float64Array, B: number, L: number): Float64Array {
  const { E, F, H, N } = dimsOf(cfg);
  const p = (name: string) => w.get(`${prefix}${name}`)!;
  const x = cfg.reverse_seq ? flipL(x0, B, L, E) : x0;
  const xn = layerNormRows(x, E, p('norm.weight'), p('norm.bias'));
  const a = linearRows(xn, E, p('to_u.0.weight'), F).map(gelu);
  const s = linearRows(xn, E, p('to_v.0.weight'), H).map(gelu);
  // DSS (§4.2): ũ = LN(s); K[h,l] = Re Σ_n C·(e^Λ − 1)/Λ · e^{Λl}; y = K * ũ + D ⊙ ũ.
  const ut = layerNormRows(s, H, p('dss.norm.weight'), p('dss.norm.bias'));
  const imagExp = cfg.dss_kernel_lambda_imag_exp ?? true;
  const lam: Cx[] = Array.from({ length: N }, (_, n) => [-Math.exp(p('dss.Lambda_real')[n]!), imagExp ? Math.exp(p('dss.Lambda_imag')[n]!) : p('dss.Lambda_imag')[n]!]);
  const y = new Float64Array(B * L * H);
  for (let h = 0; h < H; h++) {
    const k = new Float64Array(L);
    for (let n = 0; n < N; n++) {
      const c = cmul([p('dss.C_real')[h * N + n]!, p('dss.C_imag')[h * N + n]!], cdiv(csub(cexp(lam[n]!), [1, 0]), lam[n]!));
      for (let l = 0; l < L; l++) k[l] += cmul(c, cexp(cscale(lam[n]!, l)))[0];
    }
    for (let b = 0; b < B; b++) {
      const us = Float64Array.from({ length: L }, (_, l) => ut[(b * L + l) * H + h]!);
      const conv = causalConv(us, k);
      for (let l = 0; l < L; l++) y[(b * L + l) * H + h] = conv[l]! + p('dss.param_D')[h]! * us[l]!;
    }
  }
  const uc = linearRows(y, H, p('to_gate.weight'), F);
  const out = linearRows(uc.map((v, i) => v * a[i]!), F, p('to_out.weight'), E, p('to_out.bias')).map((v, i) => v + x[i]!);
  return cfg.reverse_seq ? flipL(out, B, L, E) : out;
}

const B = 2;

function randomInput(B: number, L: number, E: number, seed: number): Tensor {
  const r = new TestRng(seed);
  return f32(r.f32(B * L * E, () => r.normal()), [B, L, E]);
}

const LAYER_CASES: [string, GssCfg][] = [
  ['reverse_seq', { dim: 8, dss_kernel_N: 12, dss_kernel_H: 4, reverse_seq: true }],
  ['dss_kernel_lambda_imag_exp false', { dim: 6, dss_kernel_N: 10, dss_kernel_H: 3, dss_kernel_lambda_imag_exp: false }],
  ['dim_expansion_factor 2.5 (F = int(E·2.5)), reversed, Im Λ raw', { dim: 6, dim_expansion_factor: 2.5, dss_kernel_N: 8, dss_kernel_H: 5, reverse_seq: true, dss_kernel_lambda_imag_exp: false }],
];

describe.each(LAYER_CASES)('GSS layer, %s', (_label, cfg) => {
  const r = new TestRng(cfg.dim * 31 + cfg.dss_kernel_N);
  const entries = layerWeights(cfg, '', r);
  const w = new Map(entries.map(([k, v]) => [k, v]));
  const weights = () => ({ tensors: new Map(entries.map(([k, v, s]) => [k, f32(v, s)])), source: 'random.safetensors' });
  const file = { arch: 'gss', args: cfg as unknown as Record<string, unknown> };
  const ref = (x: Tensor, L: number) => oracleLayer(cfg, w, '', Float64Array.from(x.data as Float32Array), B, L);

  it('the float64 reference interpreter matches the float64 oracle', () => {
    const { model } = buildModel(file, weights(), { seqLen: null, opset: 17 });
    for (const L of [19, 6]) {
      const x = randomInput(B, L, cfg.dim, L);
      const out = evaluateModel(model, { input: fromTensor(x) }).get('output')!;
      expect(out.dims).toEqual(x.dims);
      const cmp = compareToReference(out.data, ref(x, L), 1e-7);
      expect(cmp.ok, describeComparison(`L=${L}`, cmp)).toBe(true);
    }
  });

  it('onnxruntime: dynamic length (two lengths) and fixed length', async () => {
    const dyn = modelToBytes(compileModel(file, weights(), { seqLen: null, opset: 17 }).model);
    for (const L of [27, 10]) {
      const x = randomInput(B, L, cfg.dim, 50 + L);
      const y = (await runOnnx(dyn, new Map([['input', x]]))).get('output')!;
      const cmp = compareToReference(y.data as Float32Array, ref(x, L));
      expect(cmp.ok, describeComparison(`dynamic, L=${L}`, cmp)).toBe(true);
    }
    const x = randomInput(B, 32, cfg.dim, 3);
    const fixed = modelToBytes(compileModel(file, weights(), { seqLen: 32, opset: 17 }).model);
    const y = (await runOnnx(fixed, new Map([['input', x]]))).get('output')!;
    expect(y.dims).toEqual([B, 32, cfg.dim]);
    const cmp = compareToReference(y.data as Float32Array, ref(x, 32));
    expect(cmp.ok, describeComparison('fixed L=32', cmp)).toBe(true);
  });
});

describe('GatedStateSpacesLM, 3 layers', () => {
  const cfg = { num_tokens: 20, dim: 8, depth: 3, dim_expansion_factor: 2, dss_kernel_N: 6, dss_kernel_H: 4 };
  const layer: GssCfg = { dim: 8, dim_expansion_factor: 2, dss_kernel_N: 6, dss_kernel_H: 4 };
  const r = new TestRng(99);
  const entries: [string, Float32Array, number[]][] = [
    ['token_emb.weight', r.f32(20 * 8, () => r.normal()), [20, 8]],
    ...[0, 1, 2].flatMap((i) => layerWeights(layer, `layers.${i}.`, r)),
    ['to_logits.weight', r.f32(20 * 8, () => r.range(-0.35, 0.35)), [20, 8]],
  ];
  const w = new Map(entries.map(([k, v]) => [k, v]));
  const weights = () => ({ tensors: new Map(entries.map(([k, v, s]) => [k, f32(v, s)])), source: 'random.safetensors' });
  const file = { arch: 'gss-lm', args: cfg };
  const tokens = (L: number, seed: number) => {
    const t = new TestRng(seed);
    return i64(Array.from({ length: B * L }, () => Math.floor(t.uniform() * 20)), [B, L]);
  };
  const ref = (ids: Tensor, L: number) => {
    const emb = w.get('token_emb.weight')!;
    let x: Float64Array = new Float64Array(B * L * 8);
    Array.from(ids.data as BigInt64Array, Number).forEach((id, i) => x.set(emb.subarray(id * 8, id * 8 + 8), i * 8));
    for (let i = 0; i < 3; i++) x = oracleLayer(layer, w, `layers.${i}.`, x, B, L);
    return linearRows(x, 8, w.get('to_logits.weight')!, 20);
  };

  it('reference interpreter and onnxruntime (dynamic length) match the float64 oracle', async () => {
    const { model } = buildModel(file, weights(), { seqLen: null, opset: 17 });
    const x = tokens(17, 1);
    const out = evaluateModel(model, { input: fromTensor(x) }).get('output')!;
    expect(out.dims).toEqual([B, 17, 20]);
    const cmp = compareToReference(out.data, ref(x, 17), 1e-7);
    expect(cmp.ok, describeComparison('interpreter', cmp)).toBe(true);
    const bytes = modelToBytes(compileModel(file, weights(), { seqLen: null, opset: 17 }).model);
    for (const L of [17, 40]) {
      const ids = tokens(L, L);
      const y = (await runOnnx(bytes, new Map([['input', ids]]))).get('output')!;
      const c = compareToReference(y.data as Float32Array, ref(ids, L));
      expect(c.ok, describeComparison(`onnxruntime L=${L}`, c)).toBe(true);
    }
  });
});

describe('GSS bad input', () => {
  const compile = (arch: string, args: Record<string, unknown>, weightsOf: string) =>
    compileModel({ arch, args }, { tensors: goldenWeights(goldenCase(weightsOf)), source: `${weightsOf}.weights.safetensors` }, { seqLen: 16, opset: 17 });

  it('a DSS checkpoint given for the GSS layer names the missing tensors', () => {
    expect(() => compile('gss', { dim: 4, dss_kernel_N: 16, dss_kernel_H: 4 }, 'dss_exp')).toThrow(UserError);
    expect(() => compile('gss', { dim: 4, dss_kernel_N: 16, dss_kernel_H: 4 }, 'dss_exp')).toThrow(/missing tensors 'norm.weight'.*other tensors \(D, kernel/s);
  });
  it('the GSS LM checkpoint given for one GSS layer: the layers.0. prefix is pointed out', () => {
    expect(() => compile('gss', { dim: 8, dss_kernel_N: 16, dss_kernel_H: 4 }, 'gss_lm')).toThrow(/missing tensors.*layers\.0\.dss\.C_imag.*saved with a prefix/s);
  });
  it('dss_kernel_N that does not match the checkpoint names the shape', () => {
    expect(() => compile('gss', { dim: 8, dss_kernel_N: 32, dss_kernel_H: 4 }, 'gss_layer')).toThrow(/'dss.Lambda_real' has shape \[16\].*needs \[32\]/);
  });
  it('the LM needs num_tokens and depth', () => {
    expect(() => compileModel({ arch: 'gss-lm', args: { dim: 8 } }, null, { seqLen: 16, opset: 17 })).toThrow(/"num_tokens".*required/);
  });
});
