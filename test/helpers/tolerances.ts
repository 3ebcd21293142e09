/**
 * The tolerances of the tests, named, each with why it is what it is. A graph against its
 * reference uses src/verify/tolerances.ts (TOLERANCES.REL_TO_PEAK); these bound the other
 * comparisons: float64 code against closed forms, float32 storage, one algorithm against another.
 * ε = 2.2e-16 (float64) and 2^-24 ≈ 6e-8 (float32, relative).
 */
export const TEST_TOLERANCES = {
  /** A handful of float64 operations on values near 1, against a closed form: a few ulps. */
  F64_FEW_OPS: 1e-15,
  /** Tens of float64 operations (sums, exp/log/erf) on values near 1, against a closed form. */
  F64_SUMS: 1e-14,
  /** Float64 sums of about a hundred terms, or a fast transform against its O(n²) definition. */
  F64_LONG_SUMS: 1e-13,
  /**
   * Two float64 evaluations of the same values in a different order over thousands of terms, or
   * a backward-stable factorisation's relative residual (a small multiple of n·ε).
   */
  F64_REORDERED: 1e-12,
  /** Float64 through an iterative method or a long recurrence, where errors grow with conditioning (~10³ here). */
  F64_CONDITIONED: 1e-10,
  /** The eigenvalues 1 ± √δ of a Jordan block perturbed by δ = 1e-12: known to about √ε·‖A‖ at best. */
  F64_NEAR_DEFECTIVE: 1e-9,
  /** A float32 value against the float64 value it rounds, relative to the peak (half an ulp is 6e-8). */
  F32_ROUNDED: 1e-7,
  /** A float64 evaluation that reads float32 constants (folded spectra, DFT matrices, π): a few roundings, relative. */
  F32_CONSTANTS: 1e-6,
  /** A float64 value computed with π (or π/2) as a float32 constant: |π − fround(π)| ≈ 8.7e-8, absolute. */
  F32_PI: 2e-7,
  /** onnxruntime's float32 result of a few ops on values of order 1 against their float64 value: tens of ulps, absolute. */
  ORT_F32_FEW_OPS: 1e-5,
  /**
   * A float16 graph of a few ops on values of order 1-20 against its float32 original, relative
   * to max(1, peak): each weight and each float16 result is rounded once, by at most
   * u = 2^-11 relatively, and a handful of them chain: 8 u.
   */
  F16_FEW_OPS: 8 * 2 ** -11,
  /** Decimal digits toBeCloseTo compares float32 values near 1 with (their resolution is ~1e-7). */
  F32_DIGITS: 6,
  /** Decimal digits toBeCloseTo compares float64 values near 1 computed in a few operations with. */
  F64_DIGITS: 14,
  /** Decimal digits for a float64 sum of N²/2 ≈ 128 terms of a closed-form eigenbasis (a few ε of 128 each). */
  F64_SUM_DIGITS: 8,
  /**
   * Decimal digits onnxruntime's float32 DFT is compared with on a short signal: its Bluestein path
   * (n not a power of two) loses about three digits to cancellation.
   */
  ORT_DFT_DIGITS: 4,
  /**
   * Bits per byte of 1024 held-out tokens from our float32 logits against PyTorch's: the logits
   * agree to REL_TO_PEAK, so the log-softmax averages agree far better than a thousandth of a bit.
   */
  BITS_PER_BYTE: 1e-3,
  /** Decimal digits of a zoomed SVG width: the page writes it with five decimals. */
  SVG_DIGITS: 5,
} as const;
