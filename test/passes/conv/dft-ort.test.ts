/**
 * lower-conv-dft, beyond dft.test.ts: the onnxruntime-node 1.30 DFT facts the pass
 * relies on, the circular index map of the bidirectional kernel, the op structure per opset, and
 * the numbers of the whole pipeline tail (lower-complex, fold-constants, cse, dce) in onnxruntime
 * against the float64 definition, for fixed and dynamic lengths.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison } from 'ssmc';
import { Builder, f32, Model, type Node, printModel, tensorType, type Value } from 'ssmc/ir';
import { csePass, dcePass, dftConv, dftLowering, foldConstantsPass, lowerComplexPass, lowerConvPass, runPipeline } from 'ssmc/passes';
import { evalF64, input, newModel, opsOf, randomTensor, runOrt, tapsConv } from '../../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../../helpers/tolerances.js';

const lowerDftPass = lowerConvPass(dftLowering);

// ---------------------------------------------------------------------------------------------
// onnxruntime facts

/** A one-node DFT model written by hand (no shape inference), so any attribute/input form can be tried. */
function dftModel(opset: number, xDims: number[], attrs: Record<string, number>, n: number | null, axisAs: 'attr' | 'input', yDims: number[]): Model {
  const model = new Model(opset);
  const b = new Builder(model.graph, opset);
  const x = model.graph.addInput('x', tensorType('float32', xDims));
  const inputs: (Value | null)[] = [x, n === null ? null : b.i64(n, [], 'n')];
  const all: Record<string, number> = { ...attrs };
  if (axisAs === 'input') inputs.push(b.i64(1, [], 'axis'));
  else all.axis = 1;
  const typed = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, { kind: 'int' as const, value: v }]));
  const y = model.graph.createNode('', 'DFT', inputs, typed, 1, { outputTypes: [tensorType('float32', yDims)] }).outputs[0]!;
  model.graph.renameValue(y, 'y');
  model.graph.outputs.push(y);
  return model;
}

/** One-sided spectrum (re, im interleaved) of a real signal zero-padded to n. */
function rfft(signal: number[], n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k <= Math.floor(n / 2); k++) {
    let re = 0, im = 0;
    signal.forEach((v, m) => {
      re += v * Math.cos((-2 * Math.PI * k * m) / n);
      im += v * Math.sin((-2 * Math.PI * k * m) / n);
    });
    out.push(re, im);
  }
  return out;
}

const SIGNAL = [1, -2, 3, 0.5, 5, -6];

describe('onnxruntime-node 1.30: DFT', () => {
  it.each([8, 7])('opset 20, inverse=1 onesided=1 (an onnxruntime extension the ONNX spec does not define, so ssmc never emits it): n/2+1 bins in, [.., n, 1] real signal out (n = %i)', async (n) => {
    const bins = Math.floor(n / 2) + 1;
    const y = (await runOrt(dftModel(20, [1, bins, 2], { inverse: 1, onesided: 1 }, n, 'input', [1, n, 1]), { x: f32(rfft(SIGNAL, n), [1, bins, 2]) })).get('y')!;
    expect(y.dims).toEqual([1, n, 1]);
    const want = Array.from({ length: n }, (_, i) => SIGNAL[i] ?? 0);
    Array.from(y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, TOL.ORT_DFT_DIGITS));
  });

  it('opset 20 without dft_length: n = 2·(bins − 1)', async () => {
    const y = (await runOrt(dftModel(20, [1, 5, 2], { inverse: 1, onesided: 1 }, null, 'input', [1, 8, 1]), { x: f32(rfft(SIGNAL, 8), [1, 5, 2]) })).get('y')!;
    expect(y.dims).toEqual([1, 8, 1]);
  });

  it('opset 17 runs the same irfft form too (not in the DFT-17 spec, so the pass does not use it)', async () => {
    const y = (await runOrt(dftModel(17, [1, 5, 2], { inverse: 1, onesided: 1 }, 8, 'attr', [1, 8, 1]), { x: f32(rfft(SIGNAL, 8), [1, 5, 2]) })).get('y')!;
    expect(y.dims).toEqual([1, 8, 1]);
  });

  it('a full inverse zero-pads a shorter one-sided spectrum to dft_length (what opset 17 uses)', async () => {
    const y = (await runOrt(dftModel(17, [1, 5, 2], { inverse: 1 }, 8, 'attr', [1, 8, 2]), { x: f32(rfft(SIGNAL, 8), [1, 5, 2]) })).get('y')!;
    expect(y.dims).toEqual([1, 8, 2]);
  });

  it('rejects the opset-20 form (axis as input 2) under opset 17, and the axis attribute under opset 20', async () => {
    const x = f32(rfft(SIGNAL, 8), [1, 5, 2]);
    await expect(runOrt(dftModel(17, [1, 5, 2], { inverse: 1 }, 8, 'input', [1, 8, 2]), { x })).rejects.toThrow(/input size 3 not in range \[min=1, max=2\]/);
    await expect(runOrt(dftModel(20, [1, 5, 2], { inverse: 1 }, 8, 'attr', [1, 8, 2]), { x })).rejects.toThrow(/Unrecognized attribute: axis/);
  });
});

// ---------------------------------------------------------------------------------------------
// The circular kernel of the bidirectional case

/** y[t] = Σ_{s≤t, t−s<Lk} k[t−s]u[s] + Σ_{s>t, s−t−1<Lk} kr[s−t−1]u[s]  (ir/ssm-ops.ts LongConv). */
function direct(u: number[], k: number[], kr: number[] | null): number[] {
  return u.map((_, t) => {
    let s = 0;
    u.forEach((v, j) => {
      if (j <= t && t - j < k.length) s += k[t - j]! * v;
      if (kr && j > t && j - t - 1 < kr.length) s += kr[j - t - 1]! * v;
    });
    return s;
  });
}

/** What the pass builds: kc = [k, zeros(n − 2Lk), reverse(kr)] (a negative count crops k), then y = (kc ⊛_n u)[:L]. */
function circular(u: number[], k: number[], kr: number[] | null, n: number): number[] {
  const Lk = k.length;
  const kc = kr ? [...k.slice(0, n - Lk), ...new Array(Math.max(0, n - 2 * Lk)).fill(0), ...[...kr].reverse()] : [...k, ...new Array(n - Lk).fill(0)];
  expect(kc).toHaveLength(n);
  return u.map((_, t) => u.reduce((acc, v, s) => acc + kc[(((t - s) % n) + n) % n]! * v, 0));
}

describe('the circular index map kc[(t − s) mod n]', () => {
  const nextPow2 = (x: number) => 2 ** Math.ceil(Math.log2(x));
  it.each([
    [1, 1], [7, 7], [7, 3], [32, 32], [100, 37], [20, 33], [5, 12],
  ])('L = %i, Lk = %i: equals the definition for n = L + Lk and the next power of two', (L, Lk) => {
    const u = Array.from(randomTensor([L], 11).data as Float32Array);
    const k = Array.from(randomTensor([Lk], 12).data as Float32Array);
    const kr = Array.from(randomTensor([Lk], 13).data as Float32Array);
    for (const n of [L + Lk, nextPow2(L + Lk)]) {
      for (const rev of [null, kr]) {
        const want = direct(u, k, rev), got = circular(u, k, rev, n);
        got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(TOL.F64_CONDITIONED));
      }
    }
  });

  it('with a reverse kernel n = L + Lk − 1 is too short: the last causal tap meets the reverse kernel', () => {
    const L = 6, Lk = 6;
    const u = Array.from({ length: L }, (_, i) => (i === 0 ? 1 : 0)); // impulse at s = 0
    const k = Array.from({ length: Lk }, (_, i) => i + 1), kr = Array.from({ length: Lk }, (_, i) => -10 - i);
    expect(direct(u, k, kr)[L - 1]).toBe(k[L - 1]);
    expect(circular(u, k, kr, L + Lk)[L - 1]).toBe(k[L - 1]);
    expect(circular(u, k, kr, L + Lk - 1)[L - 1]).toBe(kr[Lk - 1]); // kc[5] is already the reversed tail
    expect(circular(u, k, null, L + Lk - 1)).toEqual(direct(u, k, null)); // causal alone: L + Lk − 1 suffices
  });
});

// ---------------------------------------------------------------------------------------------
// Structure and numbers

const TAIL = [lowerDftPass, lowerComplexPass, foldConstantsPass, csePass, dcePass];

interface Case { label: string; B: number; L: number; C: number; Lk: number; bidir: boolean }
const H = 4;

/** LongConv(u, k[, k_rev]) with constant kernels; u is [B,4,L] or ['batch',4,'L']. */
function model(opset: number, c: Case, dynamic: boolean, kernelAsInput = false, channels = H): Model {
  const { model: m, b } = newModel(opset);
  const u = input(m, 'u', dynamic ? ['batch', channels, 'L'] : [c.B, channels, c.L]);
  const k = kernelAsInput ? input(m, 'k', [c.C, channels, c.Lk]) : b.initializer('k', randomTensor([c.C, channels, c.Lk], 2, 0.5));
  const kRev = c.bidir ? b.initializer('k_rev', randomTensor([c.C, channels, c.Lk], 3, 0.5)) : null;
  const y = tapsConv(b, u, k, kRev);
  m.graph.renameValue(y, 'y');
  m.graph.outputs.push(y);
  return m;
}

function dfts(m: Model): Node[] {
  return m.graph.nodes.filter((n) => n.op === 'DFT');
}

/** The baseline without packing (one rfft per row), as the benchmark compares it. */
const unpackedPass = lowerConvPass({ ...dftLowering, lower: dftConv({ pack: false }) });

describe('lower-conv-dft: ops per opset', () => {
  const c: Case = { label: '', B: 2, L: 100, C: 2, Lk: 37, bidir: true };

  it('opset 17: DFT with the axis attribute and 2 inputs; two channels per complex DFT; no ai.ssmc op left', () => {
    const m = model(17, c, false);
    runPipeline(m, { opset: 17 }, [lowerDftPass]);
    expect(printModel(m)).not.toMatch(/ai\.ssmc\./);
    const d = dfts(m);
    expect(d).toHaveLength(3); // DFT(kernel pairs), DFT(u pairs), one complex inverse
    for (const n of d) {
      expect(n.inputs).toHaveLength(2);
      expect(n.attrs.has('axis')).toBe(true);
    }
    expect(d.map((n) => [n.attrInt('inverse', 0), n.attrInt('onesided', 0)])).toEqual([[0, 0], [0, 0], [1, 0]]);
    // H = 4 rows travel as 2 complex rows: [B, H/2, n, 2] forward, [B, C, H/2, n, 2] inverse.
    expect(d.map((n) => n.outputs[0]!.type.shape)).toEqual([[c.C, H / 2, 256, 2], [c.B, H / 2, 256, 2], [c.B, c.C, H / 2, 256, 2]]);
  });

  it('opset 20: DFT with axis as input 2 and no axis attribute', () => {
    const m = model(20, c, false);
    runPipeline(m, { opset: 20 }, [lowerDftPass]);
    const d = dfts(m);
    expect(d).toHaveLength(3);
    for (const n of d) {
      expect(n.inputs).toHaveLength(3);
      expect(n.attrs.has('axis')).toBe(false);
    }
    expect(d.map((n) => [n.attrInt('inverse', 0), n.attrInt('onesided', 0)])).toEqual([[0, 0], [0, 0], [1, 0]]);
  });

  // ONNX's DFT has no one-sided inverse (onesided applies to forward transforms of real input):
  // the inverse is a full one at both opsets.
  it.each([[17, [[0, 1], [0, 1], [1, 0]]], [20, [[0, 1], [0, 1], [1, 0]]]] as const)('unpacked baseline, opset %i: one rfft per row, then a full inverse (never onesided with inverse)', (opset, forms) => {
    const m = model(opset, c, false);
    runPipeline(m, { opset }, [unpackedPass]);
    const d = dfts(m);
    expect(d.map((n) => [n.attrInt('inverse', 0), n.attrInt('onesided', 0)])).toEqual(forms);
    expect(d[0]!.outputs[0]!.type.shape).toEqual([c.B, H, 129, 2]);
  });

  it('an odd channel count gets one zero row to pair with', () => {
    const m = model(17, c, false, false, 3);
    runPipeline(m, { opset: 17 }, [lowerDftPass]);
    expect(dfts(m)[1]!.outputs[0]!.type.shape).toEqual([c.B, 2, 256, 2]);
  });

  it.each([[100, 37, 256], [7, 7, 16], [32, 32, 64], [1, 1, 2]])('fixed L = %i, Lk = %i: n = %i (a power of two ≥ L + Lk)', (L, Lk, n) => {
    const m = model(17, { label: '', B: 1, L, C: 1, Lk, bidir: false }, false);
    lowerDftPass.run(m, { opset: 17 });
    for (const d of dfts(m)) expect(Number((d.inputs[1]!.constant!.data as BigInt64Array)[0])).toBe(n);
  });

  it('dynamic L: n = the next power of two ≥ L + Lk, computed exactly in the graph', async () => {
    const m = model(20, { label: '', B: 1, L: 8, C: 1, Lk: 8, bidir: false }, true);
    lowerDftPass.run(m, { opset: 20 });
    const sizes = new Set(dfts(m).map((d) => d.inputs[1]!));
    expect(sizes.size).toBe(1);
    const n = [...sizes][0]!;
    expect(n.producer?.op).toBe('Gather'); // powers of two, indexed by how many lie below L + Lk
    m.graph.renameValue(n, 'n');
    m.graph.outputs.push(n);
    for (const L of [1, 2, 3, 4, 5, 500, 1000, 2048, 4099, 16384]) {
      // The kernel here is a constant of 8 taps, so n covers L + 8.
      const got = (await runOrt(m, { u: randomTensor([1, H, L], L) })).get('n')!;
      expect(Number((got.data as BigInt64Array)[0]), `L=${L}`).toBe(2 ** Math.ceil(Math.log2(L + 8)));
    }
  });

  it.each([17, 20])('opset %i, fixed L and constant kernels: the kernel spectrum folds, 2 DFTs remain', (opset) => {
    const m = model(opset, c, false);
    runPipeline(m, { opset }, TAIL);
    expect(dfts(m)).toHaveLength(2);
    expect(opsOf(m)).not.toContain('Pad');
    expect(dfts(m).every((d) => d.inputs[0]!.producer !== null)).toBe(true);
  });
});

const CASES: Case[] = [
  { label: 'L=1', B: 1, L: 1, C: 1, Lk: 1, bidir: false },
  { label: 'L=7 (odd), batch 2', B: 2, L: 7, C: 1, Lk: 7, bidir: false },
  { label: 'L=32, C=2, batch 2', B: 2, L: 32, C: 2, Lk: 32, bidir: false },
  { label: 'L=100, Lk=37 < L', B: 2, L: 100, C: 1, Lk: 37, bidir: false },
  { label: 'L=32, Lk=48 > L', B: 1, L: 32, C: 1, Lk: 48, bidir: false },
  { label: 'bidirectional L=7, Lk=3', B: 2, L: 7, C: 1, Lk: 3, bidir: true },
  { label: 'bidirectional L=100, Lk=L, C=2, batch 2', B: 2, L: 100, C: 2, Lk: 100, bidir: true },
  { label: 'bidirectional L=20, Lk=33 > L', B: 1, L: 20, C: 2, Lk: 33, bidir: true },
];

describe.each([17, 20])('lower-conv-dft + the pipeline tail, opset %i: onnxruntime vs the float64 definition', (opset) => {
  it.each(CASES)('$label, fixed and dynamic length', async (c) => {
    const u = randomTensor([c.B, H, c.L], 1);
    const reference = evalF64(model(opset, c, false), { u }).get('y')!;

    for (const dynamic of [false, true]) {
      // The lowering alone is exact in float64 (its only constants, ±1, 0.5 and the irfft weights 1 and 2, are exact).
      const lowered = model(opset, c, dynamic);
      lowerDftPass.run(lowered, { opset });
      const c64 = compareToReference(evalF64(lowered, { u }).get('y')!.data, reference.data, 1e-12);
      expect(c64.ok, describeComparison(`lowered, float64, ${dynamic ? 'dynamic' : 'fixed'}`, c64)).toBe(true);

      const m = model(opset, c, dynamic);
      runPipeline(m, { opset }, TAIL);
      expect(m.graph.outputs[0]!.type.shape).toHaveLength(4);
      const y = (await runOrt(m, { u })).get('y')!;
      expect(y.dims).toEqual([c.B, c.C, H, c.L]);
      const cmp = compareToReference(y.data as Float32Array, reference.data);
      expect(cmp.ok, describeComparison(`onnxruntime, ${dynamic ? 'dynamic' : 'fixed'}`, cmp)).toBe(true);
    }
  });

  it('one dynamic graph serves other lengths and batch sizes', async () => {
    const c: Case = { label: '', B: 1, L: 16, C: 2, Lk: 16, bidir: true };
    const m = model(opset, c, true);
    runPipeline(m, { opset }, TAIL);
    for (const [B, L] of [[1, 16], [3, 5], [2, 41]] as const) {
      const u = randomTensor([B, H, L], 7 + L);
      const reference = evalF64(model(opset, { ...c, B, L }, false), { u }).get('y')!;
      const y = (await runOrt(m, { u })).get('y')!;
      expect(y.dims).toEqual([B, c.C, H, L]);
      const cmp = compareToReference(y.data as Float32Array, reference.data);
      expect(cmp.ok, describeComparison(`B=${B}, L=${L}`, cmp)).toBe(true);
    }
  });

  it.each(CASES)('unpacked baseline (one rfft per row): $label, fixed and dynamic length', async (c) => {
    const u = randomTensor([c.B, H, c.L], 1);
    const reference = evalF64(model(opset, c, false), { u }).get('y')!;
    for (const dynamic of [false, true]) {
      const m = model(opset, c, dynamic);
      runPipeline(m, { opset }, [unpackedPass, ...TAIL.slice(1)]);
      const cmp = compareToReference((await runOrt(m, { u })).get('y')!.data as Float32Array, reference.data);
      expect(cmp.ok, describeComparison(`unpacked, ${dynamic ? 'dynamic' : 'fixed'}`, cmp)).toBe(true);
    }
  });

  it('an odd channel count (H = 3, one zero row to pair with): fixed and dynamic length', async () => {
    const c: Case = { label: '', B: 2, L: 45, C: 2, Lk: 45, bidir: true };
    const u = randomTensor([c.B, 3, c.L], 8);
    const reference = evalF64(model(opset, c, false, false, 3), { u }).get('y')!;
    for (const dynamic of [false, true]) {
      const m = model(opset, c, dynamic, false, 3);
      runPipeline(m, { opset }, TAIL);
      const y = (await runOrt(m, { u })).get('y')!;
      expect(y.dims).toEqual([c.B, c.C, 3, c.L]);
      const cmp = compareToReference(y.data as Float32Array, reference.data);
      expect(cmp.ok, describeComparison(`H=3, ${dynamic ? 'dynamic' : 'fixed'}`, cmp)).toBe(true);
    }
  });

  it('a dynamic length at L = 1000 and 4099 with a full-length kernel stays radix-2: float32 error within 1e-4 of the peak', async () => {
    // Kernels given as inputs of the dynamic length (n = next power of two ≥ 2L): with n = L + Lk,
    // onnxruntime's Bluestein path reached 2-8e-4 of the peak at these lengths.
    const { model: m, b } = newModel(opset);
    const u = input(m, 'u', ['batch', 2, 'L']);
    const y = tapsConv(b, u, input(m, 'k', [2, 2, 'L']), input(m, 'k_rev', [2, 2, 'L']));
    m.graph.renameValue(y, 'y');
    m.graph.outputs.push(y);
    runPipeline(m, { opset }, TAIL);
    for (const L of [1000, 4099]) {
      const feeds = { u: randomTensor([1, 2, L], L), k: randomTensor([2, 2, L], L + 1, 0.5), k_rev: randomTensor([2, 2, L], L + 2, 0.5) };
      const { model: ref, b: rb } = newModel(opset);
      const r = tapsConv(rb, input(ref, 'u', [1, 2, L]), input(ref, 'k', [2, 2, L]), input(ref, 'k_rev', [2, 2, L]));
      ref.graph.renameValue(r, 'y');
      ref.graph.outputs.push(r);
      const reference = evalF64(ref, feeds).get('y')!;
      const cmp = compareToReference((await runOrt(m, feeds)).get('y')!.data as Float32Array, reference.data);
      expect(cmp.ok, describeComparison(`dynamic L=${L}`, cmp)).toBe(true);
    }
  });

  it('a kernel that is a graph input (nothing folds) gives the same numbers', async () => {
    const c: Case = { label: '', B: 2, L: 33, C: 2, Lk: 33, bidir: false };
    const u = randomTensor([c.B, H, c.L], 4), k = randomTensor([c.C, H, c.Lk], 2, 0.5);
    const reference = evalF64(model(opset, c, false), { u }).get('y')!;
    const m = model(opset, c, false, true);
    runPipeline(m, { opset }, TAIL);
    expect(dfts(m)).toHaveLength(3);
    const y = (await runOrt(m, { u, k })).get('y')!;
    const cmp = compareToReference(y.data as Float32Array, reference.data);
    expect(cmp.ok, describeComparison('kernel as input', cmp)).toBe(true);
  });
});
