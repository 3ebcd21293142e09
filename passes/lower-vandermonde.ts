import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { lazyTensor } from '../ir/tensor.js';
import { onnxCode } from '../ir/types.js';
import { constantValue } from './constant-value.js';
import { MAX_FOLD_BYTES } from './fold-constants.js';
import { changed, type Pass } from './pass.js';
import { vandermondeTaps } from './vandermonde-taps.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/**
 * Vandermonde(λ, coef, L){scale} → K[c,h,l] = scale·Re Σ_n coef[c,h,n]·exp(λ[h,n]·l):
 * positions l = 0..L−1 from Range (so a dynamic L works), S = exp(λ ⊗ l) formed as λ·l in
 * float32 then exp — the way the official code does it (ssm-math.md §6.1) — and the real part
 * of the batched complex MatMul over the modes.
 */
function lowerVandermonde(b: Builder, node: Node): Value[] {
  const [lambda, coef, L] = [0, 1, 2].map((i) => node.input(i)) as [Value, Value, Value];
  const scale = node.attrFloat('scale', 1);
  const taps = constantTaps(b, lambda, coef, L, scale);
  if (taps) return [taps];
  const positions = b.positions(L); // [L]
  const lam = lambda.type.shape?.length === 1 ? b.unsqueeze(lambda, [0]) : lambda; // [H|1, N]
  const S = b.exp(b.mul(b.unsqueeze(lam, [2]), positions)); // [H|1, N, L]
  // Only the real part is wanted: Re(coef·S) = Re coef·Re S − Im coef·Im S, two real MatMuls —
  // what lower-complex and dce left of a complex product anyway, written as such so that nothing
  // (the reference interpreter included) computes the imaginary half.
  const coefHCN = b.transpose(coef, [1, 0, 2]); // [H, C, N]
  const part = (op: 'Real' | 'Imag', x: Value) => b.ssm(op, [x]);
  const K = b.sub(b.matmul(part('Real', coefHCN), part('Real', S)), b.matmul(part('Imag', coefHCN), part('Imag', S))); // [H, C, L]
  const scaled = scale === 1 ? K : b.mul(K, b.f32(scale));
  return [b.transpose(scaled, [1, 0, 2])]; // [C, H, L]
}

/**
 * With λ, the coefficients and L constants (a model's parameters at a fixed length), the taps
 * computed at compile time (vandermonde-taps.ts) as a float64 constant read through a Cast: the
 * lowerings and the constant folder downstream read the exact values, the file stores float32.
 * Null — the graph form — when any is not a constant, or the taps would outgrow what
 * fold-constants folds.
 */
function constantTaps(b: Builder, lambda: Value, coef: Value, L: Value, scale: number): Value | null {
  const memo = new Map();
  const len = constantValue(L, b.opset, memo);
  const lam = len && constantValue(lambda, b.opset, memo);
  const cf = lam && constantValue(coef, b.opset, memo);
  if (!len || !lam || !cf) return null;
  const length = len.data[0]!;
  const [C, H] = cf.dims as [number, number];
  if (!Number.isSafeInteger(length) || length < 1 || C * H * length * 8 > MAX_FOLD_BYTES) return null;
  const taps = b.initializer(b.graph.freshName('vandermonde_taps'), lazyTensor('float64', [C, H, length], () => vandermondeTaps(lam, cf, scale, length)));
  return b.cast(taps, onnxCode('float32'));
}

export const lowerVandermondePass: Pass = {
  name: 'lower-vandermonde',
  description: 'Vandermonde → its taps computed at compile time (constant parameters and length), else exp(λ·l) over positions and the real part of a MatMul over the modes',
  run: (model) => changed(rewriteNodes(model, SSMC_DOMAIN, 'Vandermonde', lowerVandermonde)),
  ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'Vandermonde'),
};
