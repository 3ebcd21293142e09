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
} as const;
