import { rt, type RTensor } from './rtensor.js';

/** K[c,h,l] = scale · Re Σ_n coef[c,h,n] · exp(λ[h,n] · l). */
export function vandermondeSum(lambda: RTensor, coef: RTensor, L: number, scale: number): RTensor {
  const [C, H, N] = coef.dims as [number, number, number];
  const shared = lambda.dims.length === 1; // [N]: one λ for every feature (GSS, DSS)
  const out = rt('float32', [C, H, L]);
  for (let h = 0; h < H; h++) {
    for (let n = 0; n < N; n++) {
      const li = shared ? n : h * N + n;
      const lr = lambda.data[2 * li]!, lim = lambda.data[2 * li + 1]!;
      for (let l = 0; l < L; l++) {
        const mag = Math.exp(lr * l), er = mag * Math.cos(lim * l), ei = mag * Math.sin(lim * l);
        for (let c = 0; c < C; c++) {
          const ci = (c * H + h) * N + n;
          out.data[(c * H + h) * L + l] += scale * (coef.data[2 * ci]! * er - coef.data[2 * ci + 1]! * ei);
        }
      }
    }
  }
  return out;
}

/** The length input of Vandermonde (and of a diagonal LongConv): a non-negative integer. */
export function lengthOf(t: RTensor, node: { name: string }): number {
  const L = t.data[0]!;
  if (!Number.isInteger(L) || L < 0) throw new Error(`node '${node.name}': the length input must be a non-negative integer, got ${L}`);
  return L;
}
