import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/**
 * Vandermonde(λ, coef, L){scale} → K[c,h,l] = scale·Re Σ_n coef[c,h,n]·exp(λ[h,n]·l):
 * positions l = 0..L−1 from Range (so a dynamic L works), S = exp(λ ⊗ l) formed as λ·l in
 * float32 then exp — the way the official code does it (ssm-math.md §6.1) — and one batched
 * complex MatMul over the modes. Only the real part survives lower-complex + dce.
 */
function lowerVandermonde(b: Builder, node: Node): Value[] {
  const [lambda, coef, L] = [0, 1, 2].map((i) => node.input(i)) as [Value, Value, Value];
  const scale = node.attrFloat('scale', 1);
  const positions = b.positions(L); // [L]
  const lam = lambda.type.shape?.length === 1 ? b.unsqueeze(lambda, [0]) : lambda; // [H|1, N]
  const S = b.exp(b.mul(b.unsqueeze(lam, [2]), positions)); // [H|1, N, L]
  const coefHCN = b.transpose(coef, [1, 0, 2]); // [H, C, N]
  const K = b.ssm('Real', [b.matmul(coefHCN, S)]); // [H, C, L]
  const scaled = scale === 1 ? K : b.mul(K, b.f32(scale));
  return [b.transpose(scaled, [1, 0, 2])]; // [C, H, L]
}

export const lowerVandermondePass: Pass = {
  name: 'lower-vandermonde',
  description: 'Vandermonde → exp(λ·l) over positions and a complex MatMul over the modes',
  run: (model) => changed(rewriteNodes(model, SSMC_DOMAIN, 'Vandermonde', lowerVandermonde)),
  ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'Vandermonde'),
};
