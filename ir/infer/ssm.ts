import type { Dim } from '../types.js';
import { broadcastShapes, inType, knownInts, same, TypeInferenceError, type InferRule } from './context.js';
import { checkRank } from './math-ops.js';

/** The kernel length: a constant L gives a number, a Shape-derived L keeps its symbol. */
function lengthDim(v: Parameters<typeof knownInts>[0]): Dim {
  const k = knownInts(v);
  return k && k.length === 1 ? k[0]! : null;
}

/** Vandermonde(lambda, coef [C,H,N], L) → K f32 [C,H,L]. */
const kernel: InferRule = (node) => {
  const coef = checkRank(node, 1, 3, 'the coefficient input [C,H,N]');
  if (inType(node, 1).dtype !== 'complex64') {
    throw new TypeInferenceError(node, 'the coefficient input must be complex64');
  }
  const L = lengthDim(node.inputs[2]);
  return [same('float32', coef ? [coef[0]!, coef[1]!, L] : [null, null, L])];
};

/** Discretize(dt [H,1]|[H,N], A c64 [H,N], BC c64 [C,H,N]) → (lambda c64 [H,N], coef c64 [C,H,N]). */
const discretize: InferRule = (node) => {
  for (const [i, what] of [[1, 'A'], [2, 'BC']] as const) {
    if (inType(node, i).dtype !== 'complex64') throw new TypeInferenceError(node, `${what} must be complex64`);
  }
  const [dt, A, BC] = [0, 1, 2].map((i) => inType(node, i).shape);
  const lambda = broadcastShapes(node, [A!, dt!]);
  return [same('complex64', lambda), same('complex64', broadcastShapes(node, [BC!, lambda]))];
};

/** y [B,C,H,L] from u [B,H,L] and the kernel's output channels. */
function convOutput(node: Parameters<InferRule>[0], channels: Dim | undefined): ReturnType<InferRule> {
  const u = checkRank(node, 0, 3, 'the signal u [B,H,L]');
  return [same('float32', [u?.[0] ?? null, channels ?? null, u?.[1] ?? null, u?.[2] ?? null])];
}

/** LongConv in each kernel form (ir/ops/long-conv.ts); the taps form is also the custom op's LongConv[Bidirectional]. */
const longConv: InferRule = (node) => {
  switch (node.attrString('kernel', 'taps')) {
    case 'taps': {
      const k = checkRank(node, 1, 3, 'the kernel k [C,H,Lk]');
      if (node.inputs[2]) checkRank(node, 2, 3, 'the reverse kernel k_rev [C,H,Lk]');
      return convOutput(node, k?.[0]);
    }
    case 'diagonal': {
      const coef = checkRank(node, 2, 3, 'the coefficients coef [C,H,N]');
      if (inType(node, 1).dtype !== 'complex64' || inType(node, 2).dtype !== 'complex64') throw new TypeInferenceError(node, 'lambda and coef must be complex64');
      checkRank(node, 3, 0, 'the kernel length (an int64 scalar)');
      return convOutput(node, coef?.[0]);
    }
    case 'dense': {
      checkRank(node, 1, 3, 'the state matrix A [H,S,S]');
      checkRank(node, 2, 2, 'the input vector B [H,S]');
      const C = checkRank(node, 3, 3, 'the output rows C [C,H,S]');
      if (node.inputs[4]) checkRank(node, 4, 3, 'the taps k [C,H,Lk]');
      return convOutput(node, C?.[0]);
    }
    default:
      throw new TypeInferenceError(node, `attribute 'kernel' must be taps, diagonal or dense, got '${node.attrString('kernel')}'`);
  }
};

/** The custom op DenseSSMConv(u, A, B, C) → y [B,C,H,L] (a dense LongConv under --custom-ops). */
const denseConv: InferRule = (node) => convOutput(node, checkRank(node, 3, 3, 'the output rows C [C,H,S]')?.[0]);

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

/** CausalAttention(q [B,nh,L,dk], k [B,nh,L,dk], v [B,nh,L,dv]) → y f32 [B,nh,L,dv]. */
const causalAttention: InferRule = (node) => {
  const q = checkRank(node, 0, 4, 'the queries q [B,heads,L,d]');
  checkRank(node, 1, 4, 'the keys k [B,heads,L,d]');
  const v = checkRank(node, 2, 4, 'the values v [B,heads,L,d]');
  for (const i of [0, 1, 2]) if (inType(node, i).dtype !== 'float32') throw new TypeInferenceError(node, 'q, k and v must be float32');
  if (node.attrInt('chunk', 0) < 0) throw new TypeInferenceError(node, "attribute 'chunk' must be 0 (full causal attention) or a positive chunk length");
  return [same('float32', [q?.[0] ?? null, q?.[1] ?? null, q?.[2] ?? null, v?.[3] ?? null])];
};

export const SSM_RULES: Record<string, InferRule> = {
  Complex: (node) => [same('complex64', broadcastShapes(node, [inType(node, 0).shape, inType(node, 1).shape]))],
  Real: (node) => [same('float32', inType(node, 0).shape)],
  Imag: (node) => [same('float32', inType(node, 0).shape)],
  Conj: (node) => [same('complex64', inType(node, 0).shape)],
  Discretize: discretize,
  Vandermonde: vandermonde,
  LongConv: longConv,
  DiagSSMStep: diagStep,
  LongConvBidirectional: longConv,
  DiagSSMConv: diagConv,
  DiagSSMConvBidirectional: diagConv,
  DenseSSMConv: denseConv,
  CausalAttention: causalAttention,
};
