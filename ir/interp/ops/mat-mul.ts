import { cgemm, gemm } from '../../linalg.js';
import { isComplex } from '../../types.js';
import { need, onnxKernel } from '../kernel.js';
import { broadcastDims, broadcastIndex, rt, size } from '../rtensor.js';
import { promoteComplex } from '../strided.js';

/**
 * numpy matmul semantics (1-D operands promoted and squeezed), real or complex, by the blocked
 * kernels of ir/linalg.ts; both sum each output over k in order, as the definition does. A right
 * operand shared by the whole batch multiplies the batch's rows as one matrix (a Vandermonde
 * kernel's [H,1,N]·[1,N,L]: one [H,N]·[N,L] product, where row by row left nothing to block).
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
  const multiply = cplx ? cgemm : gemm;
  // The batch's left operands lie one after another and share one right operand: one product.
  const shared = ib.every((o) => o === 0) && ia.every((o, q) => o === q);
  if (shared) multiply(nb * M, K, N, A, 0, B, 0, O, 0);
  else for (let q = 0; q < nb; q++) multiply(M, K, N, A, ia[q]! * M * K, B, ib[q]! * K * N, O, q * M * N);
  let dims = out.dims;
  if (a0.dims.length === 1) dims = [...dims.slice(0, -2), dims[dims.length - 1]!];
  if (b0.dims.length === 1) dims = dims.slice(0, -1);
  return [{ ...out, dims }];
});
