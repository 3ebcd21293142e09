import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/**
 * How the scores are formed: one head at a time (each head's Split → MatMul → mask → Softmax →
 * MatMul, Concat over heads) or every head in one batched MatMul.
 */
export type AttentionScores = 'per-head' | 'batched';

/**
 * CausalAttention(q, k, v){scale, chunk} in standard ops (ir/ssm-ops.ts):
 *   full:  Softmax(scale·q·kᵀ + M) · v over [L, L] scores, M = Where(s > t, −∞, 0) computed from
 *          Range(L) in the graph (fold-constants keeps such masks over 1 MiB computed rather than
 *          stored, so a fixed length does not put them in the file);
 *   chunk: q, k, v padded to a multiple of the chunk, reshaped to [B, nh, L/chunk, chunk, d], the
 *          same masked softmax on [chunk, chunk] scores per chunk, reshaped back and cut to L. A
 *          length that fits in one chunk takes the full form.
 *
 * Memory and speed rule (the scores dominate; no Loop or Scan, which WebGPU runs badly): the
 * scores are formed one head at a time — Split by head, then per head MatMul, + M, Softmax,
 * MatMul, and one Concat — so at most one head's scores are live ([B, L, L] for full attention,
 * [B, L/chunk, chunk, chunk] chunk-local): onnxruntime runs each head's chain before the next and
 * reuses its buffers (the Add runs in place). The mask is added rather than selected with Where:
 * onnxruntime's broadcasting Where over the scores cost 3.5× the Add and was 40 % of full
 * attention's time. bench attention-forms measures it against every head batched (the form
 * before, kept as lowerAttentionPassWith('batched') for that comparison: 0.96-1.25× the time,
 * 7× the memory at L = 4096) and against the fused ops, which are not emitted: ONNX `Attention`
 * (opset 23, beyond the opsets ssmc emits; no WebGPU kernel in onnxruntime 1.30) and
 * `com.microsoft.MultiHeadAttention` hold every head's scores when given all heads (faster by up
 * to 27 % at a fixed length, outside the one-head bound) and are within noise of this form when
 * given one head at a time (README, Benchmarks). A head count unknown when lowering (never from
 * the models here) takes the batched form.
 */
function lowerAttention(b: Builder, node: Node, form?: AttentionScores): Value[] {
  const [q, k, v] = [0, 1, 2].map((i) => node.input(i)) as [Value, Value, Value];
  const scale = node.attrFloat('scale', 1);
  const chunk = node.attrInt('chunk', 0);
  const L = q.type.shape?.[2];
  const heads = q.type.shape?.[1];
  const scores = typeof heads === 'number' && (form ?? 'per-head') === 'per-head' ? heads : 'batched';
  if (chunk === 0 || (typeof L === 'number' && L <= chunk)) return [maskedSoftmax(b, q, k, v, scale, null, scores)];
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
  const y = maskedSoftmax(b, blocks(q), blocks(k), blocks(v), scale, chunk, scores); // [B, nh, n, chunk, dv]
  return [b.slice(b.reshape(y, [0, 0, -1, dv]), b.i64([0], undefined, 'starts'), b.unsqueeze(length, [0]), [2])];
}

/**
 * Softmax over the last two axes' causal scores (rank 4 or 5, heads on axis 1); `size` fixes the
 * mask's side; `heads`: 'batched', or the number of heads to form one at a time.
 */
function maskedSoftmax(b: Builder, q: Value, k: Value, v: Value, scale: number, size: number | null, heads: 'batched' | number): Value {
  const rank = q.type.shape!.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  const n = size === null ? b.dim(q, rank - 2) : b.i64(size, [], 'chunk');
  // Float positions: a GPU provider makes them and the mask on the device (an int64 Range and its
  // comparison would run on the host and copy the [n, n] mask over every run).
  const pos = b.positions(n);
  const future = b.op('Greater', [b.unsqueeze(pos, [0]), b.unsqueeze(pos, [1])]); // [n, n]: key s after query t
  const bias = b.op('Where', [future, b.f32(-Infinity, [], 'neg_inf'), b.f32(0, [], 'zero')]); // [n, n]: 0 or −∞
  const attend = (qs: Value, kt: Value, vs: Value) => {
    const masked = b.add(b.matmul(qs, kt), bias);
    return b.matmul(b.op('Softmax', [masked], { axis: -1 }), vs);
  };
  const qs = b.mul(q, b.f32(scale)), kt = b.transpose(k, perm);
  if (heads === 'batched') return attend(qs, kt, v);
  const split = (x: Value) => b.node('Split', [x, b.i64(Array<number>(heads).fill(1), undefined, 'heads')], { axis: 1 }, heads);
  const [qh, kh, vh] = [split(qs), split(kt), split(v)];
  // Each head's chain is complete before the next begins, so its scores die before the next head's are made.
  const ys = qh.map((_, h) => attend(qh[h]!, kh[h]!, vh[h]!));
  return heads === 1 ? ys[0]! : b.concat(ys, 1);
}

/** lower-attention with the scores formed as `form` says (default: one head at a time, the rule above). */
export function lowerAttentionPassWith(form?: AttentionScores): Pass {
  return {
    name: 'lower-attention',
    description: 'CausalAttention → MatMul / Softmax with an additive causal mask, one head at a time (chunk-local: per chunk)',
    run: (model) => changed(rewriteNodes(model, SSMC_DOMAIN, 'CausalAttention', (b, node) => lowerAttention(b, node, form))),
    ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'CausalAttention'),
  };
}

export const lowerAttentionPass: Pass = lowerAttentionPassWith();
