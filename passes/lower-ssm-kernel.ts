import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import { c64 } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Pass } from './pass.js';
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

/**
 * ZOH or bilinear discretisation in Vandermonde form: K_l = Re Σ coef·exp(λ·l), equivalently the
 * recurrence x_l = exp(λ)·x_{l−1} + u_l, y = Re Σ coef·x_l (the step mode uses this too).
 */
export function discretize(b: Builder, dt: Value, A: Value, BC: Value, disc: string): { lambda: Value; coef: Value } {
  const one = b.initializer(b.graph.freshName('one'), c64([1], [0], []));
  const w = b.mul(A, dt);
  let coef: Value, lambda: Value;
  if (disc === 'zoh') {
    coef = b.mul(BC, b.div(b.sub(b.exp(w), one), A));
    lambda = w;
  } else if (disc === 'bilinear') {
    const half = b.mul(w, b.f32(0.5));
    const den = b.sub(one, half);
    coef = b.mul(BC, b.div(dt, den));
    lambda = b.op('Log', [b.div(b.add(one, half), den)]);
  } else {
    throw new Error(`disc must be 'zoh' or 'bilinear', got '${disc}'`);
  }
  return { lambda, coef };
}

export const lowerSsmKernelPass: Pass = {
  name: 'lower-ssm-kernel',
  description: 'DiagSSMKernel → ZOH/bilinear discretisation (complex ops) + Vandermonde',
  run: (model) => rewriteNodes(model, SSMC_DOMAIN, 'DiagSSMKernel', lowerDiagKernel),
  ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'DiagSSMKernel'),
};
