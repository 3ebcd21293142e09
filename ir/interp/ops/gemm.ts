import { need, onnxKernel } from '../kernel.js';
import { broadcastIndex, rt } from '../rtensor.js';

/** Gemm: alpha·op(A)·op(B) + beta·C, op a transpose where transA / transB say. */
export const Gemm = onnxKernel('Gemm', (inputs, node) => {
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
});
