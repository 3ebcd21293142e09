import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { rt, type RTensor } from '../../rtensor.js';

/**
 * LongConv (ir/ops/long-conv.ts) from its definition, in float64: the kernel's taps from whichever
 * form the node gives (the Vandermonde sum of a diagonal SSM, C·A^l·B of a dense one), then the
 * direct sums y[t] = Σ_{s≤t} k[t−s]·u[s] + Σ_{s>t} k_rev[s−t−1]·u[s]. Slow and obviously correct:
 * the oracle every lowering is checked against.
 */

function lengthOf(t: RTensor, what: string): number {
  const L = t.data[0]!;
  if (!Number.isInteger(L) || L < 0) throw new Error(`${what}: the kernel length must be a non-negative integer, got ${L}`);
  return L;
}

/** K[c,h,l] = scale·Re Σ_n coef[c,h,n]·exp(λ[h,n]·l), l < taps (λ [N] is shared by every h). */
function diagonalTaps(lambda: RTensor, coef: RTensor, taps: number, scale: number): RTensor {
  const [C, H, N] = coef.dims as [number, number, number];
  const shared = lambda.dims.length === 1;
  const out = rt('float32', [C, H, taps]);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let n = 0; n < N; n++) {
    const li = shared ? n : h * N + n, ci = (c * H + h) * N + n;
    const lr = lambda.data[2 * li]!, lim = lambda.data[2 * li + 1]!, cr = coef.data[2 * ci]!, cim = coef.data[2 * ci + 1]!;
    for (let l = 0; l < taps; l++) {
      const mag = Math.exp(lr * l);
      out.data[(c * H + h) * taps + l] += scale * mag * (cr * Math.cos(lim * l) - cim * Math.sin(lim * l));
    }
  }
  return out;
}

/** K[c,h,l] = C[c,h,:]·A[h]^l·B[h,:] by repeated products with A, l < taps. */
function denseTaps(A: RTensor, B: RTensor, Cm: RTensor, taps: number): RTensor {
  const [C, H, S] = Cm.dims as [number, number, number];
  const out = rt('float32', [C, H, taps]);
  for (let h = 0; h < H; h++) {
    let x = Float64Array.from(B.data.subarray(h * S, (h + 1) * S)); // A^l·B
    for (let l = 0; l < taps; l++) {
      for (let c = 0; c < C; c++) {
        let y = 0;
        for (let s = 0; s < S; s++) y += Cm.data[(c * H + h) * S + s]! * x[s]!;
        out.data[(c * H + h) * taps + l] = y;
      }
      const next = new Float64Array(S);
      for (let i = 0; i < S; i++) {
        let v = 0;
        for (let j = 0; j < S; j++) v += A.data[(h * S + i) * S + j]! * x[j]!;
        next[i] = v;
      }
      x = next;
    }
  }
  return out;
}

function convolve(u: RTensor, k: RTensor, kr: RTensor | null, what: string): RTensor {
  const [B, H, L] = u.dims as [number, number, number];
  const [C, Hk, Lk] = k.dims as [number, number, number];
  if (Hk !== H) throw new Error(`${what}: the kernel has ${Hk} features, the input has ${H}`);
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
  return out;
}

const longConv: Kernel = (inputs, node) => {
  const what = `node '${node.name}' (LongConv)`;
  const u = need(inputs, 0, node);
  const L = u.dims[2]!;
  switch (node.attrString('kernel', 'taps')) {
    case 'taps':
      return [convolve(u, need(inputs, 1, node), inputs[2] ?? null, what)];
    case 'diagonal': {
      // Taps past L never reach an output: the kernel is evaluated up to min(length, L).
      const taps = Math.min(lengthOf(need(inputs, 3, node), what), L);
      const scale = node.attrFloat('scale', 1);
      const k = diagonalTaps(need(inputs, 1, node), need(inputs, 2, node), taps, scale);
      const kr = inputs[4] ? diagonalTaps(need(inputs, 4, node), need(inputs, 5, node), taps, scale) : null;
      return [convolve(u, k, kr, what)];
    }
    case 'dense':
      return [convolve(u, denseTaps(need(inputs, 1, node), need(inputs, 2, node), need(inputs, 3, node), L), null, what)];
    default:
      throw new Error(`${what}: attribute 'kernel' must be taps, diagonal or dense, got '${node.attrString('kernel')}'`);
  }
};

export const LongConv = ssmcKernel('LongConv', longConv);
