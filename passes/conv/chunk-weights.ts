import type { RTensor } from '../../ir/interp/rtensor.js';

/**
 * The chunked lowering's weights of a diagonal SSM (K_l = scale·Re Σ_n coef_n·μ_n^l, μ = exp(λ)),
 * computed at compile time in float64 and rounded to float32 once, as they are stored. The graph
 * form of the same weights (chunked.ts) is ~20 ops per layer over [C,H,T,T] and [C,H,2N,T]
 * tensors that the constant folder would walk node by node, each a fresh float64 tensor; here one
 * pass per channel writes every weight in place from a small table of μ^j (N·(T+1) complex
 * values, cache-resident, reused by the next channel), so the only memory touched is the
 * weights' own.
 *
 * Sizes: H channels of N complex modes (λ [H,N], or [N] for modes shared by every channel, as in
 * DSS and GSS), C output channels (coef [C,H,N]), chunks of T positions. Costs are in
 * multiply-adds; nothing is allocated per element.
 */
export interface DiagChunkSource {
  /** λ as interleaved (re, im) float64 pairs, dims [H,N] or [N]. */
  lambda: RTensor;
  /** The coefficients as interleaved pairs, dims [C,H,N]. */
  coef: RTensor;
  scale: number;
  T: number;
}

export interface DiagChunkWeights {
  /**
   * A chunk's own end state from its inputs, as the right factor of u_chunk [.., T]: row j holds
   * (Re | Im) μ_n^{T−1−j}. [H,T,2N], or [T,2N] for shared modes.
   */
  toState: Float32Array;
  /**
   * Per-channel modes: the intra-chunk Toeplitz block (rows j < T: block[j,i] = K_{i−j} for i ≥ j,
   * else 0) stacked on the output weights from the carried state (rows T+n and T+N+n: Re and −Im
   * of Z[n,i] = scale·coef_n·μ_n^{i+1}), so one MatMul serves both. [C,H,T+2N,T].
   */
  stacked?: Float32Array;
  /** Shared modes: the Toeplitz blocks alone, [C,H,T,T]. */
  toeplitz?: Float32Array;
  /** Shared modes: the output from coefficient-weighted states, rows (Re | −Im) μ_n^{i+1}, [2N,T]. */
  shared?: Float32Array;
}

/** The dims of a diagonal source: C, H, N and whether the modes are shared by every channel. */
export function diagDims(s: DiagChunkSource): { C: number; H: number; N: number; shared: boolean } {
  const [C, H, N] = s.coef.dims as [number, number, number];
  return { C, H, N, shared: s.lambda.dims.length === 1 };
}

/**
 * μ_n^j for j = 0..T of the N modes starting at mode `first`, into re/im [N, T+1] (reused
 * scratch). By repeated multiplication from μ = exp(λ): O(N·T). Each step adds at most ~2 ulp of
 * relative error, so μ^T (T ≤ 128) is within ~3e-14 of exp(λ·T) — six orders below the float32
 * rounding every weight undergoes — where exp/cos/sin per entry would cost ~20× more.
 */
function powersInto(re: Float64Array, im: Float64Array, lambda: Float64Array, first: number, N: number, T: number): void {
  const W = T + 1;
  for (let n = 0; n < N; n++) {
    const m = first + n;
    const mag = Math.exp(lambda[2 * m]!), ang = lambda[2 * m + 1]!;
    const ur = mag * Math.cos(ang), ui = mag * Math.sin(ang);
    let pr = 1, pi = 0;
    const o = n * W;
    for (let j = 0; j <= T; j++) {
      re[o + j] = pr;
      im[o + j] = pi;
      const nr = pr * ur - pi * ui;
      pi = pr * ui + pi * ur;
      pr = nr;
    }
  }
}

/** toState rows of one channel (or of the shared modes) at `at`: [T,2N]. O(N·T). */
function writeToState(out: Float32Array, at: number, re: Float64Array, im: Float64Array, N: number, T: number): void {
  const W = T + 1, S = 2 * N;
  for (let n = 0; n < N; n++) {
    const o = n * W + T - 1;
    for (let j = 0, r = at + n; j < T; j++, r += S) {
      out[r] = re[o - j]!;
      out[r + N] = im[o - j]!;
    }
  }
}

/**
 * The first T taps of output channel c, channel h into `taps` (float64, reused):
 * K_j = scale·Re Σ_n coef_n·μ_n^j. O(N·T).
 */
function tapsInto(taps: Float64Array, s: DiagChunkSource, c: number, h: number, H: number, N: number, re: Float64Array, im: Float64Array): void {
  const T = s.T, W = T + 1, cf = s.coef.data;
  taps.fill(0);
  for (let n = 0; n < N; n++) {
    const k = 2 * ((c * H + h) * N + n);
    const cr = s.scale * cf[k]!, ci = s.scale * cf[k + 1]!;
    const o = n * W;
    for (let j = 0; j < T; j++) taps[j] += cr * re[o + j]! - ci * im[o + j]!;
  }
}

/** One Toeplitz block at `at` (rows of T, zeros below the diagonal already there): O(T²) stores. */
function writeToeplitz(out: Float32Array, at: number, taps: Float64Array, T: number): void {
  for (let j = 0; j < T; j++) {
    const r = at + j * T;
    for (let i = j; i < T; i++) out[r + i] = taps[i - j]!;
  }
}

/** The carried-state rows of output channel c, channel h at `at` ([2N,T], after its Toeplitz rows). O(N·T). */
function writeFromState(out: Float32Array, at: number, s: DiagChunkSource, c: number, h: number, H: number, N: number, re: Float64Array, im: Float64Array): void {
  const T = s.T, W = T + 1, cf = s.coef.data;
  for (let n = 0; n < N; n++) {
    const k = 2 * ((c * H + h) * N + n);
    const cr = s.scale * cf[k]!, ci = s.scale * cf[k + 1]!;
    const o = n * W + 1, rr = at + n * T, ri = at + (N + n) * T;
    for (let i = 0; i < T; i++) {
      const pr = re[o + i]!, pi = im[o + i]!;
      out[rr + i] = cr * pr - ci * pi;
      out[ri + i] = -(cr * pi + ci * pr);
    }
  }
}

/**
 * Every weight of the chunked form, channel by channel. Per-channel modes: O(H·N·T) for the
 * powers and toState, O(C·H·(N·T + T²)) for the taps, the Toeplitz blocks and the carried-state
 * rows. Shared modes: the powers, toState and the shared rows once, O(N·T); the taps and
 * Toeplitz blocks O(C·H·(N·T + T²)).
 */
export function diagChunkWeights(s: DiagChunkSource): DiagChunkWeights {
  const { C, H, N, shared } = diagDims(s);
  const T = s.T, W = T + 1, S = 2 * N;
  const re = new Float64Array(N * W), im = new Float64Array(N * W), taps = new Float64Array(T);
  const lambda = s.lambda.data;
  if (shared) {
    powersInto(re, im, lambda, 0, N, T);
    const toState = new Float32Array(T * S);
    writeToState(toState, 0, re, im, N, T);
    const rows = new Float32Array(S * T);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < T; i++) {
        rows[n * T + i] = re[n * W + i + 1]!;
        rows[(N + n) * T + i] = -im[n * W + i + 1]!;
      }
    }
    const toeplitz = new Float32Array(C * H * T * T);
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        tapsInto(taps, s, c, h, H, N, re, im);
        writeToeplitz(toeplitz, (c * H + h) * T * T, taps, T);
      }
    }
    return { toState, toeplitz, shared: rows };
  }
  const toState = new Float32Array(H * T * S);
  const block = (T + S) * T;
  const stacked = new Float32Array(C * H * block);
  for (let h = 0; h < H; h++) {
    powersInto(re, im, lambda, h * N, N, T);
    writeToState(toState, h * T * S, re, im, N, T);
    for (let c = 0; c < C; c++) {
      const at = (c * H + h) * block;
      tapsInto(taps, s, c, h, H, N, re, im);
      writeToeplitz(stacked, at, taps, T);
      writeFromState(stacked, at + T * T, s, c, h, H, N, re, im);
    }
  }
  return { toState, stacked };
}
