import type { Builder } from '../../ir/builder.js';
import type { Value } from '../../ir/value.js';

/**
 * Exact-erf GELU, as nn.GELU(): 0.5·x·(1 + erf(x/√2)). Written out so every opset runs it, in
 * exactly the shape onnxruntime's GeluFusion matches (Div by √2 → Erf → Add 1 → Mul x → Mul 0.5):
 * fused, it is one pass over the tensor instead of five (−40 % of a GSS layer's elementwise time).
 */
export function gelu(b: Builder, x: Value): Value {
  // One node where the opset has it (20+); before, the erf form, which onnxruntime fuses into one kernel.
  if (b.opset >= 20) return b.op('Gelu', [x]);
  const inner = b.op('Erf', [b.op('Div', [x, b.f32(Math.SQRT2)])]);
  return b.mul(b.mul(x, b.add(inner, b.f32(1))), b.f32(0.5));
}

/**
 * nn.GLU(dim): first half ⊙ sigmoid(second half) along `axis`; with `gate` (S4's 'glu-<act>'),
 * first half ⊙ act(second half).
 */
export function glu(b: Builder, x: Value, axis: number, size: number, gate: string = 'sigmoid'): Value {
  const half = size / 2;
  const a = b.slice(x, [0], [half], [axis]);
  const g = b.slice(x, [half], [size], [axis]);
  return b.mul(a, activation(b, g, gate));
}

/** S4's final activations that halve the width: 'glu' (sigmoid gate) and 'glu-<act>'. */
export function isGlu(name: string | null): boolean {
  return name === 'glu' || (name?.startsWith('glu-') ?? false);
}

/** The gate activation of a GLU-type activation name ('glu' → sigmoid). */
export function gluGate(name: string): string {
  return name === 'glu' ? 'sigmoid' : name.slice('glu-'.length);
}

/** x[..., in] · Wᵀ + bias for an nn.Linear weight of shape [out, in]. */
export function linear(b: Builder, x: Value, weight: Value, bias: Value | null): Value {
  const y = b.matmul(x, b.transpose(weight, [1, 0]));
  return bias ? b.add(y, bias) : y;
}

/** nn.LayerNorm over the last dim (eps 1e-5, biased variance). */
export function layerNorm(b: Builder, x: Value, weight: Value, bias: Value, eps = 1e-5): Value {
  return b.op('LayerNormalization', [x, weight, bias], { axis: -1, epsilon: { kind: 'float', value: eps } });
}

/** The activations S4's `Activation` factory accepts. */
export const ACTIVATIONS = ['id', 'identity', 'linear', 'none', 'gelu', 'relu', 'tanh', 'sigmoid', 'silu', 'swish', 'elu', 'softplus', 'sqrelu', 'relu2', 'laplace'] as const;

/** 'glu' and 'glu-<act>' for every activation above: the final activations that halve the width. */
export const GLU_ACTIVATIONS: readonly string[] = ['glu', ...ACTIVATIONS.map((a) => `glu-${a}`)];

export function activation(b: Builder, x: Value, name: string | null): Value {
  switch (name) {
    case null:
    case 'id':
    case 'identity':
    case 'linear':
    case 'none':
      return x;
    case 'gelu':
      return gelu(b, x);
    case 'relu':
      return b.op('Relu', [x]);
    case 'tanh':
      return b.op('Tanh', [x]);
    case 'sigmoid':
      return b.op('Sigmoid', [x]);
    case 'silu':
    case 'swish':
      return b.mul(x, b.op('Sigmoid', [x]));
    case 'elu':
      return b.op('Elu', [x]);
    case 'softplus':
      return b.op('Softplus', [x]);
    case 'sqrelu':
    case 'relu2': {
      const r = b.op('Relu', [x]);
      return b.mul(r, r);
    }
    case 'laplace': {
      // ½(1 + erf((x − μ)/(σ√2))) with the official μ = √½ and σ = 1/√(4π) (rounded as it writes them).
      const mu = 0.707107, sigma = 0.282095;
      return b.mul(b.add(b.op('Erf', [b.div(b.sub(x, b.f32(mu)), b.f32(sigma * Math.SQRT2))]), b.f32(1)), b.f32(0.5));
    }
    default:
      throw new Error(`internal: activation '${name}' passed validation but has no lowering`);
  }
}
