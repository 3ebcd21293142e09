import type { Builder } from '../../ir/builder.js';
import { powersByProducts } from '../../ir/ops/powers.js';
import { SSMC_DOMAIN } from '../../ir/node.js';
import type { Value } from '../../ir/value.js';
import type { LayerContext } from './layer.js';

/**
 * One step of a diagonal SSM in Vandermonde form (K_l = scale·Re Σ coef·exp(λ·l)):
 *   x' = exp(λ) ⊙ x + u,   y = scale · Re Σ_n coef ⊙ x'
 * u [B,H] real, x [B,H,N] complex, λ [H,N] or [N], coef [C,H,N] → y [B,C,H].
 */
export function vandermondeStep(b: Builder, lambda: Value, coef: Value, scale: number, u: Value, x: Value): { y: Value; next: Value } {
  // One high-level node (ir/ssm-ops.ts DiagSSMStep): lower-diag-step expands it, --custom-ops keeps it.
  const [y, next] = b.node('DiagSSMStep', [x, u, lambda, coef], { scale: { kind: 'float', value: scale } }, 2, { domain: SSMC_DOMAIN });
  return { y: y!, next: next! };
}

/** The longest prompt a prefill graph for a device with approximate sin/cos serves (its power table's levels). */
export const PREFILL_MAX_POSITIONS = 2 ** 20;

/**
 * The state a step graph would hold after the whole sequence (prefill): with x' = exp(λ)·x + u
 * from x = 0, x_L = Σ_j exp(λ·(L−1−j))·u_j — one MatMul over positions.
 * λ [H,N] or [N], u [B,H,L] real → complex [B,H,N]. On a device whose sin/cos are approximations
 * (options.approximateTrig), exp(λ·l) is built from products of folded constants instead
 * (powersByProducts) and reversed.
 */
export function finalState(ctx: Pick<LayerContext, 'b' | 'options'>, lambda: Value, u: Value): Value {
  const { b } = ctx;
  const lam = lambda.type.shape?.length === 1 ? b.unsqueeze(lambda, [0]) : lambda; // [H|1,N]
  let E: Value; // [H|1,N,L]: exp(λ·(L−1−j))
  if (ctx.options.approximateTrig) {
    E = b.slice(powersByProducts(b, lam, b.dim(u, 2), PREFILL_MAX_POSITIONS), [-1], [Number.MIN_SAFE_INTEGER], [2], [-1]);
  } else {
    // L−1−j for j = 0..L−1, as a float Range counting down (generated where the graph runs: the
    // length is host-side shape arithmetic, the sequence device-side).
    const last = b.cast(b.sub(b.dim(u, 2), b.i64(1, [], 'one')), 1);
    const remaining = b.op('Range', [last, b.f32(-1, [], 'minus_one'), b.f32(-1, [], 'minus_one')]);
    E = b.exp(b.mul(b.unsqueeze(lam, [2]), remaining));
  }
  const x = b.matmul(b.unsqueeze(u, [2]), b.transpose(E, [0, 2, 1])); // [B,H,1,L]·[H|1,L,N] → [B,H,1,N]
  return b.squeeze(x, [2]);
}
