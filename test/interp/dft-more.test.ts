import { describe, expect, it } from 'vitest';
import type { RTensor } from 'ssmc/ir';
import { rt } from '../../ir/interp/rtensor.js';
import { f32, i64, maxDiff, run1, values } from './harness.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/** X_k = Σ_m x_m e^{∓2πikm/n} (1/n for the inverse), with the signal cut or zero-padded to n. */
function naiveDft(re: number[], im: number[], n: number, inverse: boolean): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let a = 0, b = 0;
    for (let m = 0; m < Math.min(n, re.length); m++) {
      const ang = ((inverse ? 2 : -2) * Math.PI * ((k * m) % n)) / n;
      a += re[m]! * Math.cos(ang) - (im[m] ?? 0) * Math.sin(ang);
      b += re[m]! * Math.sin(ang) + (im[m] ?? 0) * Math.cos(ang);
    }
    out.push(inverse ? a / n : a, inverse ? b / n : b);
  }
  return out;
}

/** DFT along axis 1 of [1, len, c], in the opset's own form (axis attribute or input). */
function dft(opset: number, x: RTensor, flags: { inverse?: number; onesided?: number }, n?: number, axis = 1): RTensor {
  const len = n === undefined ? null : i64([], [n]);
  if (opset >= 20) return run1('DFT', [x, len, i64([], [axis])], flags, { opset });
  return run1('DFT', [x, len], { ...flags, axis }, { opset });
}

const signal = (n: number, phase = 0) => Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + phase) + 0.1 * i);

describe.each([17, 20])('DFT, opset %i', (opset) => {
  it.each([8, 12, 100])('inverse of a complex signal of length %i matches the definition', (n) => {
    const re = signal(n), im = signal(n, 0.7);
    const x = rt('float32', [1, n, 2], Float64Array.from(re.flatMap((v, i) => [v, im[i]!])));
    const y = dft(opset, x, { inverse: 1 });
    expect(y.dims).toEqual([1, n, 2]);
    expect(maxDiff(values(y), naiveDft(re, im, n, true))).toBeLessThan(TOL.F64_LONG_SUMS);
  });

  it.each([[12, 8], [8, 12]])('dft_length cuts or zero-pads a complex signal of length %i to %i', (len, n) => {
    const re = signal(len), im = signal(len, 2);
    const x = rt('float32', [1, len, 2], Float64Array.from(re.flatMap((v, i) => [v, im[i]!])));
    const y = dft(opset, x, {}, n);
    expect(y.dims).toEqual([1, n, 2]);
    expect(maxDiff(values(y), naiveDft(re, im, n, false))).toBeLessThan(TOL.F64_REORDERED);
  });

  it.each([8, 16, 9, 100])('irfft(rfft(x)) = x for n = %i', (n) => {
    const x = f32([1, n, 1], signal(n));
    const spectrum = dft(opset, x, { onesided: 1 });
    expect(spectrum.dims).toEqual([1, Math.floor(n / 2) + 1, 2]);
    const back = dft(opset, spectrum, { inverse: 1, onesided: 1 }, n);
    expect(back.dims).toEqual([1, n, 1]);
    expect(maxDiff(values(back), signal(n))).toBeLessThan(TOL.F64_LONG_SUMS);
  });

  it('the one-sided inverse completes the spectrum by Hermitian symmetry (n = 8)', () => {
    // X = [4, 1−i, 0, 2i, 6] as bins 0..4 of an 8-point spectrum; its full form adds conj(X_k) at 8−k.
    const bins: [number, number][] = [[4, 0], [1, -1], [0, 0], [0, 2], [6, 0]];
    const full = [...bins, [0, -2], [0, 0], [1, 1]] as [number, number][];
    const want = naiveDft(full.map((b) => b[0]), full.map((b) => b[1]), 8, true).filter((_, i) => i % 2 === 0);
    const y = dft(opset, rt('float32', [1, 5, 2], Float64Array.from(bins.flat())), { inverse: 1, onesided: 1 }, 8);
    expect(maxDiff(values(y), want)).toBeLessThan(TOL.F64_FEW_OPS);
  });

  it('transforms along axis 0 of a [n, 2, 1] tensor', () => {
    const a = signal(6), b = signal(6, 1);
    const x = f32([6, 2, 1], a.flatMap((v, i) => [v, b[i]!]));
    const y = dft(opset, x, {}, undefined, 0);
    expect(y.dims).toEqual([6, 2, 2]);
    const ya = naiveDft(a, [], 6, false), yb = naiveDft(b, [], 6, false);
    const want: number[] = [];
    for (let k = 0; k < 6; k++) want.push(ya[2 * k]!, ya[2 * k + 1]!, yb[2 * k]!, yb[2 * k + 1]!);
    expect(maxDiff(values(y), want)).toBeLessThan(TOL.F64_LONG_SUMS);
  });

  it('rejects a last dimension that is neither 1 nor 2', () => {
    expect(() => dft(opset, f32([1, 2, 3], [1, 2, 3, 4, 5, 6]), {})).toThrow(/last dimension/);
  });
});
