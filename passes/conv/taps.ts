import { Builder } from '../../ir/builder.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { readLongConv, rewriteLongConv } from '../../ir/ops/long-conv.js';
import type { Value } from '../../ir/value.js';

/**
 * The taps of a LongConv whose lowering reads taps, formed from its state-space description: a
 * diagonal kernel's Vandermonde sum (lower-vandermonde expands it), or the taps a dense
 * description carries beside it. The node is rewritten in place to the taps form.
 */
export function formTaps(model: Model, node: Node): void {
  const conv = readLongConv(node);
  if (conv.kernel === 'taps') return;
  if (conv.kernel === 'dense') {
    if (!conv.taps) throw new Error(`LongConv '${node.name}': a dense kernel without taps has no taps to lower`);
    rewriteLongConv(node, { kernel: 'taps', u: conv.u, k: conv.taps, kRev: null });
    return;
  }
  const b = new Builder(model.graph, model.opset, node);
  const scale = { kind: 'float' as const, value: conv.scale };
  const k = b.ssm('Vandermonde', [conv.causal.lambda, conv.causal.coef, conv.length], { scale });
  const kRev = conv.reverse ? b.ssm('Vandermonde', [conv.reverse.lambda, conv.reverse.coef, conv.length], { scale }) : null;
  rewriteLongConv(node, { kernel: 'taps', u: conv.u, k, kRev });
}

/**
 * With a fixed length L, taps whose length inference lost (S4 DPLR's kernel is cut with a
 * computed end) are pinned to exactly L: taps at L or beyond never reach an output (causal
 * y[t] uses k[t−s], t < L; the anti-causal side uses k_rev[s−t−1] < L−1), so cutting to L and
 * zero-padding to L changes nothing, and every lowering then sees static sizes (the kernel still
 * folds into a constant).
 */
export function pinTapsLength(model: Model, node: Node): void {
  const conv = readLongConv(node);
  const L = conv.u.type.shape?.[2];
  if (typeof L !== 'number') return;
  const slots = conv.kernel === 'taps' ? [1, 2] : conv.kernel === 'dense' ? [4] : [];
  for (const i of slots) {
    const k = node.inputs[i];
    if (!k || typeof k.type.shape?.[2] === 'number') continue;
    node.setInput(i, pinned(new Builder(model.graph, model.opset, node), k, L));
  }
}

function pinned(b: Builder, k: Value, L: number): Value {
  const cut = b.slice(k, [0], [L], [2]);
  const missing = b.sub(b.i64([L], [1], 'taps'), b.dim(cut, 2));
  const pads = b.concat([b.i64([0, 0, 0, 0, 0], [5], 'pads'), b.reshape(missing, [1])], 0);
  const [C, H] = [k.type.shape?.[0], k.type.shape?.[1]];
  return b.reshape(b.op('Pad', [cut, pads]), [typeof C === 'number' ? C : 0, typeof H === 'number' ? H : 0, L]);
}
