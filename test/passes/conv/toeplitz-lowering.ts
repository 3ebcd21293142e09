/**
 * A toy long-convolution lowering, written the way a new one is added to the compiler: one module
 * exporting a ConvLowering, then one line in a registry (test/passes/conv/registry.test.ts).
 *
 * The convolution as one MatMul with its Toeplitz matrix: T[c,h,j,i] = k[c,h,i−j] for 0 ≤ i−j < Lk,
 * else 0 (a Gather of the taps, padded with one zero, by a constant index matrix), and
 * y[b,c,h,i] = Σ_j u[b,h,j]·T[c,h,j,i]. O(L²) work and an [C,H,L,L] matrix: fixed short lengths only.
 */
import { type Builder, type Node, readLongConv, type Value } from 'ssmc/ir';
import { type ConvLowering, plannedLength } from 'ssmc/passes';

/** The longest sequence the toy takes: its Toeplitz matrix holds L² taps per channel pair. */
export const TOEPLITZ_MAX_LENGTH = 512;

function toeplitzConv(b: Builder, node: Node): Value {
  const conv = readLongConv(node);
  if (conv.kernel !== 'taps') throw new Error(`the toeplitz lowering reads taps, LongConv '${node.name}' has a ${conv.kernel} kernel`);
  const { u, k } = conv;
  const [, , L] = u.type.shape!;
  const [C, H, Lk] = k.type.shape!;
  if (typeof L !== 'number' || typeof Lk !== 'number' || typeof C !== 'number' || typeof H !== 'number') throw new Error('the toeplitz lowering needs fixed sizes');
  const index: number[] = [];
  for (let j = 0; j < L; j++) for (let i = 0; i < L; i++) index.push(i - j >= 0 && i - j < Lk ? i - j : Lk);
  const padded = b.concat([k, b.f32(new Array<number>(C * H).fill(0), [C, H, 1], 'zero')], 2); // [C,H,Lk+1]: index Lk reads the zero
  const T = b.op('Gather', [padded, b.i64(index, [L, L], 'toeplitz_index')], { axis: 2 }); // [C,H,L,L]
  const rows = b.unsqueeze(u, [1, 3]); // [B,1,H,1,L]
  return b.squeeze(b.matmul(rows, T), [3]); // [B,C,H,1,L] → [B,C,H,L]
}

export const toeplitzLowering: ConvLowering = {
  name: 'toeplitz',
  description: 'one MatMul with the kernel’s Toeplitz matrix (a test of the registry)',
  reads: 'taps',
  needs: ['Gather', 'MatMul'],
  whyNot: (f) => {
    if (!f.hasTaps) return 'its dense kernel comes without taps';
    if (f.L === null || f.Lk === null) return 'the Toeplitz matrix needs a fixed length';
    if (f.bidirectional) return 'the toy takes causal kernels only';
    return f.L > TOEPLITZ_MAX_LENGTH ? `L=${f.L} is over the toy's ${TOEPLITZ_MAX_LENGTH}` : null;
  },
  estimate: (f, t, threads) => {
    const L = plannedLength(f);
    const par = Math.max(1, Math.min(threads, t.maxThreads));
    return { ms: (2 * L * L * f.C * f.H) / (t.matmulGflops * par * 1e6), note: `Toeplitz MatMul of ${L}×${L}` };
  },
  lower: toeplitzConv,
};

