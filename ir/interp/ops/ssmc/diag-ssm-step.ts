import { isComplex } from '../../../types.js';
import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { rt } from '../../rtensor.js';

/**
 * x_next = exp(λ) ⊙ x + u,  y[b,c,h] = scale · Re Σ_n coef[c,h,n] · x_next[b,h,n]. The state is
 * complex64 [B,H,N], or float32 [B,H,N,2] as the custom op carries it (same interleaved layout).
 */
const diagStep: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node), u = need(inputs, 1, node), lambda = need(inputs, 2, node), coef = need(inputs, 3, node);
  const packed = !isComplex(x.dtype);
  const [B, H, N] = x.dims as [number, number, number];
  const C = coef.dims[0]!;
  const shared = lambda.dims.length === (packed ? 2 : 1); // [N]: one λ for every feature
  const scale = node.attrFloat('scale', 1);
  const next = rt(x.dtype, x.dims);
  const y = rt('float32', [B, C, H]);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
    const uv = u.data[b * H + h]!;
    for (let n = 0; n < N; n++) {
      const li = shared ? n : h * N + n, xi = (b * H + h) * N + n;
      const mag = Math.exp(lambda.data[2 * li]!), ph = lambda.data[2 * li + 1]!;
      const mr = mag * Math.cos(ph), mi = mag * Math.sin(ph);
      const xr = x.data[2 * xi]!, xim = x.data[2 * xi + 1]!;
      const nr = mr * xr - mi * xim + uv, ni = mr * xim + mi * xr;
      next.data[2 * xi] = nr;
      next.data[2 * xi + 1] = ni;
      for (let c = 0; c < C; c++) {
        const ci = (c * H + h) * N + n;
        y.data[(b * C + c) * H + h] += scale * (coef.data[2 * ci]! * nr - coef.data[2 * ci + 1]! * ni);
      }
    }
  }
  return [y, next];
};

export const DiagSSMStep = ssmcKernel('DiagSSMStep', diagStep);
