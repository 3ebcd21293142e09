import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison } from 'ssmc';
import { c64, f32, printModel, verifyModel } from 'ssmc/ir';
import { csePass, dcePass, foldConstantsPass, lowerComplexPass, lowerDiscretizePass, lowerVandermondePass, type Pass } from 'ssmc/passes';
import { diagKernel, evalF64, input, maxAbsDiff, newModel, opsOf, randomTensor, runOrt } from '../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const H = 3, N = 4, C = 2;

/** A[h,n] with negative real parts, BC[c,h,n], dt[h]: a small random diagonal SSM. */
function ssm(seed: number) {
  const re = randomTensor([H, N], seed).data as Float32Array;
  const im = randomTensor([H, N], seed + 1, 3).data as Float32Array;
  const A = c64(re.map((x) => -0.2 - Math.abs(x)), im, [H, N]);
  const bc = randomTensor([C, H, N, 2], seed + 2).data as Float32Array;
  const BC = c64(bc.filter((_, i) => i % 2 === 0), bc.filter((_, i) => i % 2 === 1), [C, H, N]);
  const dt = f32([0.05, 0.1, 0.3], [H, 1]);
  return { A, BC, dt };
}

/** The kernel's graph: the length comes from the shape of input `u` [1, 1, L]. */
function kernelModel(disc: 'zoh' | 'bilinear', L: number | 'L', opset = 17) {
  const { model, b } = newModel(opset);
  const { A, BC, dt } = ssm(5);
  const u = input(model, 'u', [1, 1, L]);
  const k = diagKernel(b, b.initializer('dt', dt), b.initializer('A', A), b.initializer('BC', BC), b.dim(u, 2), disc, 2);
  model.graph.renameValue(k, 'k');
  model.graph.outputs.push(k);
  return model;
}

/** K[c,h,l] = 2 Re(C_c x_l) for the impulse response x_l = dA^l dB of the discretised system. */
function recurrenceKernel(disc: 'zoh' | 'bilinear', L: number): Float64Array {
  const { A, BC, dt } = ssm(5);
  const a = A.data as Float32Array, bc = BC.data as Float32Array, d = dt.data as Float32Array;
  const out = new Float64Array(C * H * L);
  for (let h = 0; h < H; h++) for (let n = 0; n < N; n++) {
    const ar = a[2 * (h * N + n)]!, ai = a[2 * (h * N + n) + 1]!, D = d[h]!;
    const wr = D * ar, wi = D * ai;
    let dAr: number, dAi: number, dBr: number, dBi: number;
    if (disc === 'zoh') {
      dAr = Math.exp(wr) * Math.cos(wi);
      dAi = Math.exp(wr) * Math.sin(wi);
      const den = ar * ar + ai * ai;
      dBr = ((dAr - 1) * ar + dAi * ai) / den;
      dBi = (dAi * ar - (dAr - 1) * ai) / den;
    } else {
      const qr = 1 - wr / 2, qi = -wi / 2, den = qr * qr + qi * qi;
      const pr = 1 + wr / 2, pi = wi / 2;
      dAr = (pr * qr + pi * qi) / den;
      dAi = (pi * qr - pr * qi) / den;
      dBr = (D * qr) / den;
      dBi = (-D * qi) / den;
    }
    for (let c = 0; c < C; c++) {
      const j = (c * H + h) * N + n;
      let xr = dBr, xi = dBi;
      for (let l = 0; l < L; l++) {
        out[(c * H + h) * L + l] += 2 * (bc[2 * j]! * xr - bc[2 * j + 1]! * xi);
        [xr, xi] = [xr * dAr - xi * dAi, xr * dAi + xi * dAr];
      }
    }
  }
  return out;
}

function runPasses(model: ReturnType<typeof kernelModel>, passes: Pass[], opset = 17) {
  for (const p of passes) {
    p.run(model, { opset });
    verifyModel(model, { noComplex: passes.indexOf(p) >= passes.indexOf(lowerComplexPass) && passes.includes(lowerComplexPass) });
  }
}

describe.each(['zoh', 'bilinear'] as const)('diagonal SSM kernel (%s) lowering', (disc) => {
  const L = 50;
  const u = f32(new Array(L).fill(0), [1, 1, L]);

  it('the float64 definition equals the explicit recurrence', () => {
    const k = evalF64(kernelModel(disc, L), { u }).get('k')!;
    expect(maxAbsDiff(k.data, recurrenceKernel(disc, L))).toBeLessThan(TOL.F64_CONDITIONED);
  });

  it('lower-discretize → complex ops, lower-vandermonde → Exp/MatMul; numbers unchanged in float64', () => {
    const model = kernelModel(disc, 'L');
    const before = printModel(model);
    expect(before).toMatch(/ai\.ssmc\.Discretize\(%dt, %A, %BC\) \{disc="(zoh|bilinear)"\} : c64\[3,4\], c64\[2,3,4\]/);
    runPasses(model, [lowerDiscretizePass]);
    const afterKernel = printModel(model);
    expect(afterKernel).toMatch(/ai\.ssmc\.Vandermonde\(/);
    expect(afterKernel).toMatch(disc === 'zoh' ? /= Exp\(/ : /= Log\(/);
    runPasses(model, [lowerVandermondePass]);
    expect(opsOf(model)).toEqual(expect.arrayContaining(['Range', 'Cast', 'Exp', 'MatMul', 'ai.ssmc.Real']));
    const k = evalF64(model, { u }).get('k')!;
    expect(maxAbsDiff(k.data, recurrenceKernel(disc, L))).toBeLessThan(TOL.F64_CONDITIONED);
  });

  it('lower-complex leaves only real values and onnxruntime matches the recurrence', async () => {
    const model = kernelModel(disc, 'L');
    runPasses(model, [lowerDiscretizePass, lowerVandermondePass, lowerComplexPass, foldConstantsPass, csePass, dcePass]);
    expect([...model.graph.values()].filter((v) => v.type.dtype === 'complex64')).toEqual([]);
    expect(opsOf(model)).toEqual(expect.arrayContaining(['Cos', 'Sin', 'MatMul']));
    // Only the real part of the Vandermonde product is needed: two real MatMuls, not four.
    expect(opsOf(model).filter((o) => o === 'MatMul')).toHaveLength(2);
    const k = (await runOrt(model, { u })).get('k')!;
    const cmp = compareToReference(k.data as Float32Array, recurrenceKernel(disc, L));
    expect(cmp.ok, describeComparison('kernel', cmp)).toBe(true);
  });
});

describe('lower-complex', () => {
  it('Log (incl. the negative real axis), Div and MatMul in real pairs match complex float64', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3]);
    const y = input(model, 'y', [2, 3]);
    const z = b.ssm('Complex', [x, y]);
    const w = b.initializer('w', c64([1, -2, 0.5], [0.5, 0, -1], [3, 1]));
    const q = b.div(b.op('Log', [z]), b.add(z, b.initializer('shift', c64([3], [0.25], []))));
    const m = b.matmul(q, w);
    const re = b.ssm('Real', [m]), im = b.ssm('Imag', [m]);
    model.graph.renameValue(re, 're');
    model.graph.renameValue(im, 'im');
    model.graph.outputs.push(re, im);
    // x ≤ 0 with y = 0 hits atan2's branch cut: log(−1) = iπ.
    const feeds = { x: f32([-1, -2, 0.5, 1, -0.3, 2], [2, 3]), y: f32([0, 0, 1, -1, 0.7, 0], [2, 3]) };
    const ref = evalF64(model, feeds);
    lowerComplexPass.run(model, { opset: 17 });
    dcePass.run(model, { opset: 17 });
    verifyModel(model, { noComplex: true });
    expect(opsOf(model)).toEqual(expect.arrayContaining(['Atan', 'Where', 'MatMul']));
    const after = evalF64(model, feeds);
    // pi and the other constants of atan2 are float32 initializers.
    expect(maxAbsDiff(after.get('re')!.data, ref.get('re')!.data)).toBeLessThan(TOL.F32_CONSTANTS);
    expect(maxAbsDiff(after.get('im')!.data, ref.get('im')!.data)).toBeLessThan(TOL.F32_CONSTANTS);
  });

  it('rejects a complex graph output by name', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const z = b.ssm('Complex', [x, x]);
    model.graph.outputs.push(z);
    expect(() => lowerComplexPass.run(model, { opset: 17 })).toThrow(/graph output 'complex\w*' is complex/);
  });
});

describe('fold-constants, cse, dce', () => {
  it('folds a static Shape chain, merges duplicates and drops dead nodes', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', ['batch', 5]);
    const n = b.dim(x, 1); // 5, although batch is symbolic
    const r = b.cast(b.op('Range', [b.i64(0, []), n, b.i64(1, [])]), 1);
    const a = b.add(x, r), a2 = b.add(x, r); // duplicate
    const dead = b.mul(x, b.f32(3)); // unused
    void dead;
    const out = b.mul(a, a2);
    model.graph.renameValue(out, 'out');
    model.graph.outputs.push(out);
    const target = { opset: 17 };
    expect(foldConstantsPass.run(model, target).changed).toBe(true);
    expect(opsOf(model)).not.toContain('Range');
    expect(csePass.run(model, target).changed).toBe(true);
    dcePass.run(model, target);
    verifyModel(model);
    expect(printModel(model)).toBe(
      [
        'model ir=8 opsets[ai.onnx=17 ai.ssmc=1]',
        'graph main(%x: f32[batch,5]) -> (%out: f32[batch,5]) {',
        '  const %cast.folded: f32[5] = [0.0, 1.0, 2.0, 3.0, 4.0]',
        '  %add = Add(%x, %cast.folded) : f32[batch,5]',
        '  %out = Mul(%add, %add) : f32[batch,5]',
        '  return %out',
        '}',
      ].join('\n'),
    );
  });
});
