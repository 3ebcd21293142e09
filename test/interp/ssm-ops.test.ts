import { describe, expect, it } from 'vitest';
import { SSMC_DOMAIN } from '../../ir/node.js';
import type { RTensor } from '../../ir/interp/rtensor.js';
import { c64, f32, i64, maxDiff, run1, values, type AttrValue } from './harness.js';

type Cx = [number, number];
const mul = (a: Cx, b: Cx): Cx => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const add = (a: Cx, b: Cx): Cx => [a[0] + b[0], a[1] + b[1]];
const div = (a: Cx, b: Cx): Cx => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};
const exp = (a: Cx): Cx => [Math.exp(a[0]) * Math.cos(a[1]), Math.exp(a[0]) * Math.sin(a[1])];
const scale = (s: number, a: Cx): Cx => [s * a[0], s * a[1]];

function ssm(op: string, inputs: (RTensor | null)[], a: Record<string, AttrValue> = {}): RTensor {
  return run1(op, inputs, a, { domain: SSMC_DOMAIN });
}

/**
 * Impulse response of the discretised diagonal SSM by running its recurrence:
 * x_k = dA ⊙ x_{k−1} + dB·u_k (x_{−1} = 0, u = δ), y_k = scale · Re Σ_n C_n x_k,n.
 */
function impulseResponse(dA: Cx[], dB: Cx[], C: Cx[], L: number, s: number): number[] {
  let x: Cx[] = dA.map(() => [0, 0]);
  const y: number[] = [];
  for (let k = 0; k < L; k++) {
    const u = k === 0 ? 1 : 0;
    x = x.map((xn, n) => add(mul(dA[n]!, xn), scale(u, dB[n]!)));
    y.push(s * x.reduce((acc, xn, n) => acc + mul(C[n]!, xn)[0], 0));
  }
  return y;
}

// Two features (H = 2), three modes (N = 3), two output channels (C = 2).
const H = 2, N = 3, C = 2, L = 7;
const A: Cx[] = [[-0.5, 1.0], [-0.2, 3.1], [-1.3, -0.4], [-0.05, 0.7], [-0.9, 2.2], [-0.4, -5.0]];
const B: Cx[] = [[1, 0.5], [0.3, -1], [-0.7, 0.2], [0.9, 0.1], [-0.2, 0.4], [1.1, -0.6]];
const Cm: Cx[] = [
  [0.2, -0.3], [1.0, 0.4], [-0.5, 0.5], [0.6, 0.0], [-0.1, -0.8], [0.3, 0.3], // c = 0
  [-0.4, 0.1], [0.7, -0.2], [0.2, 0.9], [-1.0, 0.5], [0.4, 0.4], [0.0, -0.6], // c = 1
];
const dt = [0.1, 0.03];
const BC: Cx[] = Cm.map((c, j) => mul(B[j % (H * N)]!, c));

function expectedKernel(disc: 'zoh' | 'bilinear', s: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < C; c++) {
    for (let h = 0; h < H; h++) {
      const dA: Cx[] = [], dB: Cx[] = [], Cs: Cx[] = [];
      for (let n = 0; n < N; n++) {
        const a = A[h * N + n]!, w = scale(dt[h]!, a);
        if (disc === 'zoh') {
          dA.push(exp(w));
          dB.push(mul(div(add(exp(w), [-1, 0]), a), B[h * N + n]!));
        } else {
          const den: Cx = [1 - w[0] / 2, -w[1] / 2];
          dA.push(div([1 + w[0] / 2, w[1] / 2], den));
          dB.push(mul(div([dt[h]!, 0], den), B[h * N + n]!));
        }
        Cs.push(Cm[(c * H + h) * N + n]!);
      }
      out.push(...impulseResponse(dA, dB, Cs, L, s));
    }
  }
  return out;
}

describe('ai.ssmc kernels in the reference interpreter', () => {
  const inputs = (dtDims: number[]) => [
    f32(dtDims, dtDims[1] === 1 ? dt : dt.flatMap((d) => [d, d, d])),
    c64([H, N], A),
    c64([C, H, N], BC),
    i64([], [L]),
  ];

  it.each([['zoh', 2], ['bilinear', 1]] as const)('DiagSSMKernel (%s, scale %i) equals the impulse response of the recurrence', (disc, s) => {
    for (const dtDims of [[H, 1], [H, N]]) {
      const k = ssm('DiagSSMKernel', inputs(dtDims), { disc, scale: s });
      expect(k.dims).toEqual([C, H, L]);
      expect(k.dtype).toBe('float32');
      expect(maxDiff(values(k), expectedKernel(disc, s))).toBeLessThan(1e-13);
    }
  });

  it('DiagSSMKernel rejects an unknown discretisation', () => {
    expect(() => ssm('DiagSSMKernel', inputs([H, 1]), { disc: 'euler', scale: 1 })).toThrow(/disc/);
  });

  it('Vandermonde: K = scale · Re Σ coef · exp(λ l), with λ per feature or shared', () => {
    const lambda: Cx[] = [[-0.1, 0.5], [-0.3, -1.0]]; // shared [N = 2]
    const coef: Cx[] = [[1, 2], [0.5, -1], [2, 0], [-1, 1]]; // [C = 1, H = 2, N = 2]
    const want: number[] = [];
    for (let h = 0; h < 2; h++) {
      for (let l = 0; l < 4; l++) {
        let s = 0;
        for (let n = 0; n < 2; n++) s += mul(coef[h * 2 + n]!, exp(scale(l, lambda[n]!)))[0];
        want.push(3 * s);
      }
    }
    const shared = ssm('Vandermonde', [c64([2], lambda), c64([1, 2, 2], coef), i64([], [4])], { scale: 3.0 });
    expect(shared.dims).toEqual([1, 2, 4]);
    expect(maxDiff(values(shared), want)).toBeLessThan(1e-14);
    const perFeature = ssm('Vandermonde', [c64([2, 2], [...lambda, ...lambda]), c64([1, 2, 2], coef), i64([], [4])], { scale: 3.0 });
    expect(maxDiff(values(perFeature), want)).toBeLessThan(1e-14);
  });

  it('FFTConv: causal convolution by hand', () => {
    // u = [1, 2, 3, 4], k = [1, 10, 100]: y_t = Σ_{j ≤ t, j < 3} k_j u_{t−j}
    const y = ssm('FFTConv', [f32([1, 1, 4], [1, 2, 3, 4]), f32([1, 1, 3], [1, 10, 100])]);
    expect(y.dims).toEqual([1, 1, 1, 4]);
    expect(values(y)).toEqual([1, 12, 123, 234]);
  });

  it('FFTConv with k_rev adds the anti-causal part, whose first tap multiplies u[t+1]', () => {
    // anti-causal: y_t += Σ_{s > t} k_rev[s − t − 1] u_s with k_rev = [0.5, 0.25, 0.125]
    const y = ssm('FFTConv', [f32([1, 1, 4], [1, 2, 3, 4]), f32([1, 1, 3], [1, 10, 100]), f32([1, 1, 3], [0.5, 0.25, 0.125])]);
    const anti = [0.5 * 2 + 0.25 * 3 + 0.125 * 4, 0.5 * 3 + 0.25 * 4, 0.5 * 4, 0];
    expect(values(y)).toEqual([1, 12, 123, 234].map((v, t) => v + anti[t]!));
  });

  it('FFTConv: every batch, channel and feature', () => {
    // B = 2, H = 2, C = 2, L = 3, Lk = 2
    const u = [1, 2, 3, /* h1 */ -1, 0, 1, /* b1 */ 2, 2, 2, /* h1 */ 0, 1, 0];
    const k = [1, 1, /* h1 */ 2, 0, /* c1 */ 0, 1, /* h1 */ 1, -1];
    const y = ssm('FFTConv', [f32([2, 2, 3], u), f32([2, 2, 2], k)]);
    expect(y.dims).toEqual([2, 2, 2, 3]);
    expect(values(y)).toEqual([
      1, 3, 5, /* c0 h1 */ -2, 0, 2, /* c1 h0 */ 0, 1, 2, /* c1 h1 */ -1, 1, 1,
      2, 4, 4, /* c0 h1 */ 0, 2, 0, /* c1 h0 */ 0, 2, 2, /* c1 h1 */ 0, 1, -1,
    ]);
  });

  it('Complex, Real, Imag and Conj', () => {
    const z = ssm('Complex', [f32([2], [1, 2]), f32([], [-3])]);
    expect(z.dtype).toBe('complex64');
    expect(values(z)).toEqual([1, -3, 2, -3]);
    expect(values(ssm('Real', [z]))).toEqual([1, 2]);
    expect(values(ssm('Imag', [z]))).toEqual([-3, -3]);
    expect(ssm('Real', [z]).dtype).toBe('float32');
    expect(values(ssm('Conj', [z]))).toEqual([1, 3, 2, 3]);
  });
});
