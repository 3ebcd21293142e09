import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, interpreterRunner, measureAccuracy, ortRunner, precisionTolerance } from 'ssmc';
import { ORT_CPU } from 'ssmc/passes';
import { nodeBackend } from 'ssmc/runtime';
import { FLOAT16_DEVICE, GOLDEN_CASES, goldenAccuracyCase } from '../helpers/precision.js';

/**
 * fp16 graphs planned for a runtime with float16 kernels (as a WebGPU adapter with shader-f16
 * has): the policy's dense class computes in float16, the SSM math in float32. The oracle is the
 * reference interpreter rounding every op's result to its dtype (a device that computes each op
 * exactly and stores it in float16); each golden case in every mode is held to the tolerance of
 * a graph computing in float16 (COMPUTE_ROUNDINGS·u over float32's) against the official float64
 * output. onnxruntime's CPU provider runs the same graphs (casting around the float16 ops it
 * lacks), within that tolerance of the oracle.
 */
const compile = { runtime: FLOAT16_DEVICE.id, targets: [ORT_CPU, FLOAT16_DEVICE] };

describe.each(GOLDEN_CASES)('golden %s computing in float16', (name) => {
  it('every mode within the float16-compute tolerance; only dense nodes compute in float16; onnxruntime agrees', async () => {
    const c = goldenAccuracyCase(name);
    const device = await measureAccuracy(c, 'fp16', { runner: interpreterRunner({ roundResults: true }), compile });
    const ort = await measureAccuracy(c, 'fp16', { runner: ortRunner(nodeBackend), compile });
    const rel = precisionTolerance('fp16', true);
    for (const [i, row] of device.entries()) {
      if (row.skipped) continue;
      expect(row.output!.rel).toBe(rel);
      expect(row.output!.ok, describeComparison(`${name} ${row.mode} (float16 device)`, row.output!)).toBe(true);
      if (row.states) expect(row.states.ok, describeComparison(`${name} prefill final states`, row.states)).toBe(true);
      expect(Object.keys(row.report!.computed16)).toEqual(['dense']);
      const o = ort[i]!;
      expect(o.output!.ok, describeComparison(`${name} ${row.mode} (onnxruntime)`, o.output!)).toBe(true);
      const same = compareToReference(o.values!, row.values!, rel);
      expect(same.ok, describeComparison(`${row.mode}: onnxruntime vs the float16 device`, same)).toBe(true);
    }
  });
});
