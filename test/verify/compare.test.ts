import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, TOLERANCES } from 'ssmc';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

describe('compareToReference and describeComparison', () => {
  it('bounds max|Δ| by rel · max(1, peak) and names the first bad index', () => {
    const c = compareToReference([1, 2.5, 3], [1, 2, 3], 0.1);
    expect(c).toMatchObject({ maxAbs: 0.5, peak: 3, rel: 0.1, ok: false, firstBad: 1 });
    expect(c.bound).toBeCloseTo(0.3, TOL.F64_DIGITS);
    expect(compareToReference([1, 2, 3.2], [1, 2, 3], 0.1).ok).toBe(true);
  });

  it('prints the bound it was given, not a fixed one', () => {
    expect(describeComparison('tight', compareToReference([1, 2], [1, 2], 1e-6))).toBe('tight: max|Δ| = 0.000e+0 (bound 2.0e-6 = 1e-6·max(1, peak 2.000)) PASS');
    expect(describeComparison('default', compareToReference([1], [1]))).toContain(`= ${TOLERANCES.REL_TO_PEAK.toExponential(0)}·max(1,`);
  });

  it('a NaN fails, wherever it is', () => {
    const c = compareToReference([1, NaN], [1, 1]);
    expect(c.ok).toBe(false);
    expect(c.firstBad).toBe(1);
    expect(describeComparison('nan', c)).toMatch(/FAIL \(first bad index 1\)/);
  });
});
