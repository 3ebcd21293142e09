/**
 * lower-conv-fourstep: the plan (FFT size, stages, factors), the op structure (MatMuls only, one
 * per stage and direction, the kernel's spectrum folded), and the numbers of the lowered graph in
 * onnxruntime-node against the float64 definition of LongConv, over lengths 1 to 16384 (odd and
 * prime ones included), one and two kernel channels, with and without the anti-causal kernel.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison } from 'ssmc';
import type { Model } from 'ssmc/ir';
import { type ConvFacts, csePass, dcePass, estimateAll, foldConstantsPass, fourstepLengthsUnsupported, fourstepLowering, fourstepPlan, fourstepUnsupported, lowerComplexPass, lowerConvPass, LOWERINGS, MAX_MATRIX_BYTES, ORT_CPU, planMatrixBytes, planWithFactors, runPipeline } from 'ssmc/passes';
import { evalF64, input, newModel, opsOf, randomTensor, runOrt, tapsConv } from '../../helpers/graphs.js';

const lowerFourstepPass = lowerConvPass(fourstepLowering);

interface Case { L: number; Lk: number; C: number; H: number; B: number; bidir: boolean }

/** LongConv(u, k[, k_rev]) tagged for the four-step lowering; constant kernels unless `kernelAsInput`. */
function convModel(opset: number, c: Case, opts: { symbolicBatch?: boolean; kernelAsInput?: boolean; tag?: string | null } = {}): Model {
  const { model, b } = newModel(opset);
  const u = input(model, 'u', [opts.symbolicBatch ? 'batch' : c.B, c.H, c.L]);
  const k = opts.kernelAsInput ? input(model, 'k', [c.C, c.H, c.Lk]) : b.initializer('k', randomTensor([c.C, c.H, c.Lk], 2, 0.5));
  const kRev = c.bidir ? b.initializer('k_rev', randomTensor([c.C, c.H, c.Lk], 3, 0.5)) : null;
  const tag = opts.tag === undefined ? 'fourstep' : opts.tag;
  const y = tapsConv(b, u, k, kRev, tag);
  model.graph.renameValue(y, 'y');
  model.graph.outputs.push(y);
  return model;
}

const TAIL = [lowerFourstepPass, lowerComplexPass, foldConstantsPass, csePass, dcePass];

function matmuls(m: Model): number {
  return opsOf(m).filter((o) => o === 'MatMul').length;
}

describe('fourstepPlan', () => {
  it.each([1, 2, 3, 7, 31, 64, 97, 1000, 1024, 2048, 4099, 16384, 65536])('L = Lk = %i: a valid size, 2 stages up to 2K and 3 beyond', (L) => {
    for (const bidir of [false, true]) {
      const p = fourstepPlan(L, L, bidir);
      expect(p.stages).toBe(L <= 2048 ? 2 : 3);
      expect(p.factors).toHaveLength(p.stages);
      expect(p.factors.reduce((a, f) => a * f, 1)).toBe(p.n);
      // Causal: 2L − 1 suffices; with k_rev its L − 1 reachable taps need n ≥ 2L − 1 too.
      expect(p.n).toBeGreaterThanOrEqual(2 * L - 1);
      // The cheapest size is close to the need, not the next power of two.
      expect(p.n).toBeLessThanOrEqual(Math.max(4, Math.ceil((2 * L - 1) * 1.15)));
      // Stage 1 reads only the rows holding the input (about half of them), and so does the inverse.
      expect(p.inputRows).toBe(Math.ceil(L / (p.n / p.factors[0]!)));
      expect(p.outputRows).toBe(p.inputRows);
      expect(p.kernelRows).toBe(bidir && L > 1 ? p.factors[0] : p.inputRows);
    }
  });

  it('the batched stages stay near-square and equal; stage 1, which reads only half its rows, takes the largest factor', () => {
    // Measured (H = 256, 1 thread): at L = 1K, 89·23 and 128·16 ran in 8.6-9.4 ms against 11.2 for
    // 46·45 and 13.0 for 32·64; at 4K, 57·12·12 in 43 ms like 32·16·16; at 16K, 82·20·20 in 222 ms
    // against 244 for 32·32·32.
    for (const L of [1000, 1024, 2048, 4099, 16384, 65536]) {
      const f = fourstepPlan(L, L, false).factors;
      const later = f.slice(1);
      expect(Math.max(...later) - Math.min(...later), f.join('·')).toBeLessThanOrEqual(2);
      expect(f[0], f.join('·')).toBe(Math.max(...f));
      expect(f[0]! / Math.min(...later), f.join('·')).toBeLessThanOrEqual(6);
    }
  });

  it('taps beyond the length never reach an output: only min(Lk, L) causal and min(Lk, L−1) reverse taps count', () => {
    const p = fourstepPlan(100, 5000, true);
    expect([p.causalTaps, p.reverseTaps]).toEqual([100, 99]);
    expect(p.n).toBeLessThan(256);
    expect(fourstepPlan(100, 10, false).n).toBeLessThan(128);
  });

  it('refuses factors whose product is too short for a linear convolution', () => {
    expect(() => planWithFactors(64, 64, false, [8, 8])).toThrow(/too short/);
    expect(planWithFactors(64, 64, false, [16, 8]).n).toBe(128);
  });
});

describe('the four-step limits and the cost model', () => {
  it('refuses lengths whose per-row DFT matrices would not fit a model file, naming the fix', () => {
    expect(fourstepLengthsUnsupported(65536, 65536, true)).toBeNull();
    expect(planMatrixBytes(fourstepPlan(65536, 65536, true))).toBeLessThanOrEqual(MAX_MATRIX_BYTES);
    expect(fourstepLengthsUnsupported(131072, 131072, false)).toMatch(/would store \d+ MiB of DFT matrices \(limit 256 MiB\); use --lowering dft or chunked for L=131072/);
  });

  it('the cost model estimates the plan fourstepPlan picks (and nothing where it refuses)', () => {
    const facts: ConvFacts = { H: 256, C: 1, L: null, Lk: null, fullLength: true, bidirectional: false, kernel: 'taps', hasTaps: true, modes: null, states: null };
    const planning = { target: ORT_CPU, threads: 1, opset: 17 };
    for (const L of [1024, 4099, 16384]) {
      const e = estimateAll({ ...facts, L, Lk: L }, LOWERINGS, planning).find((x) => x.lowering === 'fourstep')!;
      const p = fourstepPlan(L, L, false);
      expect(e.note).toBe(`FFT ${p.n} = ${p.factors.join('·')} as MatMuls`);
      expect(e.ms).toBeGreaterThan(0);
    }
    const refused = estimateAll({ ...facts, L: 131072, Lk: 131072 }, LOWERINGS, planning).find((x) => x.lowering === 'fourstep')!;
    expect(refused.ms).toBeNull();
    expect(refused.note).toMatch(/DFT matrices/);
  });
});

describe('fourstepUnsupported', () => {
  it('refuses a symbolic length with the fix, accepts a fixed one', () => {
    const { model, b } = newModel(17);
    const dyn = tapsConv(b, input(model, 'u', ['batch', 2, 'L']), input(model, 'k', [1, 2, 'L']), null);
    expect(fourstepUnsupported(dyn.producer!)).toBe('the four-step FFT needs a fixed length; compile with --seq-len N');
    const fixed = tapsConv(b, input(model, 'u2', ['batch', 2, 8]), input(model, 'k2', [1, 2, 8]), null);
    expect(fourstepUnsupported(fixed.producer!)).toBeNull();
  });
});

describe('lower-conv-fourstep: structure', () => {
  it.each([[64, 2], [4099, 3]])('L = %i: %i stages → MatMuls only; after folding one per stage and direction', (L, stages) => {
    const c: Case = { L, Lk: L, C: 2, H: 1, B: 1, bidir: true };
    // A kernel computed in the graph gets its own forward MatMuls (folded later when constant).
    const m = convModel(17, c, { kernelAsInput: true });
    lowerFourstepPass.run(m, { opset: 17 });
    expect(opsOf(m).filter((o) => o.startsWith('ai.ssmc') || o === 'DFT')).toEqual([]);
    expect(matmuls(m)).toBe(3 * stages); // u forward, k forward, inverse
    // Stored taps: their spectrum is computed at compile time (fourstep-kernel.ts), no MatMul for it.
    const stored = convModel(17, c);
    lowerFourstepPass.run(stored, { opset: 17 });
    expect(matmuls(stored)).toBe(2 * stages);
    expect(stored.graph.initializers.map((v) => v.name)).toEqual(expect.arrayContaining(['fourstep_kernel_re_1_1', 'fourstep_kernel_im_1_1']));
    const plan = fourstepPlan(L, L, true);
    expect(plan.stages).toBe(stages);

    const folded = convModel(17, c);
    runPipeline(folded, { opset: 17 }, TAIL);
    expect(matmuls(folded)).toBe(2 * stages); // the kernel's spectrum is an initializer now
    // Stage 1 of u contracts only the rows that hold data; the last inverse stage writes only the first L.
    const mm = folded.graph.nodes.filter((n) => n.op === 'MatMul');
    expect(mm[0]!.input(0).type.shape).toEqual([2 * plan.factors[0]!, plan.inputRows]);
    expect(mm.at(-1)!.input(0).type.shape).toEqual([plan.outputRows, 2 * plan.factors[0]!]);
    for (let s = 1; s < stages; s++) {
      const P = plan.factors.slice(0, s).reduce((a, f) => a * f, 1);
      expect(mm[s]!.input(0).type.shape).toEqual([P, 2 * plan.factors[s]!, 2 * plan.factors[s]!]);
    }
  });

  it('leaves LongConv nodes tagged otherwise, or untagged, alone', () => {
    for (const tag of [null, 'dft']) {
      const m = convModel(17, { L: 8, Lk: 8, C: 1, H: 1, B: 1, bidir: false }, { tag });
      expect(lowerFourstepPass.run(m, { opset: 17 }).changed).toBe(false);
      expect(opsOf(m)).toEqual(['ai.ssmc.LongConv']);
    }
  });
});

/** [L, Lk, H, variants]: every length with C ∈ {1,2} × {causal, bidirectional}, smaller H where L is long. */
const LENGTHS: [number, number, number][] = [
  [1, 1, 3], [2, 2, 3], [3, 3, 3], [7, 7, 3], [31, 31, 3], [64, 64, 2], [97, 97, 2], [1000, 1000, 2], [1024, 1024, 1], [4099, 4099, 1], [16384, 16384, 1],
];
const CASES: (Case & { opset: number })[] = LENGTHS.flatMap(([L, Lk, H], i) =>
  [[1, false], [2, false], [1, true], [2, true]].map(([C, bidir], j) => ({ L, Lk, H, C: C as number, bidir: bidir as boolean, B: L <= 64 ? 2 : 1, opset: (i + j) % 2 === 0 ? 17 : 20 })),
);

describe('lower-conv-fourstep + the pipeline tail: onnxruntime vs the float64 definition', () => {
  it.each(CASES)('L=$L C=$C bidirectional=$bidir (H=$H, B=$B, opset $opset), kernel folded', async (c) => {
    const u = randomTensor([c.B, c.H, c.L], 1);
    const reference = evalF64(convModel(c.opset, c, { tag: null }), { u }).get('y')!;
    const m = convModel(c.opset, c);
    runPipeline(m, { opset: c.opset }, TAIL);
    expect(opsOf(m)).not.toContain('DFT');
    const y = (await runOrt(m, { u })).get('y')!;
    expect(y.dims).toEqual([c.B, c.C, c.H, c.L]);
    const cmp = compareToReference(y.data as Float32Array, reference.data);
    expect(cmp.ok, describeComparison(`four-step L=${c.L}`, cmp)).toBe(true);
  }, 20_000);

  it.each([
    { L: 100, Lk: 37, C: 2, H: 3, B: 2, bidir: false },
    { L: 100, Lk: 37, C: 1, H: 3, B: 2, bidir: true },
    { L: 33, Lk: 80, C: 2, H: 2, B: 1, bidir: true },
    { L: 20, Lk: 48, C: 1, H: 2, B: 1, bidir: false },
  ])('kernel length $Lk ≠ L = $L (bidirectional $bidir)', async (c) => {
    const u = randomTensor([c.B, c.H, c.L], 5);
    const reference = evalF64(convModel(17, c, { tag: null }), { u }).get('y')!;
    const m = convModel(17, c);
    runPipeline(m, { opset: 17 }, TAIL);
    const cmp = compareToReference((await runOrt(m, { u })).get('y')!.data as Float32Array, reference.data);
    expect(cmp.ok, describeComparison(`Lk=${c.Lk}`, cmp)).toBe(true);
  });

  it('a symbolic batch: one graph serves batch 1 and 3', async () => {
    const c: Case = { L: 45, Lk: 45, C: 2, H: 3, B: 1, bidir: true };
    const m = convModel(20, c, { symbolicBatch: true });
    runPipeline(m, { opset: 20 }, TAIL);
    for (const B of [1, 3]) {
      const u = randomTensor([B, c.H, c.L], 10 + B);
      const reference = evalF64(convModel(20, { ...c, B }, { tag: null }), { u }).get('y')!;
      const y = (await runOrt(m, { u })).get('y')!;
      expect(y.dims).toEqual([B, c.C, c.H, c.L]);
      const cmp = compareToReference(y.data as Float32Array, reference.data);
      expect(cmp.ok, describeComparison(`batch ${B}`, cmp)).toBe(true);
    }
  });

  it('a kernel that is a graph input (nothing folds): its transform runs in the graph, same numbers', async () => {
    const c: Case = { L: 257, Lk: 257, C: 2, H: 2, B: 1, bidir: false };
    const u = randomTensor([c.B, c.H, c.L], 4), k = randomTensor([c.C, c.H, c.Lk], 2, 0.5);
    const reference = evalF64(convModel(17, c, { tag: null }), { u }).get('y')!;
    const m = convModel(17, c, { kernelAsInput: true });
    runPipeline(m, { opset: 17 }, TAIL);
    expect(matmuls(m)).toBe(3 * fourstepPlan(c.L, c.Lk, false).stages);
    const cmp = compareToReference((await runOrt(m, { u, k })).get('y')!.data as Float32Array, reference.data);
    expect(cmp.ok, describeComparison('kernel as input', cmp)).toBe(true);
  });

  it('the lowering alone, evaluated in float64, is exact up to the float32 DFT matrices', () => {
    const c: Case = { L: 50, Lk: 50, C: 2, H: 2, B: 1, bidir: true };
    const u = randomTensor([c.B, c.H, c.L], 6);
    const reference = evalF64(convModel(17, c, { tag: null }), { u }).get('y')!;
    const m = convModel(17, c);
    lowerFourstepPass.run(m, { opset: 17 });
    const cmp = compareToReference(evalF64(m, { u }).get('y')!.data, reference.data, 1e-6);
    expect(cmp.ok, describeComparison('float64', cmp)).toBe(true);
  });
});
