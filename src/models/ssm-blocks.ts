import type { Builder } from '../../ir/builder.js';
import { longConv, type LongConv } from '../../ir/ops/long-conv.js';
import type { Value } from '../../ir/value.js';
import type { LayerContext, SsmLayerInfo } from './layer.js';

/** (B,L,H) → (B,H,L) when the module is not `transposed`; the SSM ops work channels-first. */
export function toChannelsFirst(b: Builder, x: Value, transposed: boolean): Value {
  return transposed ? x : b.transpose(x, [0, 2, 1]);
}

/**
 * y = LongConv(u, kernel) + D·u, flattened '(c h)' channel-major to [B, C·H, L], the convolution
 * declared as the SSM layer `info`. `D` has shape [C,H].
 */
export function convWithSkip(ctx: LayerContext, conv: LongConv, D: Value, H: number, C: number, info: SsmLayerInfo): Value {
  const { b } = ctx;
  const y = longConv(b, conv); // [B,C,H,L]
  ctx.ssmLayer(y, info);
  const skip = b.mul(b.unsqueeze(conv.u, [1]), b.unsqueeze(D, [0, 3])); // [B,1,H,L]·[1,C,H,1]
  const sum = b.add(y, skip);
  // Reshape [B,C,H,L] → [B,C·H,L] keeping the symbolic batch and length (0 copies the input dim).
  return b.reshape(sum, [0, C * H, -1]);
}
