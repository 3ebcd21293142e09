/**
 * The high-level SSM ops of domain `ai.ssmc`: their contracts, shared by the model builders, the
 * reference interpreter (ir/interp/ops/), shape inference (ir/infer/ssm.ts) and the lowering
 * passes. Each op is defined by math alone (see ../shared/docs/ssm-math.md); lowerings must
 * reproduce these definitions.
 *
 * Before `lower-complex`, standard ONNX ops may also carry complex64 operands: the elementwise ops
 * Add, Sub, Mul, Div (a real operand mixed with a complex one is promoted to complex), Neg, Exp,
 * Log (principal branch), and the structural ops MatMul, Transpose, Reshape, Unsqueeze, Squeeze,
 * Concat, Slice, Gather, Expand, Identity, ReduceSum.
 *
 *   Complex(re: f32, im: f32) → c64, broadcasting.   Real(c64) → f32.   Imag(c64) → f32.   Conj(c64) → c64.
 *
 *   Discretize(dt: f32 [H,1]|[H,N], A: c64 [H,N], BC: c64 [C,H,N]) → (lambda c64 [H,N], coef c64 [C,H,N])
 *   attrs: disc ∈ {'zoh','bilinear'}. A diagonal SSM in the Vandermonde form (ir/ops/discretize.ts):
 *     w = dt·A
 *     zoh:      coef = BC·(exp(w) − 1)/A,   λ = w
 *     bilinear: coef = BC·dt/(1 − w/2),     λ = log((1 + w/2)/(1 − w/2))
 *
 *   Vandermonde(lambda: c64 [H,N] (or [N], shared by all H), coef: c64 [C,H,N], L: i64 scalar) → f32 [C,H,L]
 *   attrs: scale. K[c,h,l] = scale · Re Σ_n coef[c,h,n] · exp(lambda[h,n] · l).
 *
 *   LongConv(u: f32 [B,H,L], kernel…) → y f32 [B,C,H,L]
 *   attrs: kernel ∈ {'taps' (default), 'diagonal', 'dense'}, scale (diagonal), lowering (select-lowering's tag).
 *     y[b,c,h,t] = Σ_{s ≤ t, t−s < Lk} k[c,h,t−s]·u[b,h,s]  +  Σ_{s > t, s−t−1 < Lk} k_rev[c,h,s−t−1]·u[b,h,s]
 *   The causal linear convolution of every channel (plus the anti-causal part of a bidirectional
 *   kernel, whose first tap multiplies u[t+1], as in the official S4 code), with the kernel given
 *   by what it is, never by how a lowering computes it (ir/ops/long-conv.ts):
 *     taps      (u, k [C,H,Lk], k_rev? [C,H,Lk])
 *     diagonal  (u, lambda, coef, length i64 [], lambda_rev?, coef_rev?): k = Vandermonde(lambda, coef, length){scale}
 *     dense     (u, A [H,S,S], B [H,S], C [C,H,S], k? [C,H,Lk]): k_l = C·A^l·B for every l, a real
 *               state space (float64 when computed at compile time); k, when given, holds the same taps
 *
 *   DiagSSMStep(x: c64 [B,H,N], u: f32 [B,H], lambda: c64 [H,N] (or [N]), coef: c64 [C,H,N]) → (y f32 [B,C,H], x_next c64 [B,H,N])
 *   attrs: scale. One position of the diagonal recurrence behind a Vandermonde kernel:
 *     x_next = exp(lambda) ⊙ x + u        (u broadcast over the N modes)
 *     y[b,c,h] = scale · Re Σ_n coef[c,h,n] · x_next[b,h,n]
 *   Run from x = 0 over u_0..u_{L−1}, y equals LongConv(u, Vandermonde(lambda, coef, L)) position by position.
 *
 *   CausalAttention(q f32 [B,nh,L,dk], k f32 [B,nh,L,dk], v f32 [B,nh,L,dv]) → y f32 [B,nh,L,dv]
 *   attrs: scale, chunk (0: full). Causal scaled dot-product attention per head (ir/ops/attention.ts):
 *     y[t] = Σ_{s ∈ A(t)} softmax_s(scale · q_t·k_s) · v_s,   A(t) = {s ≤ t}, and with chunk > 0
 *     only s in t's chunk (⌊s/chunk⌋ = ⌊t/chunk⌋: attention inside non-overlapping chunks).
 *   lower-attention writes it as MatMul / Softmax with a causal mask (chunk-local: per chunk).
 */

/**
 * The custom-op interface (`--custom-ops`): what the model file holds, for an execution provider
 * that claims these ops with a fused kernel. Each op is a node of domain `ai.ssmc` (opset import
 * version 1) whose op type names a model-local ONNX function of the same domain; the function's
 * body (standard ONNX ops only) is what every other runtime runs. ONNX has no complex arithmetic,
 * so a complex operand travels as float32 with a trailing dimension of 2: (re, im).
 *
 *   Vandermonde(lambda f32 [H,N,2]|[N,2], coef f32 [C,H,N,2], L i64 []) → K f32 [C,H,L]      {scale}
 *       the kernel-generation op (see Vandermonde above). Discretisation is O(H·N), depends on the
 *       parameters only and folds into constants at compile time, so the op an EP wants is the
 *       O(C·H·N·L) evaluation.
 *   LongConv(u f32 [B,H,L], k f32 [C,H,Lk]) → y f32 [B,C,H,L]                                 {lowering}
 *   LongConvBidirectional(u, k, k_rev f32 [C,H,Lk]) → y f32 [B,C,H,L]                        {lowering}
 *       the long convolution of given taps (see LongConv above); `lowering` is the form chosen.
 *   DiagSSMConv(u f32 [B,H,L], lambda, coef) → y f32 [B,C,H,L]                                 {scale, lowering}
 *       = LongConv(u, Vandermonde(lambda, coef, L)): a convolution whose kernel comes straight from
 *       a diagonal SSM, for a lowering that never forms the kernel (a scan kernel claims it).
 *   DiagSSMConvBidirectional(u, lambda, coef, lambda_rev, coef_rev) → y                       {scale, lowering}
 *       = LongConv(u, Vandermonde(lambda, coef, L), Vandermonde(lambda_rev, coef_rev, L)).
 *   DenseSSMConv(u f32 [B,H,L], A [H,S,S], B [H,S], C [C,H,S]) → y f32 [B,C,H,L]                {lowering}
 *       = LongConv(u) with k_l = C·A^l·B (S4 DPLR's dense state space, float64 operands), for a
 *       lowering that never forms the kernel.
 *   DiagSSMStep(x f32 [B,H,N,2], u f32 [B,H], lambda, coef) → (y f32 [B,C,H], x_next f32 [B,H,N,2]) {scale}
 *       the step update (see DiagSSMStep above).
 *
 * A body is built for the operand shapes of its call site (the static sizes the lowering uses),
 * so call sites whose bodies differ get functions `<Op>_2`, `<Op>_3`, … in graph order; call
 * sites that differ only in `scale` share one body (it reads the caller's `scale` by reference).
 */
export const CUSTOM_OP_DOMAIN_VERSION = 1;
