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
  if (node.inputs[3]) {
    checkRank(node, 3, 3, 'the realization taps [C,H,T]');
    checkRank(node, 4, 3, 'the realization toState [H,T,S]');
    checkRank(node, 5, 3, 'the realization transition [H,S,S]');
    checkRank(node, 6, 4, 'the realization fromState [C,H,S,T]');
  }
  return [same('float32', [u?.[0] ?? null, k?.[0] ?? null, u?.[1] ?? null, u?.[2] ?? null])];
};

/**
 * Whether input i carries a complex operand in the custom-op interface: float32 with a trailing
 * (re, im) dimension of 2, one rank above the complex form (ir/ssm-ops.ts, CUSTOM_OP_DOMAIN_VERSION).
 */
function packedInput(node: Parameters<InferRule>[0], i: number, complexRank: number): boolean {
  const t = inType(node, i);
  return t.dtype === 'float32' && t.shape !== null && t.shape.length === complexRank + 1 && t.shape[complexRank] === 2;
}

/** Vandermonde in either form: complex coef [C,H,N], or the custom op's float32 [C,H,N,2]. */
const vandermonde: InferRule = (node, opset) => {
  if (!packedInput(node, 1, 3)) return kernel(node, opset);
  const coef = inType(node, 1).shape!;
  return [same('float32', [coef[0]!, coef[1]!, lengthDim(node.inputs[2])])];
};

/**
 * DiagSSMStep(x [B,H,N], u [B,H], lambda, coef [C,H,N]) → (y f32 [B,C,H], x_next): x and x_next
 * complex64, or float32 [B,H,N,2] in the custom op.
 */
const diagStep: InferRule = (node) => {
  const packed = packedInput(node, 0, 3);
  if (!packed && inType(node, 0).dtype !== 'complex64') throw new TypeInferenceError(node, 'the state x must be complex64 [B,H,N] (or float32 [B,H,N,2] (re, im) in the custom op)');
  const x = checkRank(node, 0, packed ? 4 : 3, 'the state x');
  checkRank(node, 1, 2, 'the input u [B,H]');
  const coef = checkRank(node, 3, packed ? 4 : 3, 'the coefficients coef [C,H,N]');
  const y = same('float32', [x?.[0] ?? null, coef?.[0] ?? null, x?.[1] ?? null]);
  return [y, packed ? same('float32', x) : same('complex64', x)];
};

/** The custom ops' fused diagonal convolutions: (u [B,H,L], lambda, coef [C,H,N,2], …) → [B,C,H,L]. */
const diagConv: InferRule = (node) => {
  const u = checkRank(node, 0, 3, 'the signal u [B,H,L]');
  const coef = checkRank(node, 2, 4, 'the coefficients coef [C,H,N,2]');
  return [same('float32', [u?.[0] ?? null, coef?.[0] ?? null, u?.[1] ?? null, u?.[2] ?? null])];
};

export const SSM_RULES: Record<string, InferRule> = {
  Complex: (node) => [same('complex64', broadcastShapes(node, [inType(node, 0).shape, inType(node, 1).shape]))],
  Real: (node) => [same('float32', inType(node, 0).shape)],
  Imag: (node) => [same('float32', inType(node, 0).shape)],
  Conj: (node) => [same('complex64', inType(node, 0).shape)],
  DiagSSMKernel: kernel,
  Vandermonde: vandermonde,
  FFTConv: fftconv,
  DiagSSMStep: diagStep,
  FFTConvBidirectional: fftconv,
  DiagSSMConv: diagConv,
  DiagSSMConvBidirectional: diagConv,
};
