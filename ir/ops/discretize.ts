import type { Builder } from '../builder.js';
import { SSMC_DOMAIN } from '../node.js';
import { c64 } from '../tensor.js';
import type { Value } from '../value.js';

/** The discretisations of a diagonal SSM (ssm-math.md §2.1-§2.2). */
export const DISCRETIZATIONS = ['zoh', 'bilinear'] as const;
export type Discretization = (typeof DISCRETIZATIONS)[number];

/**
 * ZOH or bilinear discretisation of a diagonal SSM (dt [H,1]|[H,N], A c64 [H,N], BC c64 [C,H,N])
 * in Vandermonde form: K_l = Re Σ coef·exp(λ·l), equivalently the recurrence
 * x_l = exp(λ)·x_{l−1} + u_l, y = Re Σ coef·x_l.
 *   w = dt·A
 *   zoh:      coef = BC·(exp(w) − 1)/A,  λ = w
 *   bilinear: coef = BC·dt/(1 − w/2),    λ = log((1 + w/2)/(1 − w/2))
 * The `Discretize` op's lowering and the step and prefill forms of the models share it.
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

/**
 * The high-level `Discretize` op (ir/ssm-ops.ts): the same discretisation as one node, which the
 * float64 interpreter evaluates from its definition and lower-discretize expands into `discretize`.
 */
export function discretizeOp(b: Builder, dt: Value, A: Value, BC: Value, disc: Discretization): { lambda: Value; coef: Value } {
  const [lambda, coef] = b.node('Discretize', [dt, A, BC], { disc }, 2, { domain: SSMC_DOMAIN });
  return { lambda: lambda!, coef: coef! };
}
