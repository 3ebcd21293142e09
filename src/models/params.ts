import type { Builder } from '../../ir/builder.js';
import { c64, f32, type Tensor } from '../../ir/tensor.js';
import type { Value } from '../../ir/value.js';

/**
 * The model's parameters as graph initializers, named by their official state_dict names so an
 * exported graph can be traced back to the checkpoint. Floating-point parameters are float32, or
 * float64 when the checkpoint held float64: those keep their precision for the compile-time math
 * ({@link floats}) and become float32 only as initializers.
 */
export class ParamStore {
  private readonly cache = new Map<string, Value>();

  constructor(
    private readonly b: Builder,
    private readonly tensors: Map<string, Tensor>,
  ) {}

  tensor(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`internal: parameter '${name}' was not validated into the store`);
    return t;
  }

  /** A floating-point parameter's values for compile-time math: float64 when the checkpoint held float64. */
  floats(name: string): Float32Array | Float64Array {
    const t = this.tensor(name);
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`internal: parameter '${name}' is ${t.dtype}, not a float`);
    return t.data as Float32Array | Float64Array;
  }

  /** A real parameter as an initializer (float32 for a floating-point one). */
  real(name: string): Value {
    let v = this.cache.get(name);
    if (!v) {
      const t = this.tensor(name);
      v = this.b.initializer(name, t.dtype === 'float64' ? f32(t.data as Float64Array, t.dims) : t);
      this.cache.set(name, v);
    }
    return v;
  }

  /**
   * A complex parameter stored as view_as_real (trailing dim 2 = re, im) as a complex64
   * initializer of the leading dims.
   */
  complex(name: string): Value {
    const key = `${name}#complex`;
    let v = this.cache.get(key);
    if (!v) {
      const t = this.tensor(name);
      const data = this.floats(name);
      const n = data.length / 2;
      const re = new Float32Array(n), im = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        re[i] = data[2 * i]!;
        im[i] = data[2 * i + 1]!;
      }
      v = this.b.initializer(name, c64(re, im, t.dims.slice(0, -1)));
      this.cache.set(key, v);
    }
    return v;
  }

  /** Complex parameter from separate real and imaginary tensors (GSS-lr's `C_real`, `C_imag`). */
  complexPair(reName: string, imName: string, name: string): Value {
    const key = `${name}#pair`;
    let v = this.cache.get(key);
    if (!v) {
      v = this.b.initializer(name, c64(this.floats(reName), this.floats(imName), this.tensor(reName).dims));
      this.cache.set(key, v);
    }
    return v;
  }
}
