import type { Builder } from '../../ir/builder.js';
import type { Value } from '../../ir/value.js';

/** S4's `param_transform` names (ssm-math.md §2.2): how a stored tensor becomes Δ or −Re/−Im a. */
export const PARAM_TRANSFORMS = ['exp', 'softplus', 'relu', 'sigmoid', 'none'] as const;
export type ParamTransform = (typeof PARAM_TRANSFORMS)[number];

export function paramTransform(b: Builder, x: Value, t: ParamTransform): Value {
  switch (t) {
    case 'exp': return b.exp(x);
    case 'softplus': return b.op('Softplus', [x]);
    case 'relu': return b.add(b.op('Relu', [x]), b.f32(1e-4));
    case 'sigmoid': return b.op('Sigmoid', [x]);
    case 'none': return x;
  }
}

/** The inverse, used only to initialise fresh parameters; inputs are first clamped to ≥ 1e-4. */
export function invTransform(x: number, t: ParamTransform): number {
  const v = Math.max(x, 1e-4);
  switch (t) {
    case 'exp': return Math.log(v);
    case 'softplus': return Math.log(Math.exp(v) - 1);
    case 'relu':
    case 'none': return v;
    case 'sigmoid': return Math.log(v / (1 - v));
  }
}
