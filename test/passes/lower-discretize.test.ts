/**
 * lower-discretize: Discretize(dt, A, BC){disc} → w = dt·A, the ZOH or bilinear coefficient and λ
 * in complex ops, here feeding ai.ssmc.Vandermonde(λ, coef, L){scale} as a taps lowering has it.
 * Numbers are checked against the explicit complex recurrence x_l = dA·x_{l−1} + dB·u_l (impulse
 * response, K = scale·Re Σ BC·x), in float64 and in onnxruntime after the whole pipeline.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison } from 'ssmc';
import { c64, f32, type Model, printModel, type Tensor } from 'ssmc/ir';
import { csePass, dcePass, foldConstantsPass, lowerComplexPass, lowerDiscretizePass, lowerVandermondePass, runPipeline } from 'ssmc/passes';
import { diagKernel, evalF64, input, newModel, opsOf, randomTensor, runOrt } from '../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

type Disc = 'zoh' | 'bilinear';
const H = 4, N = 3, C = 2;

interface Ssm { dt: Tensor; A: Tensor; BC: Tensor }

/** A small random stable diagonal SSM; dt is [H,1] (tied) or [H,N] (one step per mode). */
function ssm(seed: number, dtPerMode: boolean): Ssm {
  const re = randomTensor([H, N], seed).data as Float32Array;
  const im = randomTensor([H, N], seed + 1, 4).data as Float32Array;
  const bc = randomTensor([C, H, N, 2], seed + 2).data as Float32Array;
  const dts = randomTensor(dtPerMode ? [H, N] : [H, 1], seed + 3).data as Float32Array;
  return {
    A: c64(re.map((x) => -0.1 - Math.abs(x)), im, [H, N]),
    BC: c64(bc.filter((_, i) => i % 2 === 0), bc.filter((_, i) => i % 2 === 1), [C, H, N]),
    dt: f32(dts.map((x) => 0.02 + 0.2 * Math.abs(x)), dtPerMode ? [H, N] : [H, 1]),
  };
}

/** K[c,h,l] = scale·Re Σ_n BC·x_l with x_l = dA·x_{l−1} + dB·u_l, u = impulse (float64 complex arithmetic). */
function recurrence(s: Ssm, disc: Disc, scale: number, L: number): Float64Array {
  const a = s.A.data as Float32Array, bc = s.BC.data as Float32Array, dt = s.dt.data as Float32Array;
  const perMode = s.dt.dims[1] === N;
  const out = new Float64Array(C * H * L);
  for (let h = 0; h < H; h++) for (let n = 0; n < N; n++) {
    const ar = a[2 * (h * N + n)]!, ai = a[2 * (h * N + n) + 1]!, d = dt[perMode ? h * N + n : h]!;
    const wr = d * ar, wi = d * ai;
    let dAr: number, dAi: number, dBr: number, dBi: number;
    if (disc === 'zoh') {
      dAr = Math.exp(wr) * Math.cos(wi);
      dAi = Math.exp(wr) * Math.sin(wi);
      const den = ar * ar + ai * ai; // (dA − 1)/a
      dBr = ((dAr - 1) * ar + dAi * ai) / den;
      dBi = (dAi * ar - (dAr - 1) * ai) / den;
    } else {
      const pr = 1 + wr / 2, pi = wi / 2, qr = 1 - wr / 2, qi = -wi / 2, den = qr * qr + qi * qi;
      dAr = (pr * qr + pi * qi) / den; // (1 + w/2)/(1 − w/2)
      dAi = (pi * qr - pr * qi) / den;
      dBr = (d * qr) / den; // dt/(1 − w/2)
      dBi = (-d * qi) / den;
    }
    for (let c = 0; c < C; c++) {
      const j = (c * H + h) * N + n;
      let xr = 0, xi = 0;
      for (let l = 0; l < L; l++) {
        const u = l === 0 ? 1 : 0;
        [xr, xi] = [dAr * xr - dAi * xi + dBr * u, dAr * xi + dAi * xr + dBi * u];
        out[(c * H + h) * L + l] += scale * (bc[2 * j]! * xr - bc[2 * j + 1]! * xi);
      }
    }
  }
  return out;
}

/** k = Vandermonde(Discretize(dt, A, BC), L) as the only output, L read from the shape of input u. */
function kernelModel(opset: number, s: Ssm, disc: Disc, scale: number, L: number | 'L'): Model {
  const { model, b } = newModel(opset);
  const u = input(model, 'u', L === 'L' ? ['batch', H, 'L'] : [1, H, L]);
  const k = diagKernel(b, b.initializer('dt', s.dt), b.initializer('A', s.A), b.initializer('BC', s.BC), b.dim(u, 2), disc, scale);
  model.graph.renameValue(k, 'k');
  model.graph.outputs.push(k);
  return model;
}

const TAIL = [lowerDiscretizePass, lowerVandermondePass, lowerComplexPass, foldConstantsPass, csePass, dcePass];

describe('lower-discretize: IR before and after', () => {
  const tiny: Ssm = {
    dt: f32([0.125, 0.25], [2, 1]),
    A: c64([-0.5, -0.25], [1, 2], [1, 2]),
    BC: c64([1, 0.5], [0, -1], [1, 1, 2]),
  };
  function tinyModel(disc: Disc): Model {
    const { model, b } = newModel(17);
    const u = input(model, 'u', ['batch', 2, 'L']);
    const A = b.initializer('A', c64([-0.5, -0.25, -0.5, -0.25], [1, 2, 1, 2], [2, 2]));
    const BC = b.initializer('BC', c64([1, 0.5, 1, 0.5], [0, -1, 0, -1], [1, 2, 2]));
    const k = diagKernel(b, b.initializer('dt', tiny.dt), A, BC, b.dim(u, 2), disc, 2);
    model.graph.renameValue(k, 'k');
    model.graph.outputs.push(k);
    return model;
  }
  const head = [
    'model ir=8 opsets[ai.onnx=17 ai.ssmc=1]',
    'graph main(%u: f32[batch,2,L]) -> (%k: f32[1,2,L]) {',
    '  const %A: c64[2,2] = [-0.5, 1.0, -0.25, 2.0, -0.5, 1.0, -0.25, 2.0]',
    '  const %BC: c64[1,2,2] = [1.0, 0.0, 0.5, -1.0, 1.0, 0.0, 0.5, -1.0]',
    '  const %dt: f32[2,1] = [0.125, 0.25]',
    '  const %axis_1_1: i64[] = [2]',
  ];

  it('zoh: Mul(A, dt) → Exp → Sub 1 → Div A → Mul BC feed the Vandermonde as (w, coef)', () => {
    const model = tinyModel('zoh');
    expect(printModel(model)).toBe([
      ...head,
      '  %shape = Shape(%u) : i64[3]',
      '  %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]',
      '  %discretize.0, %discretize.1 = ai.ssmc.Discretize(%dt, %A, %BC) {disc="zoh"} : c64[2,2], c64[1,2,2]',
      '  %k = ai.ssmc.Vandermonde(%discretize.0, %discretize.1, %gather) {scale=2.0} : f32[1,2,L]',
      '  return %k',
      '}',
    ].join('\n'));
    runPipeline(model, { opset: 17 }, [lowerDiscretizePass]);
    expect(printModel(model)).toBe([
      ...head,
      '  const %one_1_1: c64[] = [1.0, 0.0]',
      '  %shape = Shape(%u) : i64[3]',
      '  %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]',
      '  %mul = Mul(%A, %dt) : c64[2,2]',
      '  %exp = Exp(%mul) : c64[2,2]',
      '  %sub = Sub(%exp, %one_1_1) : c64[2,2]',
      '  %div = Div(%sub, %A) : c64[2,2]',
      '  %mul_1 = Mul(%BC, %div) : c64[1,2,2]',
      '  %k = ai.ssmc.Vandermonde(%mul, %mul_1, %gather) {scale=2.0} : f32[1,2,L]',
      '  return %k',
      '}',
    ].join('\n'));
  });

  it('bilinear: w/2, coef = BC·dt/(1 − w/2), λ = Log((1 + w/2)/(1 − w/2)) feed the Vandermonde', () => {
    const model = tinyModel('bilinear');
    runPipeline(model, { opset: 17 }, [lowerDiscretizePass]);
    expect(printModel(model)).toBe([
      ...head,
      '  const %one_1_1: c64[] = [1.0, 0.0]',
      '  const %const_1_1: f32[] = [0.5]',
      '  %shape = Shape(%u) : i64[3]',
      '  %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]',
      '  %mul = Mul(%A, %dt) : c64[2,2]',
      '  %mul_1 = Mul(%mul, %const_1_1) : c64[2,2]',
      '  %sub = Sub(%one_1_1, %mul_1) : c64[2,2]',
      '  %div = Div(%dt, %sub) : c64[2,2]',
      '  %mul_2 = Mul(%BC, %div) : c64[1,2,2]',
      '  %add = Add(%one_1_1, %mul_1) : c64[2,2]',
      '  %div_1 = Div(%add, %sub) : c64[2,2]',
      '  %log = Log(%div_1) : c64[2,2]',
      '  %k = ai.ssmc.Vandermonde(%log, %mul_2, %gather) {scale=2.0} : f32[1,2,L]',
      '  return %k',
      '}',
    ].join('\n'));
  });

  it('rejects a disc it cannot lower, naming the node', () => {
    const model = tinyModel('zoh');
    model.graph.nodes.find((n) => n.op === 'Discretize')!.attrs.set('disc', { kind: 'string', value: 'dss' });
    expect(() => lowerDiscretizePass.run(model, { opset: 17 })).toThrow(/Discretize.*disc must be 'zoh' or 'bilinear', got 'dss'/);
  });

  it('does nothing (and says so) on a graph without Discretize', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    model.graph.outputs.push(b.neg(x));
    expect(lowerDiscretizePass.run(model, { opset: 17 }).changed).toBe(false);
  });
});

describe.each(['zoh', 'bilinear'] as const)('lower-discretize (%s): numbers vs the recurrence', (disc) => {
  it.each([
    ['dt [H,1], scale 2', false, 2],
    ['dt [H,N], scale 1', true, 1],
  ] as const)('%s: the definition, after lower-discretize, and after lower-vandermonde, in float64', (_label, perMode, scale) => {
    const s = ssm(21, perMode);
    for (const L of [1, 7, 32, 100]) {
      const want = recurrence(s, disc, scale, L);
      const u = f32(new Array(H * L).fill(0), [1, H, L]);
      const model = kernelModel(17, s, disc, scale, 'L');
      const check = (stage: string) => {
        const k = evalF64(model, { u }).get('k')!;
        expect(k.dims).toEqual([C, H, L]);
        const cmp = compareToReference(k.data, want, TOL.F64_CONDITIONED);
        expect(cmp.ok, describeComparison(`${stage}, L=${L}`, cmp)).toBe(true);
      };
      check('Discretize and Vandermonde');
      runPipeline(model, { opset: 17 }, [lowerDiscretizePass]);
      expect(opsOf(model)).not.toContain('ai.ssmc.Discretize');
      check('after lower-discretize');
      lowerVandermondePass.run(model, { opset: 17 });
      expect(opsOf(model).filter((o) => o.startsWith('ai.ssmc.') && o !== 'ai.ssmc.Real' && o !== 'ai.ssmc.Imag')).toEqual([]);
      check('after lower-vandermonde');
    }
  });

  describe.each([17, 20])('opset %i, the whole pipeline tail in onnxruntime', (opset) => {
    it.each([1, 7, 32, 100])('L = %i, fixed: the kernel folds into one constant', async (L) => {
      const s = ssm(31, false);
      const model = kernelModel(opset, s, disc, 2, L);
      runPipeline(model, { opset }, TAIL);
      expect(model.graph.nodes).toEqual([]);
      // The output is now an initializer; fold-constants gives it the name '<name>.folded' (the
      // graph interface's name is not kept for a folded output), so read it by position.
      const name = model.graph.outputs[0]!.name;
      const k = (await runOrt(model, { u: f32(new Array(H * L).fill(0), [1, H, L]) })).get(name)!;
      expect(k.dims).toEqual([C, H, L]);
      const cmp = compareToReference(k.data as Float32Array, recurrence(s, disc, 2, L));
      expect(cmp.ok, describeComparison(`fixed L=${L}`, cmp)).toBe(true);
    });

    it('dynamic L: one graph (Range over the Shape-derived length, 2 real MatMuls) for L = 1, 7, 32, 100', async () => {
      const s = ssm(41, true);
      const model = kernelModel(opset, s, disc, 2, 'L');
      runPipeline(model, { opset }, TAIL);
      const ops = opsOf(model);
      expect(ops).toEqual(expect.arrayContaining(['Shape', 'Range', 'Exp', 'Cos', 'Sin']));
      expect(ops.filter((o) => o === 'MatMul')).toHaveLength(2);
      expect(ops.filter((o) => o.startsWith('ai.ssmc.'))).toEqual([]);
      for (const L of [1, 7, 32, 100]) {
        const k = (await runOrt(model, { u: f32(new Array(2 * H * L).fill(0), [2, H, L]) })).get('k')!;
        expect(k.dims).toEqual([C, H, L]);
        const cmp = compareToReference(k.data as Float32Array, recurrence(s, disc, 2, L));
        expect(cmp.ok, describeComparison(`dynamic L=${L}`, cmp)).toBe(true);
      }
    });
  });
});
