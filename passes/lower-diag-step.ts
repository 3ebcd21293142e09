import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/**
 * DiagSSMStep(x, u, λ, coef){scale} → (y, x_next) in complex elementwise ops (lower-complex then
 * splits them into real pairs):
 *   x_next = x ⊙ exp(λ) + u            u [B,H] broadcast over the modes
 *   y      = scale · Re Σ_n coef ⊙ x_next   coef [C,H,N] against x_next [B,1,H,N]
 */
function lowerDiagStep(b: Builder, node: Node): Value[] {
  const [x, u, lambda, coef] = [0, 1, 2, 3].map((i) => node.input(i)) as [Value, Value, Value, Value];
  const scale = node.attrFloat('scale', 1);
  const next = b.add(b.mul(x, b.exp(lambda)), b.unsqueeze(u, [2])); // [B,H,N]
  const prod = b.mul(b.unsqueeze(coef, [0]), b.unsqueeze(next, [1])); // [B,C,H,N]
  const y = b.ssm('Real', [b.op('ReduceSum', [prod, b.i64([3], undefined, 'axes')], { keepdims: 0 })]); // [B,C,H]
  return [scale === 1 ? y : b.mul(y, b.f32(scale)), next];
}

export const lowerDiagStepPass: Pass = {
  name: 'lower-diag-step',
  description: 'DiagSSMStep → exp(λ)·x + u and the complex coefficient sum (step graphs)',
  run: (model) => changed(rewriteNodes(model, SSMC_DOMAIN, 'DiagSSMStep', lowerDiagStep)),
  ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'DiagSSMStep'),
};
