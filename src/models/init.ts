import type { Tensor } from '../../ir/tensor.js';
import type { Rng } from './rng.js';

/** nn.Linear / nn.Conv1d default init: U(±1/√fan_in) for weight and bias. */
export function uniformFanIn(rng: Rng, shape: number[], fanIn: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return fill(shape, () => rng.range(-bound, bound));
}

export function randn(rng: Rng, shape: number[], std = 1): Tensor {
  return fill(shape, () => std * rng.normal());
}

/** torch.randn(..., dtype=cfloat) viewed as real: re and im each N(0, 1/2), trailing dim 2. */
export function complexRandn(rng: Rng, shape: number[]): Tensor {
  return fill([...shape, 2], () => Math.SQRT1_2 * rng.normal());
}

/** log Δ ~ U[log dt_min, log dt_max]. */
export function logDt(rng: Rng, shape: number[], dtMin: number, dtMax: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, () => rng.range(Math.log(dtMin), Math.log(dtMax)));
}

/** O(n), written straight into the tensor's Float32Array (no array of numbers in between). */
export function fill(shape: number[], f: (i: number) => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = f(i);
  return { dtype: 'float32', dims: [...shape], data };
}

export function constant(shape: number[], value: number): Tensor {
  return fill(shape, () => value);
}
