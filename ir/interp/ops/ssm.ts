import { isComplex } from '../../types.js';
import type { Kernel } from '../kernel.js';
import { need } from '../kernel.js';
import { broadcastDims, broadcastIndex, rt, size, type RTensor } from '../rtensor.js';

/**
 * The ai.ssmc ops straight from their definitions in ir/ssm-ops.ts: slow, obviously correct,
 * float64 — the oracle every lowering is checked against.
 */

const complex: Kernel = (inputs, node) => {
  const re = need(inputs, 0, node), im = need(inputs, 1, node);
  const dims = broadcastDims(re.dims, im.dims, `node '${node.name}' (Complex)`);
  const ir = broadcastIndex(re.dims, dims), ii = broadcastIndex(im.dims, dims);
  const out = rt('complex64', dims);
  for (let k = 0; k < size(dims); k++) {
    out.data[2 * k] = re.data[ir[k]!]!;
    out.data[2 * k + 1] = im.data[ii[k]!]!;
  }
  return [out];
};

function part(which: 0 | 1): Kernel {
  return (inputs, node) => {
    const x = need(inputs, 0, node);
    if (!isComplex(x.dtype)) throw new Error(`node '${node.name}' (${node.op}): input must be complex`);
    const out = rt('float32', x.dims);
    for (let k = 0; k < out.data.length; k++) out.data[k] = x.data[2 * k + which]!;
    return [out];
  };
}

const conj: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const out = rt(x.dtype, x.dims, x.data.slice());
  for (let k = 1; k < out.data.length; k += 2) out.data[k] = -out.data[k]!;
  return [out];
};

/** K[c,h,l] = scale · Re Σ_n coef[c,h,n] · exp(λ[h,n] · l). */
function vandermondeSum(lambda: RTensor, coef: RTensor, L: number, scale: number): RTensor {
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

function lengthOf(t: RTensor, node: { name: string }): number {
  const L = t.data[0]!;
  if (!Number.isInteger(L) || L < 0) throw new Error(`node '${node.name}': the length input must be a non-negative integer, got ${L}`);
  return L;
}

const vandermonde: Kernel = (inputs, node) => {
  const lambda = need(inputs, 0, node), coef = need(inputs, 1, node);
  return [vandermondeSum(lambda, coef, lengthOf(need(inputs, 2, node), node), node.attrFloat('scale', 1))];
};

/** Discretise (ZOH or bilinear) per mode, then the Vandermonde sum. */
const diagKernel: Kernel = (inputs, node) => {
  const dt = need(inputs, 0, node), A = need(inputs, 1, node), BC = need(inputs, 2, node);
  const L = lengthOf(need(inputs, 3, node), node);
  const disc = node.attrString('disc');
  const [C, H, N] = BC.dims as [number, number, number];
  const idt = broadcastIndex(dt.dims, [H, N]);
  const lambda = rt('complex64', [H, N]);
  const coef = rt('complex64', [C, H, N]);
  for (let h = 0; h < H; h++) {
    for (let n = 0; n < N; n++) {
      const k = h * N + n;
      const d = dt.data[idt[k]!]!;
      const ar = A.data[2 * k]!, ai = A.data[2 * k + 1]!;
      const wr = d * ar, wi = d * ai;
      let fr: number, fi: number, lr: number, li: number;
      if (disc === 'zoh') {
        // (exp(w) − 1)/A
        const er = Math.exp(wr) * Math.cos(wi) - 1, ei = Math.exp(wr) * Math.sin(wi);
        const den = ar * ar + ai * ai;
        fr = (er * ar + ei * ai) / den;
        fi = (ei * ar - er * ai) / den;
        lr = wr;
        li = wi;
      } else if (disc === 'bilinear') {
        // dt/(1 − w/2) and log((1 + w/2)/(1 − w/2))
        const dr = 1 - wr / 2, di = -wi / 2, den = dr * dr + di * di;
        fr = (d * dr) / den;
        fi = (-d * di) / den;
        const nr = 1 + wr / 2, ni = wi / 2;
        const qr = (nr * dr + ni * di) / den, qi = (ni * dr - nr * di) / den;
        lr = 0.5 * Math.log(qr * qr + qi * qi);
        li = Math.atan2(qi, qr);
      } else {
        throw new Error(`node '${node.name}' (DiagSSMKernel): disc must be 'zoh' or 'bilinear', got '${disc}'`);
      }
      lambda.data[2 * k] = lr;
      lambda.data[2 * k + 1] = li;
      for (let c = 0; c < C; c++) {
        const j = (c * H + h) * N + n;
        const br = BC.data[2 * j]!, bi = BC.data[2 * j + 1]!;
        coef.data[2 * j] = br * fr - bi * fi;
        coef.data[2 * j + 1] = br * fi + bi * fr;
      }
    }
  }
  return [vandermondeSum(lambda, coef, L, node.attrFloat('scale', 1))];
};

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

export const SSM_KERNELS: Record<string, Kernel> = {
  Complex: complex, Real: part(0), Imag: part(1), Conj: conj,
  Vandermonde: vandermonde, DiagSSMKernel: diagKernel, FFTConv: fftConv, DiagSSMStep: diagStep,
};
