import type { Builder } from '../builder.js';
import { SSMC_DOMAIN } from '../node.js';
import type { Value } from '../value.js';

/**
 * Causal scaled dot-product attention over heads (ir/ssm-ops.ts, `CausalAttention`):
 *   q [B,nh,L,dk], k [B,nh,L,dk], v [B,nh,L,dv] → y [B,nh,L,dv]
 *   y[t] = Σ_{s allowed} softmax_s(scale · q_t·k_s) · v_s,  allowed: s ≤ t, and with chunk > 0
 *   also ⌊s/chunk⌋ = ⌊t/chunk⌋ (attention inside non-overlapping chunks of `chunk` positions).
 * One node, which the float64 interpreter evaluates from this definition and lower-attention
 * expands into MatMul / Softmax with a causal mask.
 */
export function causalAttention(b: Builder, q: Value, k: Value, v: Value, opts: { scale: number; chunk: number }): Value {
  return b.node('CausalAttention', [q, k, v], { scale: { kind: 'float', value: opts.scale }, chunk: opts.chunk }, 1, { domain: SSMC_DOMAIN })[0]!;
}
