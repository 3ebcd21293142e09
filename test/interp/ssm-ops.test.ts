import { describe, expect, it } from 'vitest';
import { type RTensor, SSMC_DOMAIN } from 'ssmc/ir';
import { c64, f32, f64, i64, maxDiff, run, run1, values, type AttrValue } from './harness.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

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

  /** Discretize then Vandermonde, as lower-discretize and the diagonal LongConv compose them. */
  const kernelOf = (disc: string, s: number, dtDims: number[]) => {
    const [lambda, coef] = run('Discretize', inputs(dtDims).slice(0, 3), { disc }, { domain: SSMC_DOMAIN, outputs: 2 });
    return ssm('Vandermonde', [lambda!, coef!, i64([], [L])], { scale: s });
  };

  it.each([['zoh', 2], ['bilinear', 1]] as const)('Discretize (%s) then Vandermonde (scale %i) equals the impulse response of the recurrence', (disc, s) => {
    for (const dtDims of [[H, 1], [H, N]]) {
      const k = kernelOf(disc, s, dtDims);
      expect(k.dims).toEqual([C, H, L]);
      expect(k.dtype).toBe('float32');
      expect(maxDiff(values(k), expectedKernel(disc, s))).toBeLessThan(TOL.F64_LONG_SUMS);
    }
  });

  it('Discretize gives λ [H,N] and coef [C,H,N], complex', () => {
    const [lambda, coef] = run('Discretize', inputs([H, 1]).slice(0, 3), { disc: 'zoh' }, { domain: SSMC_DOMAIN, outputs: 2 });
    expect([lambda!.dtype, lambda!.dims, coef!.dtype, coef!.dims]).toEqual(['complex64', [H, N], 'complex64', [C, H, N]]);
    // zoh: λ = dt·A exactly.
    expect(maxDiff(values(lambda!), A.flatMap((a, i) => scale(dt[Math.floor(i / N)]!, a)))).toBeLessThan(TOL.F64_LONG_SUMS);
  });

  it('Discretize rejects an unknown discretisation', () => {
    expect(() => run('Discretize', inputs([H, 1]).slice(0, 3), { disc: 'euler' }, { domain: SSMC_DOMAIN, outputs: 2 })).toThrow(/disc must be 'zoh' or 'bilinear', got 'euler'/);
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
    expect(maxDiff(values(shared), want)).toBeLessThan(TOL.F64_SUMS);
    const perFeature = ssm('Vandermonde', [c64([2, 2], [...lambda, ...lambda]), c64([1, 2, 2], coef), i64([], [4])], { scale: 3.0 });
    expect(maxDiff(values(perFeature), want)).toBeLessThan(TOL.F64_SUMS);
  });

  it('LongConv (taps): causal convolution by hand', () => {
    // u = [1, 2, 3, 4], k = [1, 10, 100]: y_t = Σ_{j ≤ t, j < 3} k_j u_{t−j}
    const y = ssm('LongConv', [f32([1, 1, 4], [1, 2, 3, 4]), f32([1, 1, 3], [1, 10, 100])]);
    expect(y.dims).toEqual([1, 1, 1, 4]);
    expect(values(y)).toEqual([1, 12, 123, 234]);
  });

  it('LongConv with k_rev adds the anti-causal part, whose first tap multiplies u[t+1]', () => {
    // anti-causal: y_t += Σ_{s > t} k_rev[s − t − 1] u_s with k_rev = [0.5, 0.25, 0.125]
    const y = ssm('LongConv', [f32([1, 1, 4], [1, 2, 3, 4]), f32([1, 1, 3], [1, 10, 100]), f32([1, 1, 3], [0.5, 0.25, 0.125])]);
    const anti = [0.5 * 2 + 0.25 * 3 + 0.125 * 4, 0.5 * 3 + 0.25 * 4, 0.5 * 4, 0];
    expect(values(y)).toEqual([1, 12, 123, 234].map((v, t) => v + anti[t]!));
  });

  it('LongConv: every batch, channel and feature', () => {
    // B = 2, H = 2, C = 2, L = 3, Lk = 2
    const u = [1, 2, 3, /* h1 */ -1, 0, 1, /* b1 */ 2, 2, 2, /* h1 */ 0, 1, 0];
    const k = [1, 1, /* h1 */ 2, 0, /* c1 */ 0, 1, /* h1 */ 1, -1];
    const y = ssm('LongConv', [f32([2, 2, 3], u), f32([2, 2, 2], k)]);
    expect(y.dims).toEqual([2, 2, 2, 3]);
    expect(values(y)).toEqual([
      1, 3, 5, /* c0 h1 */ -2, 0, 2, /* c1 h0 */ 0, 1, 2, /* c1 h1 */ -1, 1, 1,
      2, 4, 4, /* c0 h1 */ 0, 2, 0, /* c1 h0 */ 0, 2, 2, /* c1 h1 */ 0, 1, -1,
    ]);
  });

  // One input signal for the kernel forms below: B = 1, H = 2, L = 7.
  const u = f32([1, H, L], [0.3, -1, 2, 0.5, 0, 1.5, -0.7, /* h1 */ 1, 0.2, -0.4, 0, 2, -1, 0.6]);
  /** The convolution of `u` with taps k [C,H,L] (and k_rev) by the taps form. */
  const byTaps = (k: RTensor, kRev: RTensor | null = null) => ssm('LongConv', kRev ? [u, k, kRev] : [u, k]);

  it('LongConv (diagonal) is the convolution with the Vandermonde kernel of its (λ, coef), up to its length', () => {
    const [lambda, coef] = run('Discretize', inputs([H, 1]).slice(0, 3), { disc: 'zoh' }, { domain: SSMC_DOMAIN, outputs: 2 });
    const kernel = (len: number) => ssm('Vandermonde', [lambda!, coef!, i64([], [len])], { scale: 2 });
    for (const len of [L, 3, 100]) {
      const y = ssm('LongConv', [u, lambda!, coef!, i64([], [len])], { kernel: 'diagonal', scale: 2.0 });
      expect(y.dims).toEqual([1, C, H, L]);
      expect(maxDiff(values(y), values(byTaps(kernel(Math.min(len, L)))))).toBeLessThan(TOL.F64_LONG_SUMS);
    }
    // Bidirectional: the reverse side is a second (λ, coef) of the same length and scale.
    const y = ssm('LongConv', [u, lambda!, coef!, i64([], [L]), lambda!, coef!], { kernel: 'diagonal', scale: 2.0 });
    expect(maxDiff(values(y), values(byTaps(kernel(L), kernel(L))))).toBeLessThan(TOL.F64_LONG_SUMS);
  });

  it('LongConv (dense) is the convolution with K_l = C·A^l·B', () => {
    const S = 2;
    // Per feature a rotation-and-decay A, so A^l has a closed form: r^l·[[cos lθ, −sin lθ], [sin lθ, cos lθ]].
    const r = [0.9, 0.7], th = [0.4, -1.1];
    const Av = r.flatMap((rh, h) => [rh * Math.cos(th[h]!), -rh * Math.sin(th[h]!), rh * Math.sin(th[h]!), rh * Math.cos(th[h]!)]);
    const Bv = [1, 0.5, -0.3, 2]; // [H,S]
    const Cv = [0.2, -1, 0.7, 0.4, /* c1 */ 1, 1, -0.5, 0.1]; // [C,H,S]
    const taps: number[] = [];
    for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) {
      const rl = r[h]! ** l, cs = Math.cos(l * th[h]!), sn = Math.sin(l * th[h]!);
      const [b0, b1] = [Bv[h * S]!, Bv[h * S + 1]!];
      const x = [rl * (cs * b0 - sn * b1), rl * (sn * b0 + cs * b1)]; // A^l·B
      taps.push(Cv[(c * H + h) * S]! * x[0]! + Cv[(c * H + h) * S + 1]! * x[1]!);
    }
    const y = ssm('LongConv', [u, f64([H, S, S], Av), f64([H, S], Bv), f64([C, H, S], Cv)], { kernel: 'dense' });
    expect(y.dims).toEqual([1, C, H, L]);
    expect(maxDiff(values(y), values(byTaps(f32([C, H, L], taps))))).toBeLessThan(TOL.F64_LONG_SUMS);
  });

  it('LongConv rejects an unknown kernel form', () => {
    expect(() => ssm('LongConv', [u, f32([1, H, 2], [1, 2, 3, 4])], { kernel: 'sparse' })).toThrow(/attribute 'kernel' must be taps, diagonal or dense, got 'sparse'/);
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
