import type { DType } from './types.js';

/**
 * Constant tensor data held by the IR (initializers, `value` attributes, folded constants).
 *
 * Numeric data lives in the natural typed array of its dtype. complex64 keeps interleaved (re, im)
 * float32 pairs, so `data.length === 2 * size`. Dtypes the compiler never computes with (float16,
 * float8, 4-bit types…) keep their raw little-endian bytes in `raw` so that import → export
 * round-trips them unchanged.
 */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | string[];

export interface Tensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData | null;
  /** Raw little-endian bytes for dtypes without a typed-array view. */
  readonly raw?: Uint8Array;
  /** Where the bytes live when the model stores them outside the .onnx file. */
  readonly external?: { location: string; offset: number; length: number | null };
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function f32(data: ArrayLike<number>, dims: readonly number[]): Tensor {
  // The constructor converts typed arrays natively (`from` walks its source's iterator).
  return checked({ dtype: 'float32', dims: [...dims], data: new Float32Array(data) });
}

export function f64(data: ArrayLike<number>, dims: readonly number[]): Tensor {
  return checked({ dtype: 'float64', dims: [...dims], data: new Float64Array(data) });
}

export function i64(data: ArrayLike<number | bigint>, dims: readonly number[]): Tensor {
  const arr = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) arr[i] = BigInt(data[i]!);
  return checked({ dtype: 'int64', dims: [...dims], data: arr });
}

/** complex64 from separate real and imaginary parts. */
export function c64(re: ArrayLike<number>, im: ArrayLike<number>, dims: readonly number[]): Tensor {
  const data = new Float32Array(2 * re.length);
  for (let i = 0; i < re.length; i++) {
    data[2 * i] = re[i]!;
    data[2 * i + 1] = im[i]!;
  }
  return checked({ dtype: 'complex64', dims: [...dims], data });
}

/**
 * A constant whose data is computed when first read: compile-time work (an S4 kernel's taps, a
 * dense state space) that only some lowerings need is never done when the chosen one reads
 * neither — a constant nothing reads is dropped before anything asks for its values. Its dtype
 * and dims are known up front; `compute` runs at most once.
 */
export function lazyTensor(dtype: DType, dims: readonly number[], compute: () => TensorData): Tensor {
  let data: TensorData | null = null;
  // Dropped once it has run: what it holds (a float64 result, a system) is not kept with the data.
  let pending: (() => TensorData) | null = compute;
  const t = {
    dtype,
    dims: [...dims],
    get data(): TensorData {
      if (pending !== null) {
        const d = pending();
        pending = null;
        checked({ dtype, dims: t.dims, data: d });
        data = d;
      }
      return data!;
    },
  };
  return t;
}

function checked(t: Tensor): Tensor {
  const want = sizeOf(t.dims) * (t.dtype === 'complex64' || t.dtype === 'complex128' ? 2 : 1);
  if (t.data !== null && t.data.length !== want) {
    throw new Error(`tensor data has ${t.data.length} elements but dims [${t.dims.join(',')}] need ${want}`);
  }
  return t;
}

/** Element values as JS numbers (int64 converted; complex gives the interleaved pairs). */
export function toNumbers(t: Tensor): number[] {
  if (t.data === null) throw new Error(`tensor of dtype ${t.dtype} has no numeric view`);
  if (Array.isArray(t.data)) throw new Error('string tensor has no numeric view');
  const out: number[] = new Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]!);
  return out;
}

export function tensorBytes(t: Tensor): number {
  if (t.raw) return t.raw.byteLength;
  if (t.data === null || Array.isArray(t.data)) return 0;
  return (t.data as { byteLength: number }).byteLength;
}
