import { isComplex, isInteger } from '../types.js';
import { need, type Kernel } from './kernel.js';
import { broadcastDims, broadcastIndex, rt, size } from './rtensor.js';

/** Shared shapes of the elementwise kernels in ops/: binary with broadcasting, unary, variadic. */

export type Real2 = (a: number, b: number) => number;
export type Cplx2 = (ar: number, ai: number, br: number, bi: number) => [number, number];

/** numpy-broadcasting binary op; complex operands use `cplx` (an op without one refuses them). */
export function binaryKernel(real: Real2, cplx?: Cplx2, outDtype?: 'bool'): Kernel {
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

/** Elementwise unary op; `f` may read the node (attributes such as Elu's alpha). */
export function unaryKernel(real: (x: number) => number, cplx?: (re: number, im: number) => [number, number]): Kernel {
  return unaryWithAttrs(() => real, cplx);
}

/** Unary op whose function depends on the node's attributes, read once per call. */
export function unaryWithAttrs(
  make: (node: Parameters<Kernel>[1]) => (x: number) => number,
  cplx?: (re: number, im: number) => [number, number],
): Kernel {
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
    const real = make(node);
    const out = rt(a.dtype, a.dims);
    for (let k = 0; k < a.data.length; k++) out.data[k] = real(a.data[k]!);
    return [out];
  };
}

/** Integer operands take `intKernel` (ONNX Div on integers truncates toward zero), floats `floatKernel`. */
export function intAware(floatKernel: Kernel, intKernel: Kernel): Kernel {
  return (inputs, node, ctx) => (isInteger(need(inputs, 0, node).dtype) ? intKernel : floatKernel)(inputs, node, ctx);
}

/** Variadic Max/Min/Sum/Mean fold pairwise. */
export function variadicKernel(op: Real2): Kernel {
  const pair = binaryKernel(op);
  return (inputs, node, ctx) => {
    let acc = need(inputs, 0, node);
    for (let i = 1; i < inputs.length; i++) acc = pair([acc, need(inputs, i, node)], node, ctx)[0]!;
    return [acc];
  };
}

export const cmul: Cplx2 = (ar, ai, br, bi) => [ar * br - ai * bi, ar * bi + ai * br];
export const cdiv: Cplx2 = (ar, ai, br, bi) => {
  const d = br * br + bi * bi;
  return [(ar * br + ai * bi) / d, (ai * br - ar * bi) / d];
};
