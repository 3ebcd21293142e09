import { dtypeFromCode, isComplex, isInteger } from '../../types.js';
import type { Kernel } from '../kernel.js';
import { need } from '../kernel.js';
import { broadcastDims, broadcastIndex, rt, size, type RTensor } from '../rtensor.js';

type Real2 = (a: number, b: number) => number;
type Cplx2 = (ar: number, ai: number, br: number, bi: number) => [number, number];

function binary(real: Real2, cplx?: Cplx2, outDtype?: 'bool'): Kernel {
  return (inputs, node) => {
    const a = need(inputs, 0, node), b = need(inputs, 1, node);
    const dims = broadcastDims(a.dims, b.dims, `node '${node.name}' (${node.op})`);
    const ia = broadcastIndex(a.dims, dims), ib = broadcastIndex(b.dims, dims);
    const n = size(dims);
    const ca = isComplex(a.dtype), cb = isComplex(b.dtype);
    if (ca || cb) {
      if (!cplx) throw new Error(`node '${node.name}': ${node.op} has no complex form`);
      const out = rt('complex64', dims);
      for (let k = 0; k < n; k++) {
        const ar = ca ? a.data[2 * ia[k]!]! : a.data[ia[k]!]!, ai = ca ? a.data[2 * ia[k]! + 1]! : 0;
        const br = cb ? b.data[2 * ib[k]!]! : b.data[ib[k]!]!, bi = cb ? b.data[2 * ib[k]! + 1]! : 0;
        const [r, i] = cplx(ar, ai, br, bi);
        out.data[2 * k] = r;
        out.data[2 * k + 1] = i;
      }
      return [out];
    }
    const out = rt(outDtype ?? a.dtype, dims);
    for (let k = 0; k < n; k++) out.data[k] = real(a.data[ia[k]!]!, b.data[ib[k]!]!);
    return [out];
  };
}

function unary(real: (x: number) => number, cplx?: (re: number, im: number) => [number, number]): Kernel {
  return (inputs, node) => {
    const a = need(inputs, 0, node);
    if (isComplex(a.dtype)) {
      if (!cplx) throw new Error(`node '${node.name}': ${node.op} has no complex form`);
      const out = rt(a.dtype, a.dims);
      for (let k = 0; k < a.data.length / 2; k++) {
        const [r, i] = cplx(a.data[2 * k]!, a.data[2 * k + 1]!);
        out.data[2 * k] = r;
        out.data[2 * k + 1] = i;
      }
      return [out];
    }
    const out = rt(a.dtype, a.dims);
    for (let k = 0; k < a.data.length; k++) out.data[k] = real(a.data[k]!);
    return [out];
  };
}

/** Exact erf to ~1e-16 via its Taylor series near 0 and the continued fraction of erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax, sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) (Lentz), accurate for x ≥ 2.5.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + (k / 2) / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Integer division truncates toward zero (ONNX Div on int64/int32), float division does not. */
function intAware(floatKernel: Kernel, intKernel: Kernel): Kernel {
  return (inputs, node, ctx) => (isInteger(need(inputs, 0, node).dtype) ? intKernel : floatKernel)(inputs, node, ctx);
}

const cmul: Cplx2 = (ar, ai, br, bi) => [ar * br - ai * bi, ar * bi + ai * br];
const cdiv: Cplx2 = (ar, ai, br, bi) => {
  const d = br * br + bi * bi;
  return [(ar * br + ai * bi) / d, (ai * br - ar * bi) / d];
};

const where: Kernel = (inputs, node) => {
  const c = need(inputs, 0, node), a = need(inputs, 1, node), b = need(inputs, 2, node);
  const what = `node '${node.name}' (Where)`;
  const dims = broadcastDims(broadcastDims(c.dims, a.dims, what), b.dims, what);
  const ic = broadcastIndex(c.dims, dims), ia = broadcastIndex(a.dims, dims), ib = broadcastIndex(b.dims, dims);
  const out = rt(a.dtype, dims);
  for (let k = 0; k < out.data.length; k++) out.data[k] = c.data[ic[k]!] ? a.data[ia[k]!]! : b.data[ib[k]!]!;
  return [out];
};

const cast: Kernel = (inputs, node) => {
  const a = need(inputs, 0, node);
  const to = dtypeFromCode(node.attrInt('to'));
  if (!to) throw new Error(`node '${node.name}': Cast 'to' = ${node.attrInt('to')} is not a data type`);
  const out = rt(to, a.dims);
  const f = to === 'float32' ? Math.fround : to === 'float64' ? (x: number) => x : to === 'bool' ? (x: number) => (x ? 1 : 0) : Math.trunc;
  for (let k = 0; k < a.data.length; k++) out.data[k] = f(a.data[k]!);
  return [out];
};

/** Variadic Max/Min/Sum fold pairwise. */
function variadic(op: Real2): Kernel {
  const pair = binary(op);
  return (inputs, node, ctx) => {
    let acc = need(inputs, 0, node);
    for (let i = 1; i < inputs.length; i++) acc = pair([acc, need(inputs, i, node)], node, ctx)[0]!;
    return [acc];
  };
}

const FLOOR_MOD = binary((a, b) => a - b * Math.floor(a / b));
const FMOD = binary((a, b) => a % b);

export const ELEMENTWISE_KERNELS: Record<string, Kernel> = {
  Add: binary((a, b) => a + b, (ar, ai, br, bi) => [ar + br, ai + bi]),
  Sub: binary((a, b) => a - b, (ar, ai, br, bi) => [ar - br, ai - bi]),
  Mul: binary((a, b) => a * b, cmul),
  Div: intAware(binary((a, b) => a / b, cdiv), binary((a, b) => Math.trunc(a / b))),
  Pow: binary((a, b) => a ** b),
  // ONNX Mod: fmod=0 (integers) takes the divisor's sign, like Python's %; fmod=1 the dividend's, like C's fmod.
  Mod: (inputs, node, ctx) => (node.attrInt('fmod', 0) === 1 ? FMOD : FLOOR_MOD)(inputs, node, ctx),
  Max: variadic(Math.max), Min: variadic(Math.min), Sum: variadic((a, b) => a + b),
  Equal: binary((a, b) => +(a === b), undefined, 'bool'),
  Less: binary((a, b) => +(a < b), undefined, 'bool'),
  Greater: binary((a, b) => +(a > b), undefined, 'bool'),
  LessOrEqual: binary((a, b) => +(a <= b), undefined, 'bool'),
  GreaterOrEqual: binary((a, b) => +(a >= b), undefined, 'bool'),
  And: binary((a, b) => +(a && b), undefined, 'bool'),
  Or: binary((a, b) => +(a || b), undefined, 'bool'),
  Not: unary((x) => +!x),
  Neg: unary((x) => -x, (r, i) => [-r, -i]),
  Abs: unary(Math.abs),
  Exp: unary(Math.exp, (r, i) => [Math.exp(r) * Math.cos(i), Math.exp(r) * Math.sin(i)]),
  Log: unary(Math.log, (r, i) => [0.5 * Math.log(r * r + i * i), Math.atan2(i, r)]),
  Sqrt: unary(Math.sqrt),
  Reciprocal: unary((x) => 1 / x),
  Sin: unary(Math.sin), Cos: unary(Math.cos), Atan: unary(Math.atan), Tanh: unary(Math.tanh),
  Floor: unary(Math.floor), Ceil: unary(Math.ceil), Sign: unary(Math.sign),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x))),
  Erf: unary(erf),
  Relu: unary((x) => Math.max(0, x)),
  Softplus: unary((x) => (x > 30 ? x : Math.log1p(Math.exp(x)))),
  Elu: unary((x) => (x >= 0 ? x : Math.exp(x) - 1)),
  Identity: (inputs, node) => [need(inputs, 0, node)],
  Where: where,
  Cast: cast,
};

export type { RTensor };
