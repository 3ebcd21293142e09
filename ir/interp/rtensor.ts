import { bfloat16ToNumber, halfToNumber, numberToBfloat16, numberToHalf } from '../half.js';
import { sizeOf, type Tensor } from '../tensor.js';
import { isComplex, type DType } from '../types.js';

/**
 * A runtime tensor of the reference interpreter. Every numeric dtype is held as float64 values
 * (ints and bools too), so the interpreter computes in float64 throughout; complex dtypes hold
 * interleaved (re, im) pairs.
 */
export interface RTensor {
  dtype: DType;
  dims: number[];
  data: Float64Array;
}

export function rt(dtype: DType, dims: number[], data?: Float64Array): RTensor {
  const n = sizeOf(dims) * (isComplex(dtype) ? 2 : 1);
  return { dtype, dims: [...dims], data: data ?? new Float64Array(n) };
}

export function fromTensor(t: Tensor): RTensor {
  if (t.data === null && t.raw && (t.dtype === 'float16' || t.dtype === 'bfloat16')) {
    const decode = t.dtype === 'float16' ? halfToNumber : bfloat16ToNumber;
    const n = t.raw.byteLength >> 1;
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = decode(t.raw[2 * i]! | (t.raw[2 * i + 1]! << 8));
    return { dtype: t.dtype, dims: [...t.dims], data };
  }
  if (t.data === null || Array.isArray(t.data)) {
    throw new Error(`the reference interpreter cannot compute with ${t.dtype} tensors`);
  }
  const src = t.data;
  // Typed arrays of numbers convert natively; 64-bit integers one by one.
  if (!(src instanceof BigInt64Array || src instanceof BigUint64Array)) return { dtype: t.dtype, dims: [...t.dims], data: new Float64Array(src) };
  const data = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) data[i] = Number(src[i]!);
  return { dtype: t.dtype, dims: [...t.dims], data };
}

/** Back to an IR tensor in `dtype` (float32 values rounded, ints truncated toward zero). */
export function toTensor(r: RTensor, dtype: DType = r.dtype): Tensor {
  const n = r.data.length;
  switch (dtype) {
    case 'float32':
    case 'complex64':
      return { dtype, dims: [...r.dims], data: new Float32Array(r.data) };
    case 'float64':
    case 'complex128':
      return { dtype, dims: [...r.dims], data: new Float64Array(r.data) };
    case 'int64': {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(Math.trunc(r.data[i]!));
      return { dtype, dims: [...r.dims], data: a };
    }
    case 'int32':
      return { dtype, dims: [...r.dims], data: Int32Array.from(r.data, Math.trunc) };
    case 'float16':
    case 'bfloat16': {
      const encode = dtype === 'float16' ? numberToHalf : numberToBfloat16;
      const raw = new Uint8Array(2 * n);
      for (let i = 0; i < n; i++) {
        const bits = encode(r.data[i]!);
        raw[2 * i] = bits & 0xff;
        raw[2 * i + 1] = bits >> 8;
      }
      return { dtype, dims: [...r.dims], data: null, raw };
    }
    case 'bool':
    case 'uint8':
      return { dtype, dims: [...r.dims], data: Uint8Array.from(r.data, (x) => (dtype === 'bool' ? (x ? 1 : 0) : x)) };
    default:
      throw new Error(`the reference interpreter cannot produce ${dtype} tensors`);
  }
}

export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

export function size(dims: readonly number[]): number {
  return sizeOf(dims);
}

/** numpy broadcasting of two shapes. */
export function broadcastDims(a: readonly number[], b: readonly number[], what: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`${what}: cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For each output flat index, the flat index into an input broadcast to `outDims`. */
export function broadcastIndex(inDims: readonly number[], outDims: readonly number[]): Int32Array {
  const n = sizeOf(outDims);
  const idx = new Int32Array(n);
  const rank = outDims.length;
  const inStrides = strides(inDims);
  const eff = outDims.map((_, i) => {
    const j = i - (rank - inDims.length);
    return j < 0 || inDims[j] === 1 ? 0 : inStrides[j]!;
  });
  const counter = new Array<number>(rank).fill(0);
  let p = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = p;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      p += eff[d]!;
      if (counter[d]! < outDims[d]!) break;
      p -= eff[d]! * outDims[d]!;
      counter[d] = 0;
    }
  }
  return idx;
}

export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Ints of a 1-D (or scalar) integer input. */
export function ints(t: RTensor | null | undefined): number[] {
  return t ? Array.from(t.data, (x) => Math.trunc(x)) : [];
}

