/**
 * Every long-convolution lowering on every golden case (fixed and dynamic length): the numbers
 * against the official float64 output, and the structure (which ops carry the convolution).
 * Combinations a lowering cannot take must be refused with a message that says why.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, modelToBytes, UserError } from 'ssmc';
import { runOnnx } from 'ssmc/runtime';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';

const CASES = ['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 's4d_bidirectional', 's4_dplr_legs', 'dss_exp', 'dss_softmax', 'gss_layer', 'gss_lm'];
/**
 * Cases the chunked form applies to: kernels from a diagonal SSM, at full length, and S4 DPLR's
 * causal kernel through its state-space realization.
 */
const CHUNKABLE = new Set(['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 's4d_bidirectional', 'dss_exp', 'gss_layer', 'gss_lm', 's4_dplr_legs']);

/** What must (and must not) be in the graph for each lowering. */
const STRUCTURE: Record<string, { has: string; hasNot: string[] }> = {
  dft: { has: 'DFT', hasNot: ['Conv'] },
  chunked: { has: 'Scan', hasNot: ['DFT', 'Conv'] },
  direct: { has: 'Conv', hasNot: ['DFT'] },
  fourstep: { has: 'MatMul', hasNot: ['DFT', 'Conv', 'Scan'] },
};

const LOWERED: string[] = ['dft', 'fourstep', 'chunked', 'direct'];

describe.each(CASES)('golden %s', (name) => {
  const c = goldenCase(name);
  const io = goldenIo(c);
  const input = io.get('input')!;
  const ref = Float64Array.from(io.get('output_f64')!.data as Float64Array | Float32Array);
  const L = c.input.layout === 'BHL' ? c.input.shape[2]! : c.input.shape[1]!;
  const weights = () => ({ tensors: goldenWeights(c), source: `${name}.weights.safetensors` });

  it.each(LOWERED.flatMap((lw) => [[lw, L], [lw, null]] as const))('--lowering %s, seq len %s', async (lowering, seqLen) => {
    const compile = () => compileModel(modelFileFor(c), weights(), { seqLen, opset: 17, lowering });
    // The DPLR and softmax kernels have no diagonal recurrence that holds for every length.
    if (lowering === 'fourstep' && seqLen === null) {
      expect(compile).toThrow(UserError);
      expect(compile).toThrow(/--lowering fourstep cannot lower the long convolution of layer '[\w.]+': the four-step FFT needs a fixed length; compile with --seq-len N/);
      return;
    }
    if (lowering === 'chunked' && !CHUNKABLE.has(name)) {
      expect(compile).toThrow(UserError);
      expect(compile).toThrow(/--lowering chunked cannot lower the long convolution of layer '[\w.]+': .*(diagonal SSM|shorter than the input)/);
      return;
    }
    const compiled = compile();
    expect(compiled.decisions.length).toBeGreaterThan(0);
    expect(compiled.decisions.every((d) => d.lowering === lowering && d.how === 'forced')).toBe(true);
    const ops = compiled.model.graph.nodes.map((n) => n.qualifiedOp);
    expect(ops).toContain(STRUCTURE[lowering].has);
    for (const op of STRUCTURE[lowering].hasNot) {
      // The DPLR kernel's own irfft stays a DFT when the length is dynamic, unless the chunked form
      // (which never forms the kernel) takes the convolution.
      if (op === 'DFT' && name === 's4_dplr_legs' && seqLen === null && lowering !== 'chunked') continue;
      expect(ops).not.toContain(op);
    }
    expect(ops.filter((o) => o.startsWith('ai.ssmc'))).toEqual([]);
    const y = (await runOnnx(modelToBytes(compiled.model), new Map([['input', input]]))).get('output')!;
    expect(y.dims).toEqual(c.outputs.output);
    const cmp = compareToReference(y.data as Float32Array, ref);
    expect(cmp.ok, describeComparison(`${name} ${lowering}`, cmp)).toBe(true);
  });

  it('--lowering auto records a reasoned choice for every convolution', () => {
    const compiled = compileModel(modelFileFor(c), weights(), { seqLen: L, opset: 17 });
    for (const d of compiled.decisions) {
      expect(d.how).toBe('auto');
      expect(d.reason).toMatch(/est\. [\d.]+ ms on ort-cpu/);
      const chosen = d.estimates.find((e) => e.lowering === d.lowering)!;
      for (const e of d.estimates) if (e.ms !== null) expect(chosen.ms!).toBeLessThanOrEqual(e.ms);
    }
  });
});
