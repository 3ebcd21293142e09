/**
 * Element types and tensor types of the IR.
 *
 * The names follow ONNX's TensorProto.DataType. `complex64` is also the *logical* complex type the
 * SSM ops compute in before the `lower-complex` pass turns every complex value into a (re, im) pair
 * of float32 tensors: onnxruntime has no complex arithmetic, so no complex64 value may reach export.
 */
export const DTYPES = [
  'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16',
  'float64', 'uint32', 'uint64', 'complex64', 'complex128', 'bfloat16',
  'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'uint4', 'int4', 'float4e2m1',
] as const;
export type DType = (typeof DTYPES)[number];

/** A dimension: a fixed size, a symbolic name (`batch`, `L`), or unknown (null). */
export type Dim = number | string | null;

/** A tensor type. `shape === null` means the rank itself is unknown. */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[] | null;
}

export function tensorType(dtype: DType, shape: readonly Dim[] | null): TensorType {
  return { dtype, shape: shape === null ? null : [...shape] };
}

export function isComplex(dtype: DType): boolean {
  return dtype === 'complex64' || dtype === 'complex128';
}

export function isInteger(dtype: DType): boolean {
  return /^u?int(4|8|16|32|64)$/.test(dtype);
}

export function dimToString(d: Dim): string {
  return d === null ? '?' : String(d);
}

/** Short dtype names for the printer: f32[batch,4,L]. */
const SHORT: Partial<Record<DType, string>> = {
  float32: 'f32', float64: 'f64', float16: 'f16', bfloat16: 'bf16', int64: 'i64', int32: 'i32',
  int16: 'i16', int8: 'i8', uint8: 'u8', uint16: 'u16', uint32: 'u32', uint64: 'u64', bool: 'bool',
  complex64: 'c64', complex128: 'c128', string: 'str',
};

export function typeToString(t: TensorType): string {
  const name = SHORT[t.dtype] ?? t.dtype;
  if (t.shape === null) return `${name}[*]`;
  return `${name}[${t.shape.map(dimToString).join(',')}]`;
}

/** True when two types cannot describe the same tensor (unknowns are compatible with anything). */
export function typesConflict(a: TensorType, b: TensorType): boolean {
  if (a.dtype !== b.dtype) return true;
  if (a.shape === null || b.shape === null) return false;
  if (a.shape.length !== b.shape.length) return true;
  for (let i = 0; i < a.shape.length; i++) {
    const x = a.shape[i], y = b.shape[i];
    if (typeof x === 'number' && typeof y === 'number' && x !== y) return true;
  }
  return false;
}

/** Number of elements when every dim is fixed, else null. */
export function staticSize(shape: readonly Dim[] | null): number | null {
  if (shape === null) return null;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

/** ONNX TensorProto.DataType code of a dtype (DTYPES is in code order, starting at 1). */
export function onnxCode(dtype: DType): number {
  return DTYPES.indexOf(dtype) + 1;
}

/** The dtype for an ONNX TensorProto.DataType code, or null when the code is not one we know. */
export function dtypeFromCode(code: number): DType | null {
  return Number.isInteger(code) && code >= 1 && code <= DTYPES.length ? DTYPES[code - 1]! : null;
}
