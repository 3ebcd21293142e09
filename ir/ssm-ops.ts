/**
 * The high-level SSM ops of domain `ai.ssmc`: their contracts, shared by the model builders, the
 * reference interpreter, shape inference and the lowering passes. Each op is defined by math alone
 * (see ../shared/docs/ssm-math.md); lowerings must reproduce these definitions.
 *
 * Before `lower-complex`, standard ONNX ops may also carry complex64 operands: the elementwise ops
 * Add, Sub, Mul, Div (a real operand mixed with a complex one is promoted to complex), Neg, Exp,
 * Log (principal branch), and the structural ops MatMul, Transpose, Reshape, Unsqueeze, Squeeze,
 * Concat, Slice, Gather, Expand, Identity, ReduceSum.
 */
export const SSM_OPS = {
  /** Complex(re: f32, im: f32) → c64, broadcasting. */
  Complex: 'Complex',
  /** Real(c64) → f32. */
  Real: 'Real',
  /** Imag(c64) → f32. */
  Imag: 'Imag',
  /** Conj(c64) → c64. */
  Conj: 'Conj',
  /**
   * DiagSSMKernel(dt: f32 [H,1]|[H,N], A: c64 [H,N], BC: c64 [C,H,N], L: i64 scalar) → K f32 [C,H,L]
   * attrs: disc ∈ {'zoh','bilinear'}, scale (float; 2 for conjugate-pair S4/S4D, 1 for DSS/GSS).
   *   w = dt·A
   *   zoh:      coef = BC·(exp(w) − 1)/A,   λ = w
   *   bilinear: coef = BC·dt/(1 − w/2),     λ = log((1 + w/2)/(1 − w/2))
   *   K[c,h,l] = scale · Re Σ_n coef[c,h,n] · exp(λ[h,n] · l),  l = 0..L−1
   */
  DiagSSMKernel: 'DiagSSMKernel',
  /**
   * Vandermonde(lambda: c64 [H,N] (or [N], shared by all H), coef: c64 [C,H,N], L: i64 scalar) → f32 [C,H,L]
   * attrs: scale. K[c,h,l] = scale · Re Σ_n coef[c,h,n] · exp(lambda[h,n] · l).
   */
  Vandermonde: 'Vandermonde',
  /**
   * FFTConv(u: f32 [B,H,L], k: f32 [C,H,Lk], k_rev?: f32 [C,H,Lk]) → y f32 [B,C,H,L]
   *   y[b,c,h,t] = Σ_{s ≤ t, t−s < Lk} k[c,h,t−s]·u[b,h,s]  +  Σ_{s > t, s−t−1 < Lk} k_rev[c,h,s−t−1]·u[b,h,s]
   * The causal linear convolution of every channel (plus the anti-causal part of a bidirectional
   * kernel, whose first tap multiplies u[t+1], as in the official S4 code).
   */
  FFTConv: 'FFTConv',
} as const;

export type SsmOp = keyof typeof SSM_OPS;
