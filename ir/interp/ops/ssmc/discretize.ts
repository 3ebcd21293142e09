import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { broadcastDims, broadcastIndex, rt } from '../../rtensor.js';

/**
 * Discretize(dt, A, BC){disc} → (λ, coef), per mode in float64 (ssm-math.md §2.1-§2.2):
 *   w = dt·A
 *   zoh:      coef = BC·(exp(w) − 1)/A,  λ = w
 *   bilinear: coef = BC·dt/(1 − w/2),    λ = log((1 + w/2)/(1 − w/2))  (principal branch)
 */
const discretize: Kernel = (inputs, node) => {
  const dt = need(inputs, 0, node), A = need(inputs, 1, node), BC = need(inputs, 2, node);
  const disc = node.attrString('disc');
  if (disc !== 'zoh' && disc !== 'bilinear') throw new Error(`node '${node.name}' (Discretize): disc must be 'zoh' or 'bilinear', got '${disc}'`);
  const what = `node '${node.name}' (Discretize)`;
  const modes = broadcastDims(A.dims, dt.dims, what);
  const coefDims = broadcastDims(BC.dims, modes, what);
  const idt = broadcastIndex(dt.dims, modes), iA = broadcastIndex(A.dims, modes);
  const lambda = rt('complex64', modes);
  const factor = new Float64Array(lambda.data.length); // (exp(w) − 1)/A or dt/(1 − w/2), complex
  for (let k = 0; k < idt.length; k++) {
    const d = dt.data[idt[k]!]!, ar = A.data[2 * iA[k]!]!, ai = A.data[2 * iA[k]! + 1]!;
    const wr = d * ar, wi = d * ai;
    let fr: number, fi: number, lr: number, li: number;
    if (disc === 'zoh') {
      const er = Math.exp(wr) * Math.cos(wi) - 1, ei = Math.exp(wr) * Math.sin(wi), den = ar * ar + ai * ai;
      [fr, fi, lr, li] = [(er * ar + ei * ai) / den, (ei * ar - er * ai) / den, wr, wi];
    } else {
      const dr = 1 - wr / 2, di = -wi / 2, den = dr * dr + di * di;
      const nr = 1 + wr / 2, ni = wi / 2, qr = (nr * dr + ni * di) / den, qi = (ni * dr - nr * di) / den;
      [fr, fi, lr, li] = [(d * dr) / den, (-d * di) / den, 0.5 * Math.log(qr * qr + qi * qi), Math.atan2(qi, qr)];
    }
    lambda.data[2 * k] = lr;
    lambda.data[2 * k + 1] = li;
    factor[2 * k] = fr;
    factor[2 * k + 1] = fi;
  }
  const coef = rt('complex64', coefDims);
  const ib = broadcastIndex(BC.dims, coefDims), im = broadcastIndex(modes, coefDims);
  for (let j = 0; j < ib.length; j++) {
    const br = BC.data[2 * ib[j]!]!, bi = BC.data[2 * ib[j]! + 1]!, fr = factor[2 * im[j]!]!, fi = factor[2 * im[j]! + 1]!;
    coef.data[2 * j] = br * fr - bi * fi;
    coef.data[2 * j + 1] = br * fi + bi * fr;
  }
  return [lambda, coef];
};

export const Discretize = ssmcKernel('Discretize', discretize);
