/**
 * Every lowering over lengths 1 to 16384, including odd and prime ones, on every layer family:
 * fixed-length graphs (kernel folded) and one dynamic-length graph per lowering (the four-step FFT
 * takes fixed lengths only and must refuse a dynamic one), each against the
 * float64 reference interpreter on the unlowered model, 1e-4 relative to the output's peak.
 * The chunked forms are the ones whose correctness depends on the length (how many chunks, how many
 * doubling levels, the padding of the last chunk), so these lengths straddle their chunk sizes.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, describeComparison, type ModelFile, modelToBytes, UserError, type Weights } from 'ssmc';
import { evaluateModel, fromTensor, type Tensor } from 'ssmc/ir';
import { createSession } from 'ssmc/runtime';
import { goldenCase, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { randomTensor } from '../helpers/graphs.js';

const LENGTHS = [1, 2, 7, 31, 64, 97, 1000, 4099, 16384];

const FAMILIES: [string, string[]][] = [
  ['s4d_minimal', ['dft', 'fourstep', 'chunked', 'doubling', 'direct']],
  ['s4d_inv_bilinear', ['dft', 'fourstep', 'chunked', 'doubling']],
  ['s4d_bidirectional', ['dft', 'fourstep', 'chunked', 'doubling', 'direct']],
  ['s4_dplr_legs', ['dft', 'fourstep', 'chunked', 'doubling', 'direct']],
  ['dss_exp', ['dft', 'fourstep', 'chunked', 'doubling']],
  ['gss_layer', ['dft', 'fourstep', 'chunked', 'doubling']],
];

/** Lowerings that need a fixed length: a dynamic compile must be refused, saying how to fix it. */
const FIXED_ONLY: readonly string[] = ['fourstep'];

function inputFor(name: string, L: number, seed: number): Tensor {
  const c = goldenCase(name);
  const [, a, b] = c.input.shape as [number, number, number];
  const dims = c.input.layout === 'BHL' ? [1, a, L] : [1, L, b];
  return randomTensor(dims, seed);
}

describe.each(FAMILIES)('%s', (name, lowerings) => {
  const c = goldenCase(name);
  const file: ModelFile = modelFileFor(c);
  const weights = (): Weights => ({ tensors: goldenWeights(c), source: name });
  const refs = new Map<number, { input: Tensor; ref: Float64Array }>();
  const reference = (L: number) => {
    if (!refs.has(L)) {
      const input = inputFor(name, L, L);
      const { model } = buildModel(file, weights(), { seqLen: null, opset: 17 });
      const out = evaluateModel(model, { input: fromTensor(input) }).get('output')!;
      refs.set(L, { input, ref: Float64Array.from(out.data) });
    }
    return refs.get(L)!;
  };

  it.each(lowerings)('--lowering %s: fixed-length graphs and one dynamic graph, every length', async (lowering) => {
    const compileDynamic = () => compileModel(file, weights(), { seqLen: null, opset: 17, lowering }).model;
    const fixedOnly = FIXED_ONLY.includes(lowering);
    if (fixedOnly) {
      expect(compileDynamic).toThrow(UserError);
      expect(compileDynamic).toThrow(`--lowering ${lowering} cannot lower the long convolution of layer`);
      expect(compileDynamic).toThrow('the four-step FFT needs a fixed length; compile with --seq-len N');
    }
    const session = fixedOnly ? null : await createSession(modelToBytes(compileDynamic()));
    try {
      for (const L of LENGTHS) {
        const { input, ref } = reference(L);
        const check = (y: Tensor, how: string) => {
          const cmp = compareToReference(y.data as Float32Array, ref);
          expect(cmp.ok, describeComparison(`${name} ${lowering} L=${L} ${how}`, cmp)).toBe(true);
        };
        if (session) check((await session.run(new Map([['input', input]]))).get('output')!, 'dynamic');
        // Fixed-length graphs for a spread of lengths (the long ones cost most to fold).
        if (L <= 1000 || L === 4099 || lowering !== 'direct') {
          const fixed = compileModel(file, weights(), { seqLen: L, opset: 17, lowering }).model;
          const fs = await createSession(modelToBytes(fixed));
          try {
            check((await fs.run(new Map([['input', input]]))).get('output')!, 'fixed');
          } finally {
            await fs.release();
          }
        }
      }
    } finally {
      await session?.release();
    }
  }, 120_000);
});
