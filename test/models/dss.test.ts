import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, describeComparison, initialWeights, modelToBytes, UserError } from 'ssmc';
import { evaluateModel, f32, fromTensor, type Tensor } from 'ssmc/ir';
import { runOnnx } from 'ssmc/runtime';
import { goldenCase, goldenWeights } from '../helpers/golden.js';
import {
  antiCausalConv, cabs2, cadd, causalConv, cconj, cdiv, cexp, cmul, cscale, csub, gelu, sigmoid, swapLast, TestRng, type Cx,
} from './oracle-f64.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/*
 * The golden cases (test/golden) cover DSS 'exp' and 'softmax' with one channel, GELU and the
 * transposed layout. Here every other option is checked against a float64 re-implementation of
 * ssm-math.md §3.1-3.2 written with plain numbers (oracle-f64.ts), through the float64 reference
 * interpreter (tight bound) and through onnxruntime after lowering (the project's 1e-4 bound).
 */

interface DssCfg {
  d_model: number;
  d_state: number;
  channels?: number;
  bidirectional?: boolean;
  activation?: string | null;
  postact?: string | null;
  transposed?: boolean;
  max_kernel_length?: number | null;
  version?: string;
  sep_dt_re_im?: boolean;
  epsilon?: number;
  max_real_Lambda?: number;
}

const VERSION_DEFAULT = 'softmax';

/** Random official-layout weights for a config; `positiveRe` gives some modes Re Λ > 0. */
function makeWeights(cfg: DssCfg, seed: number, positiveRe: boolean): Map<string, Float32Array> {
  const r = new TestRng(seed);
  const H = cfg.d_model, N = cfg.d_state, C = cfg.channels ?? 1;
  const Ck = C * (cfg.bidirectional ? 2 : 1);
  const dOut = cfg.postact === 'glu' ? 2 * H : H;
  const version = cfg.version ?? VERSION_DEFAULT;
  const w = new Map<string, Float32Array>();
  w.set('D', r.f32(C * H, () => r.normal()));
  w.set('kernel.log_dt', r.f32(cfg.sep_dt_re_im === false ? H : 2 * H, () => r.range(Math.log(1e-3), Math.log(0.5))));
  const re = Array.from({ length: N }, (_, n) => (positiveRe && n % 3 === 0 ? r.range(0.05, 0.6) : -r.range(0.05, 1)));
  const im = Array.from({ length: N }, () => r.range(0.1, 12));
  if (version === 'softmax' || version.startsWith('clip')) w.set('kernel.Lambda', Float32Array.from(re.flatMap((x, n) => [x, im[n]!])));
  else {
    w.set('kernel.Lambda_log_neg_re', Float32Array.from(re, (x) => Math.log(Math.abs(x))));
    if (version === 'exp-re-im') w.set('kernel.Lambda_log_im', Float32Array.from(im, Math.log));
    else w.set('kernel.Lambda_im', Float32Array.from(im));
  }
  w.set('kernel.W', r.f32(Ck * H * N * 2, () => r.normal()));
  const lin = cfg.postact === 'glu' ? 'output_linear.0' : 'output_linear';
  const bound = 1 / Math.sqrt(H * C);
  w.set(`${lin}.weight`, r.f32(dOut * H * C, () => r.range(-bound, bound)));
  w.set(`${lin}.bias`, r.f32(dOut, () => r.range(-bound, bound)));
  return w;
}

function toTensors(cfg: DssCfg, w: Map<string, Float32Array>): Map<string, Tensor> {
  const H = cfg.d_model, N = cfg.d_state, C = cfg.channels ?? 1;
  const Ck = C * (cfg.bidirectional ? 2 : 1);
  const dOut = cfg.postact === 'glu' ? 2 * H : H;
  const lin = cfg.postact === 'glu' ? 'output_linear.0' : 'output_linear';
  const shapes: Record<string, number[]> = {
    D: [C, H],
    'kernel.log_dt': cfg.sep_dt_re_im === false ? [H] : [H, 2],
    'kernel.Lambda': [N, 2],
    'kernel.Lambda_log_neg_re': [N],
    'kernel.Lambda_log_im': [N],
    'kernel.Lambda_im': [N],
    'kernel.W': [Ck, H, N, 2],
    [`${lin}.weight`]: [dOut, H * C],
    [`${lin}.bias`]: cfg.transposed === false ? [dOut] : [dOut, 1],
  };
  return new Map([...w].map(([k, v]) => [k, f32(v, shapes[k]!)]));
}

/** The DSS kernel K [Ck][H][Lk] (§3.1); `definition` evaluates softmax by its definition with exact 1/Λ. */
function oracleKernel(cfg: DssCfg, w: Map<string, Float32Array>, Lk: number, definition = false): Float64Array[][] {
  const H = cfg.d_model, N = cfg.d_state, C = cfg.channels ?? 1;
  const Ck = C * (cfg.bidirectional ? 2 : 1);
  const version = cfg.version ?? VERSION_DEFAULT;
  const eps = cfg.epsilon ?? 1e-7;
  const lam: Cx[] = [];
  for (let n = 0; n < N; n++) {
    if (version === 'softmax' || version.startsWith('clip')) {
      const raw = w.get('kernel.Lambda')!;
      const re = version === 'softmax' ? raw[2 * n]! : Math.min(raw[2 * n]!, cfg.max_real_Lambda ?? 1e-4);
      lam.push([re, raw[2 * n + 1]!]);
    } else {
      const im = version === 'exp-re-im' ? Math.exp(w.get('kernel.Lambda_log_im')![n]!) : w.get('kernel.Lambda_im')![n]!;
      lam.push([-Math.exp(w.get('kernel.Lambda_log_neg_re')![n]!), im]);
    }
  }
  const logDt = w.get('kernel.log_dt')!;
  const dLam = (h: number, n: number): Cx =>
    cfg.sep_dt_re_im === false
      ? cscale(lam[n]!, Math.exp(logDt[h]!))
      : [Math.exp(logDt[2 * h]!) * lam[n]![0], Math.exp(logDt[2 * h + 1]!) * lam[n]![1]];
  const W = w.get('kernel.W')!;
  const K: Float64Array[][] = [];
  for (let c = 0; c < Ck; c++) {
    K.push([]);
    for (let h = 0; h < H; h++) {
      const k = new Float64Array(Lk);
      for (let n = 0; n < N; n++) {
        const i = ((c * H + h) * N + n) * 2;
        const Wc: Cx = [W[i]!, W[i + 1]!];
        const dl = dLam(h, n);
        if (version === 'softmax' && definition) {
          // W/Λ · softmax_l(ΔΛ·l), the sum over l taken directly.
          let z: Cx = [0, 0];
          for (let l = 0; l < Lk; l++) z = cadd(z, cexp(cscale(dl, l)));
          const coef = cdiv(Wc, cmul(lam[n]!, z));
          for (let l = 0; l < Lk; l++) k[l] += cmul(coef, cexp(cscale(dl, l)))[0];
        } else if (version === 'softmax') {
          const g = lam[n]![0] > 0 ? 1 : 0;
          const dNeg = cscale(dl, 1 - 2 * g);
          const x = cmul(csub(cexp(cscale(dNeg, Lk)), [1, 0]), lam[n]!);
          const recip = cscale(cconj(x), 1 / (cabs2(x) + eps));
          const coef = cmul(Wc, cmul(csub(cexp(dNeg), [1, 0]), recip));
          for (let l = 0; l < Lk; l++) k[l] += cmul(coef, cexp(csub(cscale(dl, l), cscale(dl, g * (Lk - 1)))))[0];
        } else {
          const coef = version.endsWith('no-scale') ? Wc : cmul(Wc, cdiv(csub(cexp(dl), [1, 0]), lam[n]!));
          for (let l = 0; l < Lk; l++) k[l] += cmul(coef, cexp(cscale(dl, l)))[0];
        }
      }
      K[c]!.push(k);
    }
  }
  return K;
}

const ACT: Record<string, (x: number) => number> = { gelu, tanh: Math.tanh, id: (x) => x };

/** The DSS layer (§3.2) on x in the module's layout. */
function oracleDss(cfg: DssCfg, w: Map<string, Float32Array>, x: Float32Array, B: number, L: number, definition = false): Float64Array {
  const H = cfg.d_model, C = cfg.channels ?? 1;
  const transposed = cfg.transposed !== false;
  const u = transposed ? Float64Array.from(x) : swapLast(x, B, L, H); // [B,H,L]
  const Lk = cfg.max_kernel_length ? Math.min(L, cfg.max_kernel_length) : L;
  const K = oracleKernel(cfg, w, Lk, definition);
  const D = w.get('D')!;
  const act = ACT[cfg.activation === undefined ? 'gelu' : (cfg.activation ?? 'id')]!;
  const z = new Float64Array(B * C * H * L); // [B, (c h), L]
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        const us = u.subarray((b * H + h) * L, (b * H + h + 1) * L);
        const y = causalConv(us, K[c]![h]!);
        const yr = cfg.bidirectional ? antiCausalConv(us, K[C + c]![h]!) : null;
        for (let t = 0; t < L; t++) z[(b * C * H + c * H + h) * L + t] = act(y[t]! + (yr ? yr[t]! : 0) + D[c * H + h]! * us[t]!);
      }
    }
  }
  const glu = cfg.postact === 'glu';
  const dOut = glu ? 2 * H : H;
  const lin = glu ? 'output_linear.0' : 'output_linear';
  const Wo = w.get(`${lin}.weight`)!, bo = w.get(`${lin}.bias`)!;
  const out = new Float64Array(B * H * L); // [B,H,L]
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < L; t++) {
      const v = new Float64Array(dOut);
      for (let o = 0; o < dOut; o++) {
        let s = bo[o]!;
        for (let j = 0; j < C * H; j++) s += Wo[o * C * H + j]! * z[(b * C * H + j) * L + t]!;
        v[o] = s;
      }
      for (let o = 0; o < H; o++) out[(b * H + o) * L + t] = glu ? v[o]! * sigmoid(v[H + o]!) : v[o]!;
    }
  }
  return transposed ? out : swapLast(out, B, H, L);
}

function input(cfg: DssCfg, B: number, L: number, seed: number): Tensor {
  const r = new TestRng(seed);
  const dims = cfg.transposed === false ? [B, L, cfg.d_model] : [B, cfg.d_model, L];
  return f32(r.f32(B * L * cfg.d_model, () => r.normal()), dims);
}

const CASES: [string, DssCfg, boolean][] = [
  ['exp-re-im, 2 channels, (B,L,H) layout', { d_model: 3, d_state: 6, channels: 2, version: 'exp-re-im', transposed: false }, false],
  ['exp-no-scale, bidirectional, GLU', { d_model: 4, d_state: 5, version: 'exp-no-scale', bidirectional: true, postact: 'glu' }, false],
  ['exp, one Δ per feature (sep_dt_re_im false), tanh', { d_model: 3, d_state: 4, version: 'exp', sep_dt_re_im: false, activation: 'tanh' }, false],
  ['clip with Re Λ > 0 clipped, max_kernel_length 9', { d_model: 3, d_state: 6, version: 'clip', max_kernel_length: 9, max_real_Lambda: 0.02 }, true],
  ['clip-no-scale, 2 channels, bidirectional, no activation', { d_model: 2, d_state: 4, version: 'clip-no-scale', channels: 2, bidirectional: true, activation: null }, true],
  ['softmax with Re Λ > 0 modes, 2 channels, bidirectional', { d_model: 3, d_state: 6, channels: 2, bidirectional: true }, true],
  ['softmax, max_kernel_length 11, GLU, (B,L,H) layout', { d_model: 4, d_state: 5, max_kernel_length: 11, postact: 'glu', transposed: false }, true],
];

const B = 2;

describe.each(CASES)('DSS %s', (_label, cfg, positiveRe) => {
  const w = makeWeights(cfg, 7 + cfg.d_model * 13 + cfg.d_state, positiveRe);
  const weights = () => ({ tensors: toTensors(cfg, w), source: 'random.safetensors' });
  const file = { arch: 'dss', args: cfg as unknown as Record<string, unknown> };

  it('the float64 reference interpreter matches the float64 oracle', () => {
    const { model } = buildModel(file, weights(), { seqLen: null, opset: 17 });
    for (const L of [20, 7]) {
      const x = input(cfg, B, L, L);
      const ref = oracleDss(cfg, w, x.data as Float32Array, B, L);
      const out = evaluateModel(model, { input: fromTensor(x) }).get('output')!;
      expect(out.dims).toEqual(x.dims);
      const cmp = compareToReference(out.data, ref, TOL.F32_ROUNDED);
      expect(cmp.ok, describeComparison(`L=${L}`, cmp)).toBe(true);
    }
  });

  it('onnxruntime: dynamic length (two lengths) and fixed length', async () => {
    const dyn = modelToBytes(compileModel(file, weights(), { seqLen: null, opset: 17 }).model);
    for (const L of [24, 13]) {
      const x = input(cfg, B, L, 100 + L);
      const y = (await runOnnx(dyn, new Map([['input', x]]))).get('output')!;
      const cmp = compareToReference(y.data as Float32Array, oracleDss(cfg, w, x.data as Float32Array, B, L));
      expect(cmp.ok, describeComparison(`dynamic, L=${L}`, cmp)).toBe(true);
    }
    const x = input(cfg, B, 32, 5);
    const fixed = modelToBytes(compileModel(file, weights(), { seqLen: 32, opset: 17 }).model);
    const y = (await runOnnx(fixed, new Map([['input', x]]))).get('output')!;
    expect(y.dims).toEqual(x.dims);
    const cmp = compareToReference(y.data as Float32Array, oracleDss(cfg, w, x.data as Float32Array, B, 32));
    expect(cmp.ok, describeComparison('fixed L=32', cmp)).toBe(true);
  });
});

describe('DSS softmax kernel', () => {
  it('with epsilon 0 the closed form (max-shift for Re Λ > 0) equals W/Λ · softmax_l(ΔΛ·l)', () => {
    const cfg: DssCfg = { d_model: 3, d_state: 6, epsilon: 0, channels: 2 };
    const w = makeWeights(cfg, 3, true);
    const { model } = buildModel({ arch: 'dss', args: cfg as unknown as Record<string, unknown> }, { tensors: toTensors(cfg, w), source: 'w' }, { seqLen: null, opset: 17 });
    for (const L of [16, 5]) {
      const x = input(cfg, B, L, 9);
      const out = evaluateModel(model, { input: fromTensor(x) }).get('output')!;
      const cmp = compareToReference(out.data, oracleDss(cfg, w, x.data as Float32Array, B, L, true), 1e-7);
      expect(cmp.ok, describeComparison(`L=${L}`, cmp)).toBe(true);
    }
  });

  it('does not overflow for long inputs with Re ΔΛ > 0 (onnxruntime, float32)', async () => {
    // e^{ΔΛ·l} alone would overflow float32 here: Re ΔΛ·(L−1) ≈ 0.6·0.5·1023 ≫ 88.
    const cfg: DssCfg = { d_model: 2, d_state: 3 };
    const w = makeWeights(cfg, 11, true);
    w.set('kernel.log_dt', Float32Array.from([Math.log(0.5), Math.log(0.5), Math.log(0.3), Math.log(0.3)]));
    w.set('kernel.Lambda', Float32Array.from([0.6, 0.2, -0.4, 0.4, 0.3, 0.1]));
    const file = { arch: 'dss', args: cfg as unknown as Record<string, unknown> };
    const bytes = modelToBytes(compileModel(file, { tensors: toTensors(cfg, w), source: 'w' }, { seqLen: null, opset: 17 }).model);
    const L = 1024;
    const x = input(cfg, 1, L, 4);
    const y = (await runOnnx(bytes, new Map([['input', x]]))).get('output')!.data as Float32Array;
    expect(y.every(Number.isFinite)).toBe(true);
    const cmp = compareToReference(y, oracleDss(cfg, w, x.data as Float32Array, 1, L));
    expect(cmp.ok, describeComparison('L=1024', cmp)).toBe(true);
  });
});

describe('DSS initialisation', () => {
  const init = (args: Record<string, unknown>) => initialWeights({ arch: 'dss', args });

  it("'hippo_skew_pos_imag' for N = 1 is −0.5 + i·√3/2", () => {
    const lam = init({ d_model: 2, d_state: 1 }).get('kernel.Lambda')!.data as Float32Array;
    expect(lam[0]).toBeCloseTo(-0.5, TOL.F32_DIGITS);
    expect(lam[1]).toBeCloseTo(Math.sqrt(3) / 2, TOL.F32_DIGITS);
  });

  it("'hippo_skew_pos_imag': the N positive frequencies of the skew HiPPO-LegS part, descending", () => {
    const N = 12, M = 2 * N;
    const lam = init({ d_model: 2, d_state: N }).get('kernel.Lambda')!.data as Float32Array;
    const re = Array.from({ length: N }, (_, n) => lam[2 * n]!), im = Array.from({ length: N }, (_, n) => lam[2 * n + 1]!);
    expect(re.every((x) => x === -0.5)).toBe(true);
    for (let n = 1; n < N; n++) expect(im[n]!).toBeLessThan(im[n - 1]!);
    expect(im[N - 1]!).toBeGreaterThan(0);
    // The spectrum of S is {±iω}: Σω² = ‖S‖²_F / 2 and Σω⁴ = tr(S⁴) / 2, from S itself.
    const S = (i: number, j: number) => (i > j ? 1 : i < j ? -1 : 0) * Math.sqrt((2 * i + 1) * (2 * j + 1)) / 2;
    let fro = 0;
    for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) fro += S(i, j) ** 2;
    const S2 = Array.from({ length: M }, (_, i) => Array.from({ length: M }, (_, j) => {
      let s = 0;
      for (let k = 0; k < M; k++) s += S(i, k) * S(k, j);
      return s;
    }));
    let tr4 = 0;
    for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) tr4 += S2[i]![j]! * S2[j]![i]!;
    const sum2 = im.reduce((a, x) => a + x * x, 0), sum4 = im.reduce((a, x) => a + x ** 4, 0);
    expect(Math.abs(sum2 - fro / 2) / (fro / 2)).toBeLessThan(TOL.F32_CONSTANTS);
    expect(Math.abs(sum4 - tr4 / 2) / (tr4 / 2)).toBeLessThan(TOL.F32_CONSTANTS);
  });

  it('log_dt columns are equal and inside [log dt_min, log dt_max]; exp versions store log(−Re Λ0)', () => {
    const t = init({ d_model: 5, d_state: 4, version: 'exp-re-im', dt_min: 0.01, dt_max: 0.02 });
    const ldt = t.get('kernel.log_dt')!.data as Float32Array;
    for (let h = 0; h < 5; h++) {
      expect(ldt[2 * h]).toBe(ldt[2 * h + 1]);
      expect(ldt[2 * h]!).toBeGreaterThanOrEqual(Math.fround(Math.log(0.01)));
      expect(ldt[2 * h]!).toBeLessThanOrEqual(Math.fround(Math.log(0.02)));
    }
    expect(Array.from(t.get('kernel.Lambda_log_neg_re')!.data as Float32Array)).toEqual(Array(4).fill(Math.fround(Math.log(0.5))));
    expect(t.get('kernel.W')!.dims).toEqual([1, 5, 4, 2]);
  });

  it('a fresh default model (softmax, hippo init) gives finite outputs', () => {
    const { model } = buildModel({ arch: 'dss', args: { d_model: 3, d_state: 8 } }, null, { seqLen: null, opset: 17 });
    const x = input({ d_model: 3, d_state: 8 }, 1, 10, 1);
    const out = evaluateModel(model, { input: fromTensor(x) }).get('output')!;
    expect(out.data.every(Number.isFinite)).toBe(true);
  });
});

describe('DSS bad input', () => {
  const compile = (args: Record<string, unknown>, weightsOf?: string) =>
    compileModel({ arch: 'dss', args }, weightsOf ? { tensors: goldenWeights(goldenCase(weightsOf)), source: `${weightsOf}.weights.safetensors` } : null, { seqLen: 16, opset: 17 });

  it('an unknown version names the argument and the allowed values', () => {
    expect(() => compile({ d_model: 4, version: 'fast' })).toThrow(UserError);
    expect(() => compile({ d_model: 4, version: 'fast' })).toThrow(/"version".*"softmax", "exp", "exp-re-im", "exp-no-scale", "clip", "clip-no-scale"/);
  });
  it('hyper_act is refused', () => {
    expect(() => compile({ d_model: 4, hyper_act: 'sigmoid' })).toThrow(/"hyper_act" "sigmoid" \(hypernetwork gating\) is not supported.*null/);
  });
  it('training-only arguments are accepted and ignored', () => {
    expect(() => compile({ d_model: 4, d_state: 4, dropout: 0.1, lr: 0.001, trainable: { W: true }, weight_norm: false, initializer: null })).not.toThrow();
  });
  it('a GSS checkpoint names the missing tensors and the tensors it has instead', () => {
    expect(() => compile({ d_model: 4, d_state: 16 }, 'gss_layer')).toThrow(/missing tensors 'D'.*'kernel.Lambda'.*other tensors \(dss\.C_imag/s);
  });
  it('the dss_exp checkpoint with version softmax: Λ is stored under other names', () => {
    expect(() => compile({ d_model: 4, d_state: 16, version: 'softmax' }, 'dss_exp')).toThrow(/missing tensor 'kernel.Lambda' \[16, 2\].*kernel.Lambda_im, kernel.Lambda_log_neg_re/s);
  });
  it('the dss_exp checkpoint with channels 2: the shape is named', () => {
    expect(() => compile({ d_model: 4, d_state: 16, version: 'exp', channels: 2 }, 'dss_exp')).toThrow(/'D' has shape \[1, 4\].*needs \[2, 4\]/);
  });
});
