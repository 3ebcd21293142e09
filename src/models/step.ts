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
