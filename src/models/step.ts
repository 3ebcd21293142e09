import type { Builder } from '../../ir/builder.js';
import type { Value } from '../../ir/value.js';

/**
 * The recurrent state of every SSM layer in a step graph. Each layer's state is complex
 * [batch, H, N]; at the graph interface it travels as float32 [batch, H, N, 2] (re, im last),
 * named `state.<layer>` in and `state_out.<layer>` out.
 */
export interface StepStates {
  /** Declare a layer's state and get the incoming value (complex [batch, H, N]). */
  state(layer: string, H: number, N: number): Value;
  /** The layer's new state (complex [batch, H, N]). */
  setOut(layer: string, next: Value): void;
}

/** Prefill graphs: the convolution graph also returns each layer's final state. */
export interface FinalStates {
  set(layer: string, H: number, N: number, state: Value): void;
}

/**
 * One step of a diagonal SSM in Vandermonde form (K_l = scale·Re Σ coef·exp(λ·l)):
 *   x' = exp(λ) ⊙ x + u,   y = scale · Re Σ_n coef ⊙ x'
 * u [B,H] real, x [B,H,N] complex, λ [H,N] or [N], coef [C,H,N] → y [B,C,H].
 */
export function vandermondeStep(b: Builder, lambda: Value, coef: Value, scale: number, u: Value, x: Value): { y: Value; next: Value } {
  const next = b.add(b.mul(x, b.exp(lambda)), b.unsqueeze(u, [2])); // [B,H,N]
  const prod = b.mul(b.unsqueeze(coef, [0]), b.unsqueeze(next, [1])); // [B,C,H,N]
  const y = b.ssm('Real', [b.op('ReduceSum', [prod, b.i64([3], undefined, 'axes')], { keepdims: 0 })]); // [B,C,H]
  return { y: scale === 1 ? y : b.mul(y, b.f32(scale)), next };
}

/**
 * The state a step graph would hold after the whole sequence (prefill): with x' = exp(λ)·x + u
 * from x = 0, x_L = Σ_j exp(λ·(L−1−j))·u_j — one MatMul over positions.
 * λ [H,N] or [N], u [B,H,L] real → complex [B,H,N].
 */
export function finalState(b: Builder, lambda: Value, u: Value): Value {
  const L = b.dim(u, 2);
  const positions = b.cast(b.op('Range', [b.i64(0, [], 'zero'), L, b.i64(1, [], 'one')]), 1);
  const remaining = b.sub(b.sub(b.cast(L, 1), b.f32(1)), positions); // L−1−j
  const lam = lambda.type.shape?.length === 1 ? b.unsqueeze(lambda, [0]) : lambda; // [H|1,N]
  const E = b.exp(b.mul(b.unsqueeze(lam, [2]), remaining)); // [H|1,N,L]
  const x = b.matmul(b.unsqueeze(u, [2]), b.transpose(E, [0, 2, 1])); // [B,H,1,L]·[H|1,L,N] → [B,H,1,N]
  return b.squeeze(x, [2]);
}
