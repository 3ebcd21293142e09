import type { Dim } from '../types.js';
import { broadcastShapes, inType, knownInts, same, TypeInferenceError, type InferRule } from './context.js';
import { checkRank } from './math-ops.js';

/** The kernel length: a constant L gives a number, a Shape-derived L keeps its symbol. */
function lengthDim(v: Parameters<typeof knownInts>[0]): Dim {
  const k = knownInts(v);
  return k && k.length === 1 ? k[0]! : null;
}

const kernel: InferRule = (node) => {
  const coefIndex = node.op === 'DiagSSMKernel' ? 2 : 1;
  const coef = checkRank(node, coefIndex, 3, 'the coefficient input [C,H,N]');
  if (inType(node, coefIndex).dtype !== 'complex64') {
    throw new TypeInferenceError(node, 'the coefficient input must be complex64');
  }
  const lenIndex = coefIndex + 1;
  const L = lengthDim(node.inputs[lenIndex]);
  return [same('float32', coef ? [coef[0]!, coef[1]!, L] : [null, null, L])];
};

const fftconv: InferRule = (node) => {
  const u = checkRank(node, 0, 3, 'the signal u [B,H,L]');
  const k = checkRank(node, 1, 3, 'the kernel k [C,H,Lk]');
  if (node.inputs[2]) checkRank(node, 2, 3, 'the reverse kernel k_rev [C,H,Lk]');
  return [same('float32', [u?.[0] ?? null, k?.[0] ?? null, u?.[1] ?? null, u?.[2] ?? null])];
};

export const SSM_RULES: Record<string, InferRule> = {
  Complex: (node) => [same('complex64', broadcastShapes(node, [inType(node, 0).shape, inType(node, 1).shape]))],
  Real: (node) => [same('float32', inType(node, 0).shape)],
  Imag: (node) => [same('float32', inType(node, 0).shape)],
  Conj: (node) => [same('complex64', inType(node, 0).shape)],
  DiagSSMKernel: kernel,
  Vandermonde: kernel,
  FFTConv: fftconv,
};
