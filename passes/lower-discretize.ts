import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import { discretize } from '../ir/ops/discretize.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/**
 * Discretize(dt, A, BC){disc} → (λ, coef) in complex ops (ir/ops/discretize.ts):
 *   w = dt·A
 *   zoh:      coef = BC·(exp(w) − 1)/A,  λ = w
 *   bilinear: coef = BC·dt/(1 − w/2),    λ = log((1 + w/2)/(1 − w/2))
 * Independent of L, so it folds even for a dynamic length.
 */
function lowerDiscretize(b: Builder, node: Node): Value[] {
  const [dt, A, BC] = [0, 1, 2].map((i) => node.input(i)) as [Value, Value, Value];
  const { lambda, coef } = discretize(b, dt, A, BC, node.attrString('disc'));
  return [lambda, coef];
}

export const lowerDiscretizePass: Pass = {
  name: 'lower-discretize',
  description: 'Discretize → the ZOH or bilinear discretisation of a diagonal SSM in complex ops',
  run: (model) => changed(rewriteNodes(model, SSMC_DOMAIN, 'Discretize', lowerDiscretize)),
  ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'Discretize'),
};
