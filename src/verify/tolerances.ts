import { FORMATS, type Precision } from '../../passes/precision/formats.js';

/**
 * Every numeric tolerance of the project, named, with why it is what it is.
 */
export const TOLERANCES = {
  /**
   * float32 graph vs float64 reference: max|y − y_ref| ≤ REL_TO_PEAK · max(1, max|y_ref|).
   * float32 FFT convolution over L taps accumulates ~√L·eps relative error and the kernel's
   * phase λ·l is formed in float32 (as the official code does); 1e-4 of the output's peak leaves
   * room for both while catching any real lowering bug (those are O(1) errors).
   */
  REL_TO_PEAK: 1e-4,
  /**
   * S4 DPLR diagonal stepper (src/models/dplr-diagonal.ts), checked at compile time in float64:
   * Σ_l |h_diag − h_dense| / Σ_l |h_dense| over the impulse response. ‖Δh‖₁ bounds the output
   * error for any bounded input relative to the worst-case output ‖h‖₁·max|u|, so this is the
   * relative output error the basis change alone can add. 1e-5 is a tenth of REL_TO_PEAK: the
   * float32 graph still has its own rounding to spend. A well-conditioned basis gives ~1e-13.
   */
  DPLR_DIAGONAL_IMPULSE_L1: 1e-5,
  /**
   * Same stepper: Σ_l Σ_k 2|coef_k||μ_k|^l / Σ_l |h_l|, how much larger the terms of the float32
   * modal sum are than the response they add up to. float32 rounds each term by ~6e-8 of its
   * size, so the graph's relative error is about this factor × 6e-8 (× a few for the state
   * recurrence); 100 keeps that near 1e-5, again a tenth of REL_TO_PEAK.
   */
  DPLR_DIAGONAL_AMPLIFICATION: 100,
  /**
   * A 16-bit graph (--precision fp16|bf16) computing in float32 vs the float64 reference:
   * max|Δ| ≤ (STORAGE_ROUNDINGS·u + REL_TO_PEAK)·max(1, peak), u the format's unit roundoff
   * (2^-11 float16, 2^-8 bfloat16). Each weight is rounded once, by at most u relatively; an
   * output depends on its weights through a few stages (kernel or spectrum, skip, projection,
   * bias; a norm and the logits in a language model), each adding at most u times its terms'
   * magnitudes, which stay within twice its peak in these models: 4 stages × 2 = 8 u. Measured
   * (README, `node dist/bench/precision-accuracy.js`): at most 1.5 u on the golden cases; 1.0-1.6 u
   * on the 6-layer gss-code model (`npm run bench -- --only precision`). The float32 compute error
   * is REL_TO_PEAK's, added.
   */
  STORAGE_ROUNDINGS: 8,
  /**
   * The same for an fp16 graph that computes in float16 (a runtime with float16 kernels): each
   * float16 op also rounds its result by u — a layer's dense chain is up to 8 such ops
   * (projection, bias, GELU's four, gate) on top of the 8 u of its weights: 16 u. Measured on a
   * device that rounds every op's result (the interpreter's roundResults): at most 3.5 u on the
   * golden outputs, 6.5 u on the GSS LM's prefill final states.
   */
  COMPUTE_ROUNDINGS: 16,
} as const;

/**
 * The tolerance (relative to max(1, peak)) of a graph of this precision against the float64
 * reference: REL_TO_PEAK for fp32, plus the 16-bit roundings for fp16 and bf16.
 */
export function precisionTolerance(precision: Precision, computes16 = false): number {
  if (precision === 'fp32') return TOLERANCES.REL_TO_PEAK;
  return TOLERANCES.REL_TO_PEAK + (computes16 ? TOLERANCES.COMPUTE_ROUNDINGS : TOLERANCES.STORAGE_ROUNDINGS) * FORMATS[precision].unitRoundoff;
}
