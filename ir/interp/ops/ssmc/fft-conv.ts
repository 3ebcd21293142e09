import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { rt } from '../../rtensor.js';

/** y[b,c,h,t] = Σ_{s≤t} k[c,h,t−s] u[b,h,s] + Σ_{s>t} k_rev[c,h,s−t−1] u[b,h,s] (direct sums). */
const fftConv: Kernel = (inputs, node) => {
  const u = need(inputs, 0, node), k = need(inputs, 1, node), kr = inputs[2] ?? null;
  const [B, H, L] = u.dims as [number, number, number];
  const [C, Hk, Lk] = k.dims as [number, number, number];
  if (Hk !== H) throw new Error(`node '${node.name}' (FFTConv): kernel has ${Hk} features, input has ${H}`);
  const out = rt('float32', [B, C, H, L]);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) {
    const ub = (b * H + h) * L, kb = (c * H + h) * Lk, ob = ((b * C + c) * H + h) * L;
    for (let t = 0; t < L; t++) {
      let s = 0;
      for (let j = 0; j < Math.min(Lk, t + 1); j++) s += k.data[kb + j]! * u.data[ub + t - j]!;
      if (kr) for (let j = 0; j < Math.min(Lk, L - 1 - t); j++) s += kr.data[kb + j]! * u.data[ub + t + 1 + j]!;
      out.data[ob + t] = s;
    }
  }
  return [out];
};

export const FFTConv = ssmcKernel('FFTConv', fftConv);
