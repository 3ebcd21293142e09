import type { Builder } from '../../ir/builder.js';
import type { Node } from '../../ir/node.js';
import { readLongConv } from '../../ir/ops/long-conv.js';
import type { Value } from '../../ir/value.js';
import { plannedLength, planningNote, type ConvLowering } from './lowering.js';

const BEGIN_REVERSED = Number.MIN_SAFE_INTEGER;

/**
 * LongConv as one depthwise `Conv` (group = H): O(L·Lk) work, no transforms, so it wins only for
 * short kernels. Conv is a cross-correlation, so the causal kernel enters reversed:
 *   x = pad(u, left Lk−1, right Lk if bidirectional),  W[h,c] = [reverse(k[c,h]) | k_rev[c,h]]
 *   y[t] = Σ_j W[j]·x[t+j] = Σ_m k[m]·u[t−m] + Σ_m k_rev[m]·u[t+1+m]
 * The C output channels of group h come out together, so [B, H·C, L] is regrouped to [B,C,H,L].
 */
export function directConv(b: Builder, node: Node): Value {
  const conv = readLongConv(node);
  if (conv.kernel !== 'taps') throw new Error(`internal: the direct form reads taps, LongConv '${node.name}' has a ${conv.kernel} kernel`);
  const { u, k, kRev } = conv;
  const H = u.type.shape?.[1], C = k.type.shape?.[0];
  if (typeof H !== 'number' || typeof C !== 'number') throw new Error('the direct form needs static channel counts');
  const Lk = k.type.shape?.[2];
  const taps = [b.slice(k, [-1], [BEGIN_REVERSED], [2], [-1])];
  if (kRev) taps.push(kRev);
  const weight = b.reshape(b.transpose(b.concat(taps, 2), [1, 0, 2]), [H * C, 1, -1]); // [(h c), 1, KW]

  const left = typeof Lk === 'number' ? b.i64([Lk - 1], [1], 'pad_left') : b.unsqueeze(b.sub(b.dim(k, 2), b.i64(1, [], 'one')), [0]);
  const right = kRev ? (typeof Lk === 'number' ? b.i64([Lk], [1], 'pad_right') : b.unsqueeze(b.dim(k, 2), [0])) : b.i64([0], [1], 'pad_right');
  const zeros2 = b.i64([0, 0], [2], 'pads');
  const x = b.op('Pad', [u, b.concat([zeros2, left, zeros2, right], 0)]);
  const y = b.op('Conv', [x, weight], { group: H }); // [B, H·C, L]
  return b.transpose(b.reshape(y, [0, H, C, -1]), [0, 2, 1, 3]);
}

export const directLowering: ConvLowering = {
  name: 'direct',
  description: 'depthwise Conv (group = channels), for short kernels',
  reads: 'taps',
  needs: ['Conv'],
  whyNot: (f) => (f.hasTaps ? null : 'its dense kernel comes without taps; only the chunked form computes it'),
  estimate: (f, t, threads) => {
    const L = plannedLength(f), Lk = f.Lk ?? L, sides = f.bidirectional ? 2 : 1;
    const par = Math.max(1, Math.min(threads, t.maxThreads));
    return { ms: (2 * L * Lk * f.C * f.H * sides) / (t.convGflops * par * 1e6), note: `depthwise Conv, ${Lk} taps${sides > 1 ? ' each side' : ''}${planningNote(f)}` };
  },
  lower: directConv,
};
