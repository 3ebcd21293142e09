import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import { discretize } from '../ir/ops/discretize.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/**
 * DiagSSMKernel(dt, A, BC, L){disc, scale} → discretisation in complex ops + Vandermonde:
 *   w = dt·A
 *   zoh:      coef = BC·(exp(w) − 1)/A,  λ = w
 *   bilinear: coef = BC·dt/(1 − w/2),    λ = log((1 + w/2)/(1 − w/2))
 * Everything before the Vandermonde is independent of L, so it folds even for a dynamic length.
 */
function lowerDiagKernel(b: Builder, node: Node): Value[] {
  const [dt, A, BC, L] = [0, 1, 2, 3].map((i) => node.input(i)) as [Value, Value, Value, Value];
  const { lambda, coef } = discretize(b, dt, A, BC, node.attrString('disc'));
  const scale = node.attrs.get('scale') ?? { kind: 'float' as const, value: 1 };
  return [b.ssm('Vandermonde', [lambda, coef, L], { scale })];
}

export const lowerSsmKernelPass: Pass = {
  name: 'lower-ssm-kernel',
  description: 'DiagSSMKernel → ZOH/bilinear discretisation (complex ops) + Vandermonde',
  run: (model) => changed(rewriteNodes(model, SSMC_DOMAIN, 'DiagSSMKernel', lowerDiagKernel)),
  ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'DiagSSMKernel'),
};
