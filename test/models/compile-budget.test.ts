/**
 * The compile budget prices each long convolution by the lowering select-lowering will give it:
 * a lowering that reads taps gets them computed from power tables (C·H·N·L multiply-adds) and
 * their spectrum, one that reads the state-space description its chunk weights computed directly
 * (C·H·(T+2N)·T values).
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

  it('fourstep (reads taps): the taps, a mode table and the spectrum; auto prices what the cost model picks', () => {
    const p = convCost('fourstep');
    expect(p.what).toBe('layer layer kernel and its spectrum at L=256 (C=1, H=32, N=8)');
    const taps = 32 * 256, table = 2 * 8 * 256, points = 2 * 256;
    expect(p.bytes).toBe(2 * (taps * 12 + table * 8 + 32 * points * 12 + points * 64));
    expect(p.seconds).toBeCloseTo(2 * (taps * 8 * 1.05e-8 + 32 * points * 2.5e-7), 12);
    // Modes shared by the channels (a GSS layer's DSS): one blocked product, priced lower.
    const gss = compileModel({ arch: 'gss', args: { dim: 32, dim_expansion_factor: 2, dss_kernel_H: 16, dss_kernel_N: 8 } }, null, { seqLen: 256, opset: 17, lowering: 'fourstep' });
    expect(gss.costs.find((c) => c.what.startsWith('layer '))!.what).toMatch(/kernel and its spectrum at L=256 \(C=1, H=16, N=8, modes shared\)/);
    const auto = compileModel(s4d, null, { seqLen: 256, opset: 17 });
    const chosen = auto.decisions[0]!.lowering;
    expect(convCost('auto').what).toBe(convCost(chosen).what);
  });
});
