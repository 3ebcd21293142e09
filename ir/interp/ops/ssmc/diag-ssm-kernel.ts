import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { broadcastIndex, rt } from '../../rtensor.js';
import { lengthOf, vandermondeSum } from '../../vandermonde-sum.js';

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

export const DiagSSMKernel = ssmcKernel('DiagSSMKernel', diagKernel);
