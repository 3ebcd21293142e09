/**
 * The S4 DPLR compile-time estimate counts the work the current algorithm does (s4-dplr-cost.ts):
 * products quasi-triangular in a shared Schur basis for a fresh model, dense for a checkpoint
 * whose copies differ; the taps or the chunk weights at a fixed length, the C~ table at a dynamic
 * one. Its calibration against measured compiles is the compile-time benchmark's estimate column.
 */
import { describe, expect, it } from 'vitest';
import { findArch } from 'ssmc';
import type { CompileCostTarget } from '../../src/models/arch.js';

function estimate(args: Record<string, unknown>, target: Partial<CompileCostTarget> = {}) {
  const parts = findArch('s4-block').configure({ mode: 'dplr', ...args }).compileCost({ seqLen: 1024, mode: 'conv', fresh: true, ...target });
  expect(parts).toHaveLength(1);
  return parts[0]!;
}

describe('S4 DPLR compile cost', () => {
  it('the LRA-CIFAR layer (H=512, d_state 64, bidirectional) at L=1024: seconds, not the minute and a half the dense-matrix count gave', () => {
    const p = estimate({ d_model: 512, d_state: 64, bidirectional: true });
    expect(p.what).toMatch(/H=512, d_state=64, Schur basis shared by features/);
    expect(p.what).toMatch(/the taps at L=1024/);
    expect(p.seconds).toBeGreaterThan(0.3);
    expect(p.seconds).toBeLessThan(5);
  });

  it('a checkpoint whose copies may differ (n_ssm = H) is priced dense, ~3× the shared Schur basis; n_ssm = 1 and a fresh model share it', () => {
    const fresh = estimate({ d_model: 256, d_state: 128 }, { seqLen: null });
    const dense = estimate({ d_model: 256, d_state: 128 }, { seqLen: null, fresh: false });
    const tied = estimate({ d_model: 256, d_state: 128, n_ssm: 1 }, { seqLen: null, fresh: false });
    expect(dense.what).toMatch(/dense per feature/);
    expect(tied.what).toMatch(/Schur basis shared/);
    expect(fresh.what).toMatch(/Schur basis shared/);
    expect(dense.seconds / tied.seconds).toBeGreaterThan(2.5);
    expect(dense.seconds / tied.seconds).toBeLessThan(3.5);
  });

  it('a dynamic length prices the C~ table up to 2^20 positions; a fixed one the row it needs and the taps, growing with L', () => {
    expect(estimate({ d_model: 64, d_state: 64 }, { seqLen: null }).what).toMatch(/C~ table for 11 kernel lengths up to 1048576/);
    const short = estimate({ d_model: 64, d_state: 64, bidirectional: true }, { seqLen: 1024 });
    const long = estimate({ d_model: 64, d_state: 64, bidirectional: true }, { seqLen: 65536 });
    expect(long.what).toMatch(/C~ at L_int=65536 and the taps at L=65536/);
    expect(long.seconds).toBeGreaterThan(20 * short.seconds);
  });

  it('a causal kernel may take the chunked lowering instead: the larger of the taps and the dense chunk weights is counted', () => {
    expect(estimate({ d_model: 32, d_state: 256 }, { seqLen: 16384 }).what).toMatch(/the chunk weights at L=16384/);
    expect(estimate({ d_model: 32, d_state: 256, bidirectional: true }, { seqLen: 16384 }).what).toMatch(/the taps at L=16384/);
  });

  it('step and prefill graphs: the stepper and its diagonal check; a diagonal (S4D) kernel costs nothing here', () => {
    expect(estimate({ d_model: 64, d_state: 64 }, { mode: 'step', seqLen: null }).what).toMatch(/the stepper's parameters and its diagonal check/);
    expect(estimate({ d_model: 64, d_state: 64 }, { mode: 'prefill' }).what).toMatch(/the prefill weights/);
    expect(findArch('s4-block').configure({ mode: 'diag', d_model: 64, d_state: 64 }).compileCost({ seqLen: 1024, mode: 'conv', fresh: true })).toEqual([]);
  });
});
