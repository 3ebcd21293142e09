import type { Builder } from '../../ir/builder.js';
import type { Value } from '../../ir/value.js';

/** (B,L,H) → (B,H,L) when the module is not `transposed`; the SSM ops work channels-first. */
export function toChannelsFirst(b: Builder, x: Value, transposed: boolean): Value {
  return transposed ? x : b.transpose(x, [0, 2, 1]);
}

/** The diagonal SSM kernel op: K [C,H,L] = scale·Re Σ_n coef·exp(λ·l) after discretisation. */
export function diagKernel(b: Builder, dt: Value, A: Value, BC: Value, L: Value, disc: 'zoh' | 'bilinear', scale: number): Value {
  return b.ssm('DiagSSMKernel', [dt, A, BC, L], { disc, scale: { kind: 'float', value: scale } });
}

/**
 * y = FFTConv(u, k[, k_rev]) + D·u, flattened '(c h)' channel-major to [B, C·H, L].
 * `D` has shape [C,H].
 */
export function fftConvWithSkip(b: Builder, u: Value, k: Value, kRev: Value | null, D: Value, H: number, C: number, realization: Value[] = []): Value {
  // A causal kernel's state-space realization (ir/ssm-ops.ts) rides along as inputs 3-6.
  const y = b.ssm('FFTConv', kRev ? [u, k, kRev] : realization.length ? [u, k, null, ...realization] : [u, k]); // [B,C,H,L]
  const skip = b.mul(b.unsqueeze(u, [1]), b.unsqueeze(D, [0, 3])); // [B,1,H,L]·[1,C,H,1]
  const sum = b.add(y, skip);
  // Reshape [B,C,H,L] → [B,C·H,L] keeping the symbolic batch and length (0 copies the input dim).
  return b.reshape(sum, [0, C * H, -1]);
}
