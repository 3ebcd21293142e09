import { gemm } from '../../linalg.js';
import { isComplex } from '../../types.js';
import { need, onnxKernel } from '../kernel.js';
import { broadcastDims, broadcastIndex, rt, size } from '../rtensor.js';
import { promoteComplex } from '../strided.js';

/**
 * numpy matmul semantics (1-D operands promoted and squeezed), real or complex: real products by
 * the blocked kernel of ir/linalg.ts, complex ones row by row (i, k, j order); both sum each
 * output over k in order, as the definition does.
 */
export const MatMul = onnxKernel('MatMul', (inputs, node) => {
  let a0 = need(inputs, 0, node), b0 = need(inputs, 1, node);
  const aDims = a0.dims.length === 1 ? [1, a0.dims[0]!] : a0.dims;
  const bDims = b0.dims.length === 1 ? [b0.dims[0]!, 1] : b0.dims;
  const M = aDims[aDims.length - 2]!, K = aDims[aDims.length - 1]!, N = bDims[bDims.length - 1]!;
  if (bDims[bDims.length - 2] !== K) {
    throw new Error(`node '${node.name}' (MatMul): inner dimensions differ: [${a0.dims.join(',')}] × [${b0.dims.join(',')}]`);
  }
  const batch = broadcastDims(aDims.slice(0, -2), bDims.slice(0, -2), `node '${node.name}' (MatMul)`);
  const ia = broadcastIndex(aDims.slice(0, -2), batch), ib = broadcastIndex(bDims.slice(0, -2), batch);
  const cplx = isComplex(a0.dtype) || isComplex(b0.dtype);
  if (cplx) {
    a0 = promoteComplex(a0);
    b0 = promoteComplex(b0);
  }
  const out = rt(cplx ? 'complex64' : a0.dtype, [...batch, M, N]);
  const A = a0.data, B = b0.data, O = out.data;
  const nb = size(batch);
  for (let q = 0; q < nb; q++) {
    const aOff = ia[q]! * M * K, bOff = ib[q]! * K * N, oOff = q * M * N;
    if (!cplx) {
      gemm(M, K, N, A, aOff, B, bOff, O, oOff);
      continue;
    }
    for (let i = 0; i < M; i++) {
      const row = oOff + i * N;
      for (let k = 0; k < K; k++) {
        const ai = aOff + i * K + k, bRow = bOff + k * N;
        const xr = A[2 * ai]!, xi = A[2 * ai + 1]!;
        for (let j = 0; j < N; j++) {
          const br = B[2 * (bRow + j)]!, bi = B[2 * (bRow + j) + 1]!;
          O[2 * (row + j)] += xr * br - xi * bi;
          O[2 * (row + j) + 1] += xr * bi + xi * br;
        }
      }
    }
  }
  let dims = out.dims;
  if (a0.dims.length === 1) dims = [...dims.slice(0, -2), dims[dims.length - 1]!];
  if (b0.dims.length === 1) dims = dims.slice(0, -1);
  return [{ ...out, dims }];
});
