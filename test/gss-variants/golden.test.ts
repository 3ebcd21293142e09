import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, describeComparison, modelToBytes } from 'ssmc';
import { evaluateModel, fromTensor, type Model } from 'ssmc/ir';
import { runOnnx } from 'ssmc/runtime';
import { DSCONV_CASES, MHESA_CASES, variantCase } from './cases.js';

/**
 * Every GatedMHESA / GatedDsConv case from the official code: the float64 reference interpreter,
 * and onnxruntime at fixed and dynamic length, against the official float64 output
 * (max|Δ| ≤ 1e-4·max(1, peak)), with what each graph is made of.
 */
const ops = (m: Model) => m.graph.nodes.map((n) => n.qualifiedOp);
const count = (m: Model, op: string) => ops(m).filter((o) => o === op).length;
const depthOf = (args: Record<string, unknown>) => (typeof args.depth === 'number' ? args.depth : 1);

describe.each([...MHESA_CASES, ...DSCONV_CASES].map(([dir, name]) => [name, dir] as const))('official case %s', (name, dir) => {
  const c = variantCase(dir, name);
  const L = c.input.dims[1]!;
  const depth = depthOf(c.file.args as Record<string, unknown>);
  const isMhesa = c.file.arch.startsWith('gss-mhesa');

  it('the float64 reference interpreter matches the official float64 output', () => {
    const { model } = buildModel(c.file, c.weights(), { seqLen: null, opset: 17 });
    // The smoothing is one high-level LongConv per block; the input-dependent convolution has none.
    expect(ops(model).filter((o) => o === 'ai.ssmc.LongConv').length).toBe(isMhesa ? depth : 0);
    const out = evaluateModel(model, { input: fromTensor(c.input) }).get('output')!;
    expect(out.dims).toEqual(c.dims);
    const cmp = compareToReference(out.data, c.ref, 1e-6);
    expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
  });

  it.each([
    ['fixed length', L, 17],
    ['dynamic length', null, 17],
    ['dynamic length, opset 20', null, 20],
  ] as const)('onnxruntime-node, %s', async (_label, seqLen, opset) => {
    const { model, layers } = compileModel(c.file, c.weights(), { seqLen, opset });
    const y = (await runOnnx(modelToBytes(model), new Map([['input', c.input]]))).get('output')!;
    expect(y.dims).toEqual(c.dims);
    const cmp = compareToReference(y.data as Float32Array, c.ref);
    expect(cmp.ok, describeComparison(`${name}, ${seqLen ?? 'dynamic'}`, cmp)).toBe(true);
    expect(ops(model).filter((o) => o.startsWith('ai.ssmc'))).toEqual([]);
    if (isMhesa) {
      // One smoothing convolution per block, declared as a one-mode SSM layer.
      expect(layers.map((l) => [l.kernel, l.N])).toEqual(Array.from({ length: depth }, () => ['ema', 1]));
      return;
    }
    expect(layers).toEqual([]);
    // Fixed lengths up to 1024: the Toeplitz form (one Gather of the kernel and one MatMul per
    // block, no DFT); longer or dynamic: three DFTs per block (u, k, the inverse).
    const toeplitz = seqLen !== null && seqLen <= 1024;
    expect(count(model, 'DFT')).toBe(toeplitz ? 0 : 3 * depth);
  });
});
