import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, interpreterRunner, measureAccuracy, ortRunner, precisionTolerance, readPrecision, TOLERANCES, type AccuracyRow } from 'ssmc';
import { FORMATS, type Precision } from 'ssmc/passes';
import { nodeBackend } from 'ssmc/runtime';
import { loadManifest } from '../helpers/golden.js';
import { GOLDEN_CASES, goldenAccuracyCase } from '../helpers/precision.js';

/**
 * Every golden case compiled at fp16 and bf16 for onnxruntime's CPU provider (16-bit weights,
 * float32 compute: its float16 kernels are data movement only, passes/conv/targets.ts), in conv
 * (fixed and dynamic length), step and prefill form:
 *  - against the official float64 output within the precision's tolerance (STORAGE_ROUNDINGS·u
 *    over float32's, src/verify/tolerances.ts), final states too;
 *  - against the reference interpreter running the same 16-bit graph (the oracle of what the graph
 *    means: its weights as stored, exact arithmetic) within float32's tolerance, since the two
 *    differ only in float32 compute.
 */
const PRECISIONS: Precision[] = ['fp16', 'bf16'];

/** The modes a case has no graph for, and why (the same refusals as in float32). */
const NO_RECURRENCE: Record<string, RegExp> = { s4d_bidirectional: /bidirectional kernel has no recurrence/, dss_softmax: /DSS-softmax kernel depends on/ };

it('covers every golden case of the manifest', () => {
  expect([...GOLDEN_CASES].sort()).toEqual(loadManifest().map((c) => c.name).sort());
});

function expectWithin(row: AccuracyRow, what: string): void {
  expect(row.output!.ok, describeComparison(`${what} ${row.mode}`, row.output!)).toBe(true);
  if (row.mode === 'prefill') expect(row.states!.ok, describeComparison(`${what} prefill final states`, row.states!)).toBe(true);
}

describe.each(GOLDEN_CASES)('golden %s at 16 bits in onnxruntime-node', (name) => {
  it.each(PRECISIONS)('%s', async (precision) => {
    const c = goldenAccuracyCase(name);
    const rows = await measureAccuracy(c, precision, { runner: ortRunner(nodeBackend) });
    const oracle = await measureAccuracy(c, precision, { runner: interpreterRunner() });
    for (const [i, row] of rows.entries()) {
      if (row.skipped) {
        expect(row.mode === 'step' || row.mode === 'prefill', row.skipped).toBe(true);
        expect(row.skipped).toMatch(NO_RECURRENCE[name]!);
        continue;
      }
      expectWithin(row, `${name} ${precision}`);
      expect(row.output!.rel).toBe(precisionTolerance(precision));
      const same = compareToReference(row.values!, oracle[i]!.values!, TOLERANCES.REL_TO_PEAK);
      expect(same.ok, describeComparison(`${row.mode}: onnxruntime vs the interpreter on the same graph`, same)).toBe(true);
      if (row.stateValues) {
        const states = compareToReference(row.stateValues, oracle[i]!.stateValues!, TOLERANCES.REL_TO_PEAK);
        expect(states.ok, describeComparison('final states: onnxruntime vs the interpreter', states)).toBe(true);
      }
      // Storage only on the CPU: every stored weight at half its float32 size, nothing computed in 16 bits.
      const r = row.report!;
      expect(r.precision).toBe(precision);
      expect(r.computed16).toEqual({});
      expect(r.stored.tensors).toBeGreaterThan(0);
      expect(r.stored.bytesAfter * 2).toBe(r.stored.bytesBefore);
      for (const why of Object.keys(r.kept)) expect(['scalar', 'kernel policy', 'recurrence policy']).toContain(why);
    }
    expect(rows.filter((r) => !r.skipped).length).toBe(NO_RECURRENCE[name] ? 2 : 4);
  });
});

describe('16-bit graphs keep a float32 interface', () => {
  it('step graph: input, output and every state float32; ssmc.precision says how it was compiled', async () => {
    const { compileModel } = await import('ssmc');
    const c = goldenAccuracyCase('gss_lm');
    for (const precision of PRECISIONS) {
      const { model, meta } = compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode: 'step', precision });
      expect(meta.precision).toBe(precision);
      expect(readPrecision(model)).toBe(precision);
      expect(model.graph.inputs.map((v) => `${v.name}:${v.type.dtype}`)).toEqual(['input:int64', 'state.layers.0:float32', 'state.layers.1:float32']);
      expect(model.graph.outputs.map((v) => v.type.dtype)).toEqual(['float32', 'float32', 'float32']);
      const storage = FORMATS[precision].storage;
      expect(model.graph.initializers.some((v) => v.type.dtype === storage)).toBe(true);
    }
  });
});
