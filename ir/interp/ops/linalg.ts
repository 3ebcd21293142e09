import { isComplex } from '../../types.js';
import type { Kernel } from '../kernel.js';
import { need } from '../kernel.js';
import { broadcastDims, broadcastIndex, normAxis, ints, rt, size, strides } from '../rtensor.js';

/** numpy matmul semantics (1-D operands promoted and squeezed), real or complex. */
const matmul: Kernel = (inputs, node) => {
  const a0 = need(inputs, 0, node), b0 = need(inputs, 1, node);
  const aDims = a0.dims.length === 1 ? [1, a0.dims[0]!] : a0.dims;
  const bDims = b0.dims.length === 1 ? [b0.dims[0]!, 1] : b0.dims;
  const M = aDims[aDims.length - 2]!, K = aDims[aDims.length - 1]!, N = bDims[bDims.length - 1]!;
  if (bDims[bDims.length - 2] !== K) {
    throw new Error(`node '${node.name}' (MatMul): inner dimensions differ: [${a0.dims.join(',')}] × [${b0.dims.join(',')}]`);
  }
  const batch = broadcastDims(aDims.slice(0, -2), bDims.slice(0, -2), `node '${node.name}' (MatMul)`);
  const ia = broadcastIndex(aDims.slice(0, -2), batch), ib = broadcastIndex(bDims.slice(0, -2), batch);
  const ca = isComplex(a0.dtype), cb = isComplex(b0.dtype), cplx = ca || cb;
  const out = rt(cplx ? 'complex64' : a0.dtype, [...batch, M, N]);
  const nb = size(batch);
  for (let q = 0; q < nb; q++) {
    const aOff = ia[q]! * M * K, bOff = ib[q]! * K * N, oOff = q * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let re = 0, im = 0;
        for (let k = 0; k < K; k++) {
          const ai = aOff + i * K + k, bi = bOff + k * N + j;
          const ar = ca ? a0.data[2 * ai]! : a0.data[ai]!, aim = ca ? a0.data[2 * ai + 1]! : 0;
          const br = cb ? b0.data[2 * bi]! : b0.data[bi]!, bim = cb ? b0.data[2 * bi + 1]! : 0;
          re += ar * br - aim * bim;
          im += ar * bim + aim * br;
        }
        if (cplx) {
          out.data[2 * (oOff + i * N + j)] = re;
          out.data[2 * (oOff + i * N + j) + 1] = im;
        } else out.data[oOff + i * N + j] = re;
      }
    }
  }
  let dims = out.dims;
  if (a0.dims.length === 1) dims = [...dims.slice(0, -2), dims[dims.length - 1]!];
  if (b0.dims.length === 1) dims = dims.slice(0, -1);
  return [{ ...out, dims }];
};

const gemm: Kernel = (inputs, node) => {
  const a = need(inputs, 0, node), b = need(inputs, 1, node), c = inputs[2] ?? null;
  const tA = node.attrInt('transA', 0), tB = node.attrInt('transB', 0);
  const alpha = node.attrFloat('alpha', 1), beta = node.attrFloat('beta', 1);
  const M = tA ? a.dims[1]! : a.dims[0]!, K = tA ? a.dims[0]! : a.dims[1]!, N = tB ? b.dims[0]! : b.dims[1]!;
  const out = rt(a.dtype, [M, N]);
  const ic = c ? broadcastIndex(c.dims, [M, N]) : null;
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (tA ? a.data[k * M + i]! : a.data[i * K + k]!) * (tB ? b.data[j * K + k]! : b.data[k * N + j]!);
    out.data[i * N + j] = alpha * s + (c && ic ? beta * c.data[ic[i * N + j]!]! : 0);
  }
  return [out];
};

type Reducer = { init: number; step: (acc: number, x: number) => number; finish?: (acc: number, n: number) => number };

/** ReduceSum takes axes as an input from opset 13, the others from opset 18. Complex sums pairwise. */
function reduce(r: Reducer, inputFrom: number): Kernel {
  return (inputs, node, ctx) => {
    const x = need(inputs, 0, node);
    const rank = x.dims.length;
    let axes = ctx.opset >= inputFrom ? ints(inputs[1]) : node.attrInts('axes', []);
    if (axes.length === 0) {
      if (node.attrInt('noop_with_empty_axes', 0)) return [x];
      axes = [...Array(rank).keys()];
    }
    const norm = axes.map((a) => normAxis(a, rank, node.name));
    const keep = node.attrInt('keepdims', 1) === 1;
    const outDimsKeep = x.dims.map((d, i) => (norm.includes(i) ? 1 : d));
    const w = isComplex(x.dtype) ? 2 : 1;
    const out = rt(x.dtype, outDimsKeep);
    out.data.fill(r.init);
    const inS = strides(x.dims), outS = strides(outDimsKeep);
    const n = size(x.dims);
    for (let k = 0; k < n; k++) {
      let dst = 0;
      for (let d = 0; d < rank; d++) if (!norm.includes(d)) dst += (Math.floor(k / inS[d]!) % x.dims[d]!) * outS[d]!;
      for (let c = 0; c < w; c++) out.data[dst * w + c] = r.step(out.data[dst * w + c]!, x.data[k * w + c]!);
    }
    const count = n / size(outDimsKeep);
    if (r.finish) for (let i = 0; i < out.data.length; i++) out.data[i] = r.finish(out.data[i]!, count);
    return [{ ...out, dims: keep ? outDimsKeep : x.dims.filter((_, i) => !norm.includes(i)) }];
  };
}

export const LINALG_KERNELS: Record<string, Kernel> = {
  MatMul: matmul,
  Gemm: gemm,
  ReduceSum: reduce({ init: 0, step: (a, x) => a + x }, 13),
  ReduceMean: reduce({ init: 0, step: (a, x) => a + x, finish: (a, n) => a / n }, 18),
  ReduceMax: reduce({ init: -Infinity, step: Math.max }, 18),
  ReduceMin: reduce({ init: Infinity, step: Math.min }, 18),
};
