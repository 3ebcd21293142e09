/**
 * Plain float64 arithmetic written from docs/ssm-math.md, sharing nothing with the IR, the builder
 * or the interpreter: the oracle for the DSS and GSS options that the golden cases do not cover.
 * Everything is row-major Float64Array; complex numbers are [re, im] pairs.
 */

/** A tiny seeded generator (LCG + Box-Muller) for test weights and inputs. */
export class TestRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  uniform(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return (this.s + 0.5) / 4294967296;
  }
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
  /** float32-rounded values, as a checkpoint holds them. */
  f32(n: number, f: () => number): Float32Array {
    return Float32Array.from({ length: n }, f);
  }
}

export type Cx = [number, number];
export const cadd = (a: Cx, b: Cx): Cx => [a[0] + b[0], a[1] + b[1]];
export const csub = (a: Cx, b: Cx): Cx => [a[0] - b[0], a[1] - b[1]];
export const cmul = (a: Cx, b: Cx): Cx => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
export const cscale = (a: Cx, s: number): Cx => [a[0] * s, a[1] * s];
export const cconj = (a: Cx): Cx => [a[0], -a[1]];
export const cabs2 = (a: Cx): number => a[0] * a[0] + a[1] * a[1];
export const cdiv = (a: Cx, b: Cx): Cx => cscale(cmul(a, cconj(b)), 1 / cabs2(b));
export const cexp = (a: Cx): Cx => {
  const m = Math.exp(a[0]);
  return [m * Math.cos(a[1]), m * Math.sin(a[1])];
};

/** erf to ~1e-15: Taylor series near 0, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x, sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** nn.LayerNorm over the last dim of rows × d (eps 1e-5, biased variance). */
export function layerNormRows(x: Float64Array, d: number, w: ArrayLike<number>, bias: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i]!;
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + 1e-5);
    for (let i = 0; i < d; i++) out[r * d + i] = (x[r * d + i]! - mean) * inv * w[i]! + bias[i]!;
  }
  return out;
}

/** x [rows, in] · Wᵀ (+ bias) for an nn.Linear weight [out, in]. */
export function linearRows(x: Float64Array, inDim: number, W: ArrayLike<number>, outDim: number, bias?: ArrayLike<number>): Float64Array {
  const rows = x.length / inDim;
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i]! * W[o * inDim + i]!;
      out[r * outDim + o] = s;
    }
  }
  return out;
}

/** Causal linear convolution of one sequence: y_t = Σ_{j ≤ t, j < len(k)} k_j u_{t−j}. */
export function causalConv(u: ArrayLike<number>, k: ArrayLike<number>): Float64Array {
  const L = u.length;
  const y = new Float64Array(L);
  for (let t = 0; t < L; t++) for (let j = 0; j <= t && j < k.length; j++) y[t] += k[j]! * u[t - j]!;
  return y;
}

/** The anti-causal half of a bidirectional kernel (ssm-math.md §2.6): y_t = Σ_{1 ≤ d ≤ len(k1)} k1_{d−1} u_{t+d}. */
export function antiCausalConv(u: ArrayLike<number>, k1: ArrayLike<number>): Float64Array {
  const L = u.length;
  const y = new Float64Array(L);
  for (let t = 0; t < L; t++) for (let d = 1; d <= k1.length && t + d < L; d++) y[t] += k1[d - 1]! * u[t + d]!;
  return y;
}

/** [B, X, Y] → [B, Y, X]. */
export function swapLast(x: ArrayLike<number>, B: number, X: number, Y: number): Float64Array {
  const out = new Float64Array(B * X * Y);
  for (let b = 0; b < B; b++) for (let i = 0; i < X; i++) for (let j = 0; j < Y; j++) out[(b * Y + j) * X + i] = x[(b * X + i) * Y + j]!;
  return out;
}

/** Reverse the middle axis of [B, L, D]. */
export function flipL(x: ArrayLike<number>, B: number, L: number, D: number): Float64Array {
  const out = new Float64Array(B * L * D);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let d = 0; d < D; d++) out[(b * L + l) * D + d] = x[(b * L + (L - 1 - l)) * D + d]!;
  return out;
}
