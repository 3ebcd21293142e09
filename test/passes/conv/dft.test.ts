import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison } from 'ssmc';
import { printModel, verifyModel } from 'ssmc/ir';
import { dcePass, dftLowering, foldConstantsPass, lowerConvPass } from 'ssmc/passes';
import { evalF64, input, newModel, opsOf, randomTensor, runOrt, tapsConv } from '../../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../../helpers/tolerances.js';

const lowerDftPass = lowerConvPass(dftLowering);

function fftConvModel(opset: number, B: number, H: number, L: number, C: number, Lk: number, bidirectional: boolean, dynamic: boolean) {
  const { model, b } = newModel(opset);
  const u = input(model, 'u', dynamic ? ['batch', H, 'L'] : [B, H, L]);
  const k = b.initializer('k', randomTensor([C, H, Lk], 2, 0.5));
  const kRev = bidirectional ? b.initializer('k_rev', randomTensor([C, H, Lk], 3, 0.5)) : null;
  const y = tapsConv(b, u, k, kRev);
  model.graph.renameValue(y, 'y');
  model.graph.outputs.push(y);
  return model;
}

function lower(model: ReturnType<typeof fftConvModel>, opset: number) {
  const target = { opset };
  lowerDftPass.run(model, target);
  foldConstantsPass.run(model, target);
  dcePass.run(model, target);
  verifyModel(model, { noComplex: true });
}

describe('lower-conv-dft', () => {
  it('rewrites LongConv into DFT ops (IR before and after, opset 17)', () => {
    const model = fftConvModel(17, 1, 2, 8, 1, 8, false, false);
    expect(printModel(model)).toBe(
      [
        'model ir=8 opsets[ai.onnx=17 ai.ssmc=1]',
        'graph main(%u: f32[1,2,8]) -> (%y: f32[1,1,2,8]) {',
        '  const %k: f32[1,2,8] = <16 values>',
        '  %y = ai.ssmc.LongConv(%u, %k) {lowering="dft"} : f32[1,1,2,8]',
        '  return %y',
        '}',
      ].join('\n'),
    );
    lower(model, 17);
    const text = printModel(model);
    expect(text).not.toMatch(/ai\.ssmc\.\w+\(/);
    // The two channels packed as one complex signal (n = 16, full spectrum) and one complex inverse
    // that returns both outputs; the kernel's spectrum is a constant.
    expect(text).toMatch(/= DFT\(%[\w.]+, %[\w.]+\) \{axis=2\} : f32\[1,1,16,2\]/);
    expect(text).toMatch(/= DFT\(%[\w.]+, %[\w.]+\) \{axis=3, inverse=1\} : f32\[1,1,1,16,2\]/);
    expect(opsOf(model).filter((o) => o === 'DFT')).toHaveLength(2);
  });

  it('uses the opset-20 form: axis as input; the packed inverse is a full complex one', () => {
    const model = fftConvModel(20, 1, 2, 8, 1, 8, false, false);
    lower(model, 20);
    const dfts = model.graph.nodes.filter((n) => n.op === 'DFT');
    expect(dfts).toHaveLength(2);
    for (const d of dfts) {
      expect(d.inputs).toHaveLength(3);
      expect(d.attrs.has('axis')).toBe(false);
    }
    expect(dfts[1]!.attrInt('inverse')).toBe(1);
    expect(dfts[1]!.attrInt('onesided', 0)).toBe(0);
  });

  const cases: [string, number, number, number, number, number, boolean][] = [
    // label, B, H, L, C, Lk, bidirectional
    ['L=1', 1, 3, 1, 1, 1, false],
    ['L=7 (odd)', 2, 3, 7, 1, 7, false],
    ['L=100, Lk=37', 2, 4, 100, 1, 37, false],
    ['L=97 (prime), C=2', 1, 3, 97, 2, 97, false],
    ['bidirectional L=32', 2, 4, 32, 1, 32, true],
    ['bidirectional L=33, C=2, Lk=20', 1, 2, 33, 2, 20, true],
  ];
  describe.each([17, 20])('opset %i', (opset) => {
    it.each(cases)('numbers: %s, fixed and dynamic length, vs the float64 definition', async (_l, B, H, L, C, Lk, bidir) => {
      const u = randomTensor([B, H, L], 1);
      const reference = evalF64(fftConvModel(opset, B, H, L, C, Lk, bidir, false), { u }).get('y')!;
      for (const dynamic of [false, true]) {
        const model = fftConvModel(opset, B, H, L, C, Lk, bidir, dynamic);
        lower(model, opset);
        const lowered64 = evalF64(model, { u }).get('y')!;
        // Folded constants (the kernel's spectrum) are stored in float32.
        const c64 = compareToReference(lowered64.data, reference.data, TOL.F32_CONSTANTS);
        expect(c64.ok, describeComparison('lowered graph in float64', c64)).toBe(true);
        const y = (await runOrt(model, { u })).get('y')!;
        expect(y.dims).toEqual([B, C, H, L]);
        const c = compareToReference(y.data as Float32Array, reference.data);
        expect(c.ok, describeComparison(`onnxruntime ${dynamic ? 'dynamic' : 'fixed'}`, c)).toBe(true);
      }
    });
  });
});
