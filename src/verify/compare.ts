import { TOLERANCES } from './tolerances.js';

export interface Comparison {
  maxAbs: number;
  /** max|reference|, the scale the bound is relative to. */
  peak: number;
  /** The relative tolerance the bound was made of: bound = rel · max(1, peak). */
  rel: number;
  bound: number;
  ok: boolean;
  /** First index breaking the bound (or holding a NaN), −1 if none. */
  firstBad: number;
}

/** Compare an output with its reference under max|Δ| ≤ rel · max(1, max|ref|). */
export function compareToReference(actual: ArrayLike<number>, reference: ArrayLike<number>, rel: number = TOLERANCES.REL_TO_PEAK): Comparison {
  if (actual.length !== reference.length) {
    throw new Error(`output has ${actual.length} values but the reference has ${reference.length}`);
  }
  let peak = 0;
  for (let i = 0; i < reference.length; i++) peak = Math.max(peak, Math.abs(reference[i]!));
  const bound = rel * Math.max(1, peak);
  let maxAbs = 0;
  let firstBad = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - reference[i]!);
    if (!(d <= bound) && firstBad < 0) firstBad = i;
    if (Number.isNaN(d)) maxAbs = NaN;
    else if (d > maxAbs) maxAbs = d;
  }
  return { maxAbs, peak, rel, bound, ok: firstBad < 0, firstBad };
}

export function describeComparison(name: string, c: Comparison): string {
  const verdict = c.ok ? 'PASS' : `FAIL (first bad index ${c.firstBad})`;
  return `${name}: max|Δ| = ${c.maxAbs.toExponential(3)} (bound ${c.bound.toExponential(1)} = ${c.rel.toExponential(0)}·max(1, peak ${c.peak.toPrecision(4)})) ${verdict}`;
}

/** A comparison in a few words, for a progress line: 'PASS (max|Δ| 1.2e-6)'. */
export function verdict(c: Comparison): string {
  return `${c.ok ? 'PASS' : 'FAIL'} (max|Δ| ${c.maxAbs.toExponential(1)})`;
}
