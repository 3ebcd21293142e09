import { isComplex } from '../../types.js';
import { need, onnxKernel } from '../kernel.js';
import { broadcastDims, broadcastIndex, rt, size } from '../rtensor.js';

/** numpy matmul semantics (1-D operands promoted and squeezed), real or complex. */
export const MatMul = onnxKernel('MatMul', (inputs, node) => {
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
});
