import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../export/onnx-write.js';
import { evaluateModel } from '../../ir/interp/evaluate.js';
import { fromTensor } from '../../ir/interp/rtensor.js';
import { f32, i64 } from '../../ir/tensor.js';
import { buildModel, compileModel, type ModelFile } from '../../src/compile.js';
import { UserError } from '../../src/errors.js';
import { complexEigen } from '../../src/models/eig-complex.js';
import { Rng } from '../../src/models/rng.js';
import { s4Block } from '../../src/models/s4-block.js';
import { nodeBackend } from '../../src/runtime/node.js';
import { runOnnx } from '../../src/runtime/run.js';
import { compareToReference, describeComparison } from '../../src/verify/compare.js';
import { checkRecurrence } from '../../src/verify/recurrence.js';

/**
 * Fresh models (no checkpoint): S4D-LegS, the official default init of a diagonal S4 layer, checked
 * against an independent eigendecomposition of HiPPO-LegS; the 'diag' combination split over the
 * copies; whole models initialised from a config alone compile, and their conv, step and prefill
 * graphs agree with each other and with the float64 reference interpreter.
 */
/** A fresh s4-block's parameters for these arguments. */
const fresh = (args: Record<string, unknown>) => new Map(s4Block.configure(args).layer.init(new Rng(0)));

describe('S4D-LegS (s4-block mode diag, init legs): the diagonal of HiPPO-LegS in normal-plus-low-rank form', () => {
  const N = 16;
  // A + PPᵀ for HiPPO-LegS (ssm-math.md §2.5), written out here independently of src/models/hippo.ts.
  const AP = new Float64Array(2 * N * N);
  const Blegs = Array.from({ length: N }, (_, n) => Math.sqrt(2 * n + 1));
  for (let n = 0; n < N; n++) for (let k = 0; k < N; k++) {
    const a = n > k ? -Math.sqrt((2 * n + 1) * (2 * k + 1)) : n === k ? -(n + 1) : 0;
    AP[2 * (n * N + k)] = a + Math.sqrt(n + 0.5) * Math.sqrt(k + 0.5);
  }
  const eig = complexEigen(AP, N);
  // The N/2 eigenpairs with negative imaginary part (the official code keeps those), by frequency.
  const modes = Array.from({ length: N }, (_, k) => k).filter((k) => eig.values[2 * k + 1]! < 0).map((k) => {
    let re = 0, im = 0; // v* B_legs with v the unit eigenvector
    for (let i = 0; i < N; i++) {
      re += eig.vectors[2 * (i * N + k)]! * Blegs[i]!;
      im -= eig.vectors[2 * (i * N + k) + 1]! * Blegs[i]!;
    }
    return { re: eig.values[2 * k]!, omega: -eig.values[2 * k + 1]!, Babs: Math.hypot(re, im) };
  }).sort((a, b) => a.omega - b.omega);

  for (const init of ['legs', 'diag-legs']) {
    it(`init ${init}: a = −½ − iω with ω the eigenvalues, |B| = |V*B_legs| where the official clip of Im B to ±2 does not apply`, () => {
      const t = fresh({ d_model: 2, d_state: N, mode: 'diag', init, n_ssm: 1, real_transform: 'exp', imag_transform: 'none' });
      const Are = t.get('layer.kernel.A_real')!.data as Float32Array, Aim = t.get('layer.kernel.A_imag')!.data as Float32Array;
      const B = t.get('layer.kernel.B')!.data as Float32Array;
      expect(modes.length).toBe(N / 2);
      for (const m of modes) expect(m.re).toBeCloseTo(-0.5, 10);
      const ours = Array.from({ length: N / 2 }, (_, n) => ({ omega: Aim[n]!, re: Math.exp(Are[n]!), Babs: Math.hypot(B[2 * n]!, B[2 * n + 1]!), clipped: Math.abs(B[2 * n + 1]!) >= 2 })).sort((a, b) => a.omega - b.omega);
      let checked = 0;
      ours.forEach((o, n) => {
        expect(o.re).toBeCloseTo(0.5, 6);
        expect(Math.abs(o.omega - modes[n]!.omega)).toBeLessThan(1e-4 * Math.max(1, modes[n]!.omega));
        if (!o.clipped) {
          expect(Math.abs(o.Babs - modes[n]!.Babs)).toBeLessThan(1e-5 * Math.max(1, modes[n]!.Babs));
          checked++;
        }
      });
      expect(checked).toBeGreaterThanOrEqual(N / 4);
    });
  }

  it("init 'diag' splits the copies: the first half S4D-Inv, the second S4D-Lin", () => {
    const Aim = fresh({ d_model: 4, d_state: 8, mode: 'diag', init: 'diag', n_ssm: 4, imag_transform: 'none' }).get('layer.kernel.A_imag')!.data as Float32Array;
    const inv = (n: number) => (8 / Math.PI) * (8 / (1 + 2 * n) - 1), lin = (n: number) => Math.max(Math.PI * n, 1e-4);
    for (let c = 0; c < 4; c++) for (let n = 0; n < 4; n++) expect(Aim[c * 4 + n]).toBeCloseTo(c < 2 ? inv(n) : lin(n), 4);
    expect(() => fresh({ d_model: 3, d_state: 8, mode: 'diag', init: 'diag', n_ssm: 3 })).toThrow(/"n_ssm" must be a multiple of 2/);
    expect(() => fresh({ d_model: 2, d_state: 8, mode: 'diag', init: 'fourier' })).toThrow(UserError);
  });
});

async function allForms(file: ModelFile, x: ReturnType<typeof f32>, layout: 'BLH' | 'BL') {
  const opts = { seqLen: null, opset: 17 };
  const conv = compileModel(file, null, opts);
  const y = (await runOnnx(modelToBytes(conv.model), new Map([['input', x]]))).get('output')!.data as Float32Array;
  const ref = evaluateModel(buildModel(file, null, opts).model, { input: fromTensor(x) }).get('output')!.data;
  const rows = [['conv vs float64 reference', compareToReference(y, ref)] as const];
  const [B, L] = x.dims as [number, number];
  const rec = await checkRecurrence(nodeBackend, file, null, opts, { x, layout, L, B, convOutput: y, references: [['float64 reference', ref]], outputShape: conv.io.outputShape, stepRows: conv.io.stepRows });
  expect(rec.skipped).toEqual([]);
  for (const [what, cmp] of [...rows, ...rec.rows]) expect(cmp.ok, describeComparison(what, cmp)).toBe(true);
  return rows.length + rec.rows.length;
}

describe('whole models from a config alone (initialised like the official code)', () => {
  const rng = new Rng(3);
  it('s4-sequence: S4D-LegS and S4-LegS layers, FFN, batch norm, pool decoder (mnist)', async () => {
    const file: ModelFile = {
      arch: 's4-sequence', seed: 1,
      args: {
        model: { _name_: 'model', d_model: 16, n_layers: 1, prenorm: false, norm: 'batch', residual: 'R',
          layer: [{ _name_: 's4', d_state: 8, mode: 'diag', init: 'legs' }, { _name_: 's4', d_state: 8, mode: 'nplr', init: 'legs' }, { _name_: 'ffn', expand: 2 }] },
        encoder: 'linear', decoder: { _name_: 'sequence', mode: 'pool' }, dataset: { _name_: 'mnist' }, task: { _name_: 'base' },
      },
    };
    const x = f32(Array.from({ length: 2 * 40 }, () => rng.normal()), [2, 40, 1]);
    expect(await allForms(file, x, 'BLH')).toBe(4);
  });
  it('s4-sequence: a language model (lm task, tied, every position)', async () => {
    const file: ModelFile = {
      arch: 's4-sequence', args: {
        model: { _name_: 'model', d_model: 16, n_layers: 2, layer: { _name_: 's4', d_state: 8, mode: 'diag', init: 'diag-lin' } },
        encoder: null, decoder: { _name_: 'sequence', mode: 'last' }, dataset: { _name_: 'enwik8' }, task: { _name_: 'lm', tied: true }, n_tokens: 12,
      },
    };
    const x = i64(Array.from({ length: 2 * 24 }, () => Math.floor(rng.uniform() * 12)), [2, 24]);
    expect(await allForms(file, x as unknown as ReturnType<typeof f32>, 'BL')).toBe(4);
  });
  it('s4-example: example.py S4Model', async () => {
    const file: ModelFile = { arch: 's4-example', args: { d_input: 3, d_output: 4, d_model: 8, n_layers: 2, prenorm: true } };
    const x = f32(Array.from({ length: 2 * 20 * 3 }, () => rng.normal()), [2, 20, 3]);
    expect(await allForms(file, x, 'BLH')).toBe(4);
  });
});
