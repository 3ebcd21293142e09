import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, interpreterRunner, measureAccuracy, ortRunner, precisionTolerance, TOLERANCES } from 'ssmc';
import { ORT_CPU, type Precision } from 'ssmc/passes';
import { wasmBackend } from 'ssmc/runtime/web';
import { FLOAT16_DEVICE, GOLDEN_CASES, goldenAccuracyCase } from '../helpers/precision.js';

/**
 * test/precision/ in onnxruntime-web's wasm backend (the one browsers use): every golden case at
 * fp16 and bf16 (16-bit weights cast up when the session loads) in conv, step and prefill form
 * against the official float64 output, and against the interpreter running the same graph; and
 * the graphs that compute in float16, which wasm runs by casting around the ops it lacks.
 */
const PRECISIONS: Precision[] = ['fp16', 'bf16'];

describe.each(GOLDEN_CASES)('golden %s at 16 bits in onnxruntime-web (wasm)', (name) => {
  it.each(PRECISIONS)('%s', async (precision) => {
    const c = goldenAccuracyCase(name);
    const rows = await measureAccuracy(c, precision, { runner: ortRunner(wasmBackend) });
    const oracle = await measureAccuracy(c, precision, { runner: interpreterRunner() });
    expect(rows.filter((r) => !r.skipped).length).toBeGreaterThanOrEqual(2);
    for (const [i, row] of rows.entries()) {
      if (row.skipped) continue;
      expect(row.output!.rel).toBe(precisionTolerance(precision));
      expect(row.output!.ok, describeComparison(`${name} ${precision} ${row.mode} (wasm)`, row.output!)).toBe(true);
      if (row.states) expect(row.states.ok, describeComparison(`${name} prefill final states (wasm)`, row.states)).toBe(true);
      const same = compareToReference(row.values!, oracle[i]!.values!, TOLERANCES.REL_TO_PEAK);
      expect(same.ok, describeComparison(`${row.mode}: wasm vs the interpreter on the same graph`, same)).toBe(true);
    }
  });
});

describe('float16 compute in onnxruntime-web (wasm)', () => {
  it.each(['gss_lm', 's4_dplr_legs'])('%s: a graph computing its dense layers in float16 runs within its tolerance', async (name) => {
    const c = goldenAccuracyCase(name);
    const rows = await measureAccuracy(c, 'fp16', { runner: ortRunner(wasmBackend), compile: { runtime: FLOAT16_DEVICE.id, targets: [ORT_CPU, FLOAT16_DEVICE] } });
    for (const row of rows) {
      expect(row.skipped).toBeNull();
      expect(row.report!.computed16.dense).toBeGreaterThan(0);
      expect(row.output!.rel).toBe(precisionTolerance('fp16', true));
      expect(row.output!.ok, describeComparison(`${name} ${row.mode} (wasm, float16 compute)`, row.output!)).toBe(true);
    }
  });
});
