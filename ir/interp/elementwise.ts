import { isComplex, isInteger } from '../types.js';
import { need, type Kernel } from './kernel.js';
import { broadcastDims, rt, size, strides } from './rtensor.js';
import { promoteComplex } from './strided.js';

/**
 * Shared shapes of the elementwise kernels in ops/: binary with broadcasting, unary, variadic.
 * They walk their operands in contiguous runs (broadcasting as stride 0) rather than through a
 * per-element index map: folding an S4 kernel runs them over tens of millions of elements.
 */

export type Real2 = (a: number, b: number) => number;
export type Cplx2 = (ar: number, ai: number, br: number, bi: number) => [number, number];

/**
 * One contiguous run of a binary op: out[o + k] = a[ia + k·sa] ∘ b[ib + k·sb] for k < n
 * (offsets and strides in elements; complex data is interleaved, so a complex run indexes 2·i).
 * A hot op passes its own loop (ops/add.ts …): one loop per op stays monomorphic.
 */
export type Run = (out: Float64Array, o: number, a: Float64Array, ia: number, sa: number, b: Float64Array, ib: number, sb: number, n: number) => void;

/** The run of a scalar function (a call per element: for the ops that are not hot). */
export function realRun(f: Real2): Run {
  return (out, o, a, ia, sa, b, ib, sb, n) => {
    for (let k = 0; k < n; k++, ia += sa, ib += sb) out[o + k] = f(a[ia]!, b[ib]!);
  };
}

export function complexRun(f: Cplx2): Run {
  return (out, o, a, ia, sa, b, ib, sb, n) => {
    for (let k = 0; k < n; k++, ia += sa, ib += sb) {
      const [r, i] = f(a[2 * ia]!, a[2 * ia + 1]!, b[2 * ib]!, b[2 * ib + 1]!);
      out[2 * (o + k)] = r;
      out[2 * (o + k) + 1] = i;
    }
  };
}

/**
 * Visit the output of two operands broadcast to `dims` in runs along its innermost axis after
 * merging the axes both operands walk contiguously (a [C,H,N] by [H,N] product is one run per c).
 * O(elements) with O(1) work per run; no index map.
 */
export function forEachRun(aDims: readonly number[], bDims: readonly number[], dims: readonly number[], visit: (o: number, ia: number, sa: number, ib: number, sb: number, n: number) => void): void {
  const rank = dims.length;
  const stridesIn = (d: readonly number[]) => {
    const s = strides(d);
    return dims.map((_, i) => {
      const j = i - (rank - d.length);
      return j < 0 || d[j] === 1 ? 0 : s[j]!;
    });
  };
  const sa0 = stridesIn(aDims), sb0 = stridesIn(bDims);
  // Merged axes, innermost first: [size, stride in a, stride in b].
  const axes: [number, number, number][] = [];
  for (let i = rank - 1; i >= 0; i--) {
    const d = dims[i]!;
    if (d === 1) continue;
    const last = axes[axes.length - 1];
    if (last && sa0[i] === last[1] * last[0] && sb0[i] === last[2] * last[0]) {
      last[0] *= d;
      // A merged run keeps its innermost strides.
    } else axes.push([d, sa0[i]!, sb0[i]!]);
  }
  if (size(dims) === 0) return;
  if (axes.length === 0) {
    visit(0, 0, 0, 0, 0, 1);
    return;
  }
  const [n, sa, sb] = axes[0]!;
  const outer = axes.slice(1);
  const count = outer.map(() => 0);
  let o = 0, ia = 0, ib = 0;
  for (;;) {
    visit(o, ia, sa, ib, sb, n);
    o += n;
    let d = 0;
    for (; d < outer.length; d++) {
      const [len, da, db] = outer[d]!;
      ia += da;
      ib += db;
      if (++count[d]! < len) break;
      ia -= da * len;
      ib -= db * len;
      count[d] = 0;
    }
    if (d === outer.length) return;
  }
}

/** numpy-broadcasting binary op; complex operands use `cplx` (an op without one refuses them). */
export function binaryKernel(real: Real2, cplx?: Cplx2, outDtype?: 'bool'): Kernel {
  return runKernel(realRun(real), cplx && complexRun(cplx), outDtype);
}

/** A binary op given as its loops (the hot ones: Add, Sub, Mul, Div). */
export function runKernel(real: Run, cplx?: Run, outDtype?: 'bool'): Kernel {
  return (inputs, node) => {
    let a = need(inputs, 0, node), b = need(inputs, 1, node);
    const dims = broadcastDims(a.dims, b.dims, `node '${node.name}' (${node.op})`);
    const complex = isComplex(a.dtype) || isComplex(b.dtype);
    if (complex && !cplx) throw new Error(`node '${node.name}': ${node.op} has no complex form`);
    if (complex) {
      a = promoteComplex(a);
      b = promoteComplex(b);
    }
    const out = rt(complex ? 'complex64' : outDtype ?? a.dtype, dims);
    const loop = complex ? cplx! : real;
    const A = a.data, B = b.data, O = out.data;
    forEachRun(a.dims, b.dims, dims, (o, ia, sa, ib, sb, n) => loop(O, o, A, ia, sa, B, ib, sb, n));
    return [out];
  };
}

/** A whole real unary op: out[k] = f(a[k]) for every element. */
export type RealUnaryLoop = (out: Float64Array, a: Float64Array) => void;

/**
 * A unary op's real form: a function of one element, or its own loop (`{ loop }`) where it is hot
 * (folding an S4D layer's chunk weights runs Exp, Cos and Sin over millions of elements; one loop
 * shared by every op calls its function megamorphically, 2-8× slower than a loop of its own).
 */
export type RealUnary = ((x: number) => number) | { loop: RealUnaryLoop };

/** A whole complex unary op: out[2k], out[2k+1] from a[2k], a[2k+1] for every element (one loop per hot op). */
export type ComplexUnaryLoop = (out: Float64Array, a: Float64Array) => void;

/** A unary op's complex form: per element (re, im) → (re, im), or its own loop (`{ loop }`) where it is hot. */
export type ComplexUnary = ((re: number, im: number) => [number, number]) | { loop: ComplexUnaryLoop };

/** Elementwise unary op. */
export function unaryKernel(real: RealUnary, cplx?: ComplexUnary): Kernel {
  return unaryWithAttrs(() => real, cplx);
}

/** Unary op whose function depends on the node's attributes (such as Elu's alpha), read once per call. */
export function unaryWithAttrs(make: (node: Parameters<Kernel>[1]) => RealUnary, cplx?: ComplexUnary): Kernel {
  const loop: ComplexUnaryLoop | undefined = cplx === undefined ? undefined : typeof cplx === 'function' ? tupleLoop(cplx) : cplx.loop;
  return (inputs, node) => {
    const a = need(inputs, 0, node);
    if (isComplex(a.dtype)) {
      if (!loop) throw new Error(`node '${node.name}': ${node.op} has no complex form`);
      const out = rt(a.dtype, a.dims);
      loop(out.data, a.data);
      return [out];
    }
    const real = make(node);
    const out = rt(a.dtype, a.dims);
    const O = out.data, A = a.data;
    if (typeof real === 'function') for (let k = 0; k < A.length; k++) O[k] = real(A[k]!);
    else real.loop(O, A);
    return [out];
  };
}

function tupleLoop(f: (re: number, im: number) => [number, number]): ComplexUnaryLoop {
  return (out, a) => {
    for (let k = 0; k < a.length; k += 2) {
      const [r, i] = f(a[k]!, a[k + 1]!);
      out[k] = r;
      out[k + 1] = i;
    }
  };
}

/** Integer operands take `intKernel` (ONNX Div on integers truncates toward zero), floats `floatKernel`. */
export function intAware(floatKernel: Kernel, intKernel: Kernel): Kernel {
  return (inputs, node, ctx) => (isInteger(need(inputs, 0, node).dtype) ? intKernel : floatKernel)(inputs, node, ctx);
}

/** Variadic Max/Min/Sum/Mean fold pairwise. */
export function variadicKernel(op: Real2 | Run): Kernel {
  const pair = op.length === 2 ? binaryKernel(op as Real2) : runKernel(op as Run);
  return (inputs, node, ctx) => {
    let acc = need(inputs, 0, node);
    for (let i = 1; i < inputs.length; i++) acc = pair([acc, need(inputs, i, node)], node, ctx)[0]!;
    return [acc];
  };
}

// The hot loops, one per op (offsets in elements; complex data interleaved).
export const addRun: Run = (out, o, a, ia, sa, b, ib, sb, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) out[o + k] = a[ia]! + b[ib]!;
};
export const subRun: Run = (out, o, a, ia, sa, b, ib, sb, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) out[o + k] = a[ia]! - b[ib]!;
};
export const mulRun: Run = (out, o, a, ia, sa, b, ib, sb, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) out[o + k] = a[ia]! * b[ib]!;
};
export const divRun: Run = (out, o, a, ia, sa, b, ib, sb, n) => {
  for (let k = 0; k < n; k++, ia += sa, ib += sb) out[o + k] = a[ia]! / b[ib]!;
};
export const caddRun: Run = (out, o, a, ia, sa, b, ib, sb, n) => {
  for (let k = 2 * o, e = 2 * (o + n); k < e; k += 2, ia += sa, ib += sb) {
    out[k] = a[2 * ia]! + b[2 * ib]!;
    out[k + 1] = a[2 * ia + 1]! + b[2 * ib + 1]!;
  }
};
export const csubRun: Run = (out, o, a, ia, sa, b, ib, sb, n) => {
  for (let k = 2 * o, e = 2 * (o + n); k < e; k += 2, ia += sa, ib += sb) {
    out[k] = a[2 * ia]! - b[2 * ib]!;
    out[k + 1] = a[2 * ia + 1]! - b[2 * ib + 1]!;
  }
};
export const cmulRun: Run = (out, o, a, ia, sa, b, ib, sb, n) => {
  for (let k = 2 * o, e = 2 * (o + n); k < e; k += 2, ia += sa, ib += sb) {
    const ar = a[2 * ia]!, ai = a[2 * ia + 1]!, br = b[2 * ib]!, bi = b[2 * ib + 1]!;
    out[k] = ar * br - ai * bi;
    out[k + 1] = ar * bi + ai * br;
  }
};
export const cdivRun: Run = (out, o, a, ia, sa, b, ib, sb, n) => {
  for (let k = 2 * o, e = 2 * (o + n); k < e; k += 2, ia += sa, ib += sb) {
    const ar = a[2 * ia]!, ai = a[2 * ia + 1]!, br = b[2 * ib]!, bi = b[2 * ib + 1]!;
    const d = br * br + bi * bi;
    out[k] = (ar * br + ai * bi) / d;
    out[k + 1] = (ai * br - ar * bi) / d;
  }
};
