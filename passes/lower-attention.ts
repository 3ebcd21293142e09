import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/**
 * CausalAttention(q, k, v){scale, chunk} in standard ops (ir/ssm-ops.ts):
 *   full:  Softmax(Where(s > t, −∞, scale·q·kᵀ)) · v over the [L, L] scores of every head, the
 *          mask computed from Range(L) in the graph (it is L² booleans; fold-constants keeps such
 *          masks computed rather than stored, so a fixed length does not put them in the file);
 *   chunk: q, k, v padded to a multiple of the chunk, reshaped to [B, nh, L/chunk, chunk, d], the
 *          same masked softmax on [chunk, chunk] scores per chunk, reshaped back and cut to L —
 *          memory L·chunk per head instead of L². A length that fits in one chunk takes the full form.
 */
function lowerAttention(b: Builder, node: Node): Value[] {
  const [q, k, v] = [0, 1, 2].map((i) => node.input(i)) as [Value, Value, Value];
  const scale = node.attrFloat('scale', 1);
  const chunk = node.attrInt('chunk', 0);
  const L = q.type.shape?.[2];
  if (chunk === 0 || (typeof L === 'number' && L <= chunk)) return [maskedSoftmax(b, q, k, v, scale, null)];
  const dv = v.type.shape?.[3];
  if (typeof dv !== 'number') throw new Error('chunk-local attention needs a static value width');
  const length = b.dim(q, 2);
  const pad = b.op('Mod', [b.sub(b.i64(chunk, [], 'chunk'), b.op('Mod', [length, b.i64(chunk, [], 'chunk')])), b.i64(chunk, [], 'chunk')]);
  const pads = b.concat([b.i64([0, 0, 0, 0, 0, 0], undefined, 'pads'), b.unsqueeze(pad, [0]), b.i64([0], undefined, 'pads')], 0);
  const blocks = (x: Value) => {
    const d = x.type.shape?.[3];
    if (typeof d !== 'number') throw new Error('chunk-local attention needs static head widths');
    return b.reshape(b.op('Pad', [x, pads]), [0, 0, -1, chunk, d]);
  };
  const y = maskedSoftmax(b, blocks(q), blocks(k), blocks(v), scale, chunk); // [B, nh, n, chunk, dv]
  return [b.slice(b.reshape(y, [0, 0, -1, dv]), b.i64([0], undefined, 'starts'), b.unsqueeze(length, [0]), [2])];
}

/** Softmax over the last two axes' causal scores (rank 4 or 5); `size` fixes the mask's side. */
function maskedSoftmax(b: Builder, q: Value, k: Value, v: Value, scale: number, size: number | null): Value {
  const rank = q.type.shape!.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  const scores = b.matmul(b.mul(q, b.f32(scale)), b.transpose(k, perm));
  const n = size === null ? b.dim(q, rank - 2) : b.i64(size, [], 'chunk');
  const pos = b.op('Range', [b.i64(0, [], 'zero'), n, b.i64(1, [], 'one')]);
  const future = b.op('Greater', [b.unsqueeze(pos, [0]), b.unsqueeze(pos, [1])]); // [n, n]: key s after query t
  const masked = b.op('Where', [future, b.f32(-Infinity, [], 'neg_inf'), scores]);
  return b.matmul(b.op('Softmax', [masked], { axis: -1 }), v);
}

export const lowerAttentionPass: Pass = {
  name: 'lower-attention',
  description: 'CausalAttention → MatMul / Softmax with a causal mask (chunk-local: per chunk)',
  run: (model) => changed(rewriteNodes(model, SSMC_DOMAIN, 'CausalAttention', lowerAttention)),
  ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'CausalAttention'),
};
