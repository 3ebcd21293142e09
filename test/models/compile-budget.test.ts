/**
 * The compile budget prices each long convolution by the lowering select-lowering will give it:
 * a lowering that reads taps folds the kernel chain (C·H·N·L elements), one that reads the
 * state-space description gets its chunk weights computed directly (C·H·(T+2N)·T values).
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from 'ssmc';

const s4d = { arch: 's4-block', args: { d_model: 32, d_state: 16, mode: 'diag', transposed: false } };

function convCost(lowering: string) {
  const c = compileModel(s4d, null, { seqLen: 256, opset: 17, lowering });
  const parts = c.costs.filter((p) => p.what.startsWith('layer '));
  expect(parts).toHaveLength(1);
  return parts[0]!;
}

describe('compile budget: long convolutions by their planned lowering', () => {
  it('chunked: the chunk weights, not a folded kernel', () => {
    const p = convCost('chunked');
    expect(p.what).toBe('layer layer chunk weights (C=1, H=32, N=8)');
    expect(p.bytes).toBe(32 * (64 + 16) * 64 * 8);
  });

  it('fourstep (reads taps): the kernel chain folded over C·H·N·L elements; auto prices what the cost model picks', () => {
    const p = convCost('fourstep');
    expect(p.what).toBe('layer layer kernel at L=256 (C=1, H=32, N=8)');
    expect(p.bytes).toBe(32 * 8 * 256 * 16 * 3.5);
    const auto = compileModel(s4d, null, { seqLen: 256, opset: 17 });
    const chosen = auto.decisions[0]!.lowering;
    expect(convCost('auto').what).toBe(convCost(chosen).what);
  });
});
