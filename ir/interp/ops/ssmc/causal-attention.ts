import { need, ssmcKernel, where, type Kernel } from '../../kernel.js';
import { rt } from '../../rtensor.js';

/**
 * y[b,h,t] = Σ_{s allowed} softmax_s(scale · q[b,h,t]·k[b,h,s]) · v[b,h,s], allowed: s ≤ t and,
 * with chunk > 0, ⌊s/chunk⌋ = ⌊t/chunk⌋ — straight from the definition, one query at a time.
 */
const causalAttention: Kernel = (inputs, node) => {
  const q = need(inputs, 0, node), k = need(inputs, 1, node), v = need(inputs, 2, node);
  if (q.dims.length !== 4 || k.dims.length !== 4 || v.dims.length !== 4) throw new Error(`${where(node)}: q, k and v must be [B, heads, L, d]`);
  const [B, nh, L, dk] = q.dims as [number, number, number, number];
  const dv = v.dims[3]!;
  if (k.dims[2] !== L || v.dims[2] !== L || k.dims[3] !== dk) throw new Error(`${where(node)}: k [${k.dims}] and v [${v.dims}] do not match q [${q.dims}]`);
  const scale = node.attrFloat('scale', 1);
  const chunk = node.attrInt('chunk', 0);
  const y = rt('float32', [B, nh, L, dv]);
  const scores = new Float64Array(L);
  for (let bh = 0; bh < B * nh; bh++) {
    const base = bh * L;
    for (let t = 0; t < L; t++) {
      const first = chunk > 0 ? Math.floor(t / chunk) * chunk : 0;
      let max = -Infinity;
      for (let s = first; s <= t; s++) {
        let dot = 0;
        for (let d = 0; d < dk; d++) dot += q.data[(base + t) * dk + d]! * k.data[(base + s) * dk + d]!;
        scores[s] = scale * dot;
        if (scores[s]! > max) max = scores[s]!;
      }
      let total = 0;
      for (let s = first; s <= t; s++) total += (scores[s] = Math.exp(scores[s]! - max));
      for (let s = first; s <= t; s++) {
        const w = scores[s]! / total;
        for (let d = 0; d < dv; d++) y.data[(base + t) * dv + d] += w * v.data[(base + s) * dv + d]!;
      }
    }
  }
  return [y];
};

export const CausalAttention = ssmcKernel('CausalAttention', causalAttention);
