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
} as const;
