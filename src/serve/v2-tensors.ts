import type { Tensor, TensorData } from '../../ir/tensor.js';
import type { Dim, DType } from '../../ir/types.js';
import { badRequest } from './http-error.js';

/**
 * Tensors in the Open Inference Protocol (KServe / Triton v2): JSON `data` (flat or nested,
 * row-major) and Triton's binary tensor data extension (raw little-endian bytes after the JSON
 * header, `binary_data_size` per tensor).
 */

/** v2 datatype names of the IR dtypes the server can feed and return. */
export const V2_DATATYPE: Partial<Record<DType, string>> = {
  bool: 'BOOL', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', int8: 'INT8', int16: 'INT16',
  int32: 'INT32', int64: 'INT64', float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES', bfloat16: 'BF16',
};

const ARRAYS: Partial<Record<DType, { new (n: number): TensorData; BYTES_PER_ELEMENT: number }>> = {
  bool: Uint8Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, int8: Int8Array,
  int16: Int16Array, int32: Int32Array, int64: BigInt64Array, float32: Float32Array, float64: Float64Array,
} as never;

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295], int8: [-128, 127], int16: [-32768, 32767],
  int32: [-2147483648, 2147483647], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** A model input or output as the v2 metadata shows it: -1 for every dim that is not fixed. */
export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: readonly Dim[] | null;
}

export function v2Shape(shape: readonly Dim[] | null): number[] {
  return (shape ?? []).map((d) => (typeof d === 'number' ? d : -1));
}

export interface RequestInput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Record<string, unknown>;
  data?: unknown;
}

/**
 * One request input → an IR tensor for the model input `spec`, every rule checked before any
 * allocation sized by the request: the name, datatype, rank and fixed dims, the element count
 * against `maxElements`, then the data (JSON, or `binary` for the binary extension).
 */
export function decodeInput(input: RequestInput, at: string, spec: TensorSpec, maxElements: number, binary: Uint8Array | null): Tensor {
  const where = `${at} ('${input.name}')`;
  const expected = V2_DATATYPE[spec.dtype];
  if (!expected) throw badRequest(`${where}: the model input is ${spec.dtype}, which the v2 API cannot carry`, at);
  if (input.datatype !== expected) throw badRequest(`${where}: datatype ${input.datatype} does not match the model input, which is ${expected}`, `${at}.datatype`);
  const modelShape = spec.shape;
  if (modelShape && (modelShape.length !== input.shape.length || modelShape.some((d, i) => typeof d === 'number' && d !== input.shape[i]))) {
    throw badRequest(`${where}: shape [${input.shape.join(', ')}] does not fit the model input's [${v2Shape(modelShape).join(', ')}] (-1: any size)`, `${at}.shape`);
  }
  let count = 1;
  for (const d of input.shape) {
    count *= d;
    if (count > maxElements) throw badRequest(`${where}: shape [${input.shape.join(', ')}] holds more than the server's limit of ${maxElements} elements`, `${at}.shape`);
  }
  if (binary) return fromBinary(input, where, at, spec.dtype, count, binary);
  if (input.data === undefined) throw badRequest(`${where}: no "data" (and no "binary_data_size" parameter for binary data)`, `${at}.data`);
  return fromJson(input, where, at, spec.dtype, count);
}

function fromJson(input: RequestInput, where: string, at: string, dtype: DType, count: number): Tensor {
  if (dtype === 'float16' || dtype === 'bfloat16') {
    throw badRequest(`${where}: ${V2_DATATYPE[dtype]} has no JSON form; send it as binary data (the binary_tensor_data extension)`, `${at}.data`);
  }
  const flat: unknown[] = [];
  flatten(input.data, flat, count, where, at, 0);
  if (flat.length !== count) throw badRequest(`${where}: "data" holds ${flat.length} elements but shape [${input.shape.join(', ')}] needs ${count}`, `${at}.data`);
  const dims = [...input.shape];
  if (dtype === 'string') {
    return { dtype, dims, data: flat.map((v, i) => (typeof v === 'string' ? v : bad(where, at, i, 'a string'))) };
  }
  const array = new ARRAYS[dtype]!(count);
  if (dtype === 'bool') {
    flat.forEach((v, i) => ((array as Uint8Array)[i] = typeof v === 'boolean' ? Number(v) : bad(where, at, i, 'true or false')));
  } else if (dtype === 'float32' || dtype === 'float64') {
    flat.forEach((v, i) => ((array as Float32Array)[i] = typeof v === 'number' ? v : bad(where, at, i, 'a number')));
  } else {
    const [lo, hi] = INT_RANGE[dtype]!;
    const big = dtype === 'int64' || dtype === 'uint64';
    flat.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(where, at, i, `an integer from ${lo} to ${hi}`);
      if (big) (array as BigInt64Array)[i] = BigInt(v as number);
      else (array as Int32Array)[i] = v as number;
    });
  }
  return { dtype, dims, data: array };
}

function bad(where: string, at: string, i: number, what: string): never {
  throw badRequest(`${where}: element ${i} of "data" must be ${what}`, `${at}.data`);
}

/** Row-major flattening of nested arrays, stopping as soon as it passes `limit` elements. */
function flatten(v: unknown, out: unknown[], limit: number, where: string, at: string, depth: number): void {
  if (!Array.isArray(v)) {
    if (depth === 0) throw badRequest(`${where}: "data" must be an array (flat or nested, row-major)`, `${at}.data`);
    out.push(v);
    return;
  }
  if (depth > 64) throw badRequest(`${where}: "data" is nested more than 64 levels deep`, `${at}.data`);
  for (const x of v) {
    if (out.length > limit) return;
    flatten(x, out, limit, where, at, depth + 1);
  }
}

function fromBinary(input: RequestInput, where: string, at: string, dtype: DType, count: number, bytes: Uint8Array): Tensor {
  const dims = [...input.shape];
  if (dtype === 'string') {
    const strings: string[] = [];
    let off = 0;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const decoder = new TextDecoder();
    while (off < bytes.byteLength) {
      if (off + 4 > bytes.byteLength) throw badRequest(`${where}: BYTES binary data ends inside a 4-byte length prefix`, `${at}.parameters.binary_data_size`);
      const n = view.getUint32(off, true);
      if (off + 4 + n > bytes.byteLength) throw badRequest(`${where}: a BYTES element claims ${n} bytes, more than the ${bytes.byteLength - off - 4} left`, `${at}.parameters.binary_data_size`);
      strings.push(decoder.decode(bytes.subarray(off + 4, off + 4 + n)));
      off += 4 + n;
    }
    if (strings.length !== count) throw badRequest(`${where}: binary data holds ${strings.length} BYTES elements but shape [${input.shape.join(', ')}] needs ${count}`, `${at}.parameters.binary_data_size`);
    return { dtype, dims, data: strings };
  }
  const width = dtype === 'float16' || dtype === 'bfloat16' ? 2 : ARRAYS[dtype]!.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== count * width) {
    throw badRequest(`${where}: binary_data_size is ${bytes.byteLength} bytes but shape [${input.shape.join(', ')}] of ${V2_DATATYPE[dtype]} needs ${count * width}`, `${at}.parameters.binary_data_size`);
  }
  const copy = new Uint8Array(bytes); // a copy: aligned, exactly this long, owned by the tensor
  if (dtype === 'float16' || dtype === 'bfloat16') return { dtype, dims, data: null, raw: copy };
  const Ctor = ARRAYS[dtype]! as unknown as new (b: ArrayBuffer) => TensorData;
  return { dtype, dims, data: new Ctor(copy.buffer) };
}

/** A model output as a v2 response output; `binary` returns its bytes for the binary extension. */
export function encodeOutput(name: string, t: Tensor, binary: boolean): { json: Record<string, unknown>; bytes: Uint8Array | null } {
  const datatype = V2_DATATYPE[t.dtype];
  if (!datatype) throw new Error(`output '${name}' is ${t.dtype}, which the v2 API cannot carry`);
  const head = { name, datatype, shape: [...t.dims] };
  if (binary) {
    const bytes = toBytes(t);
    return { json: { ...head, parameters: { binary_data_size: bytes.byteLength } }, bytes };
  }
  if (t.raw && !t.data) throw new Error(`output '${name}' is ${datatype}, which has no JSON form; request it as binary data`);
  const d = t.data!;
  let data: unknown[];
  if (t.dtype === 'bool') data = Array.from(d as Uint8Array, (x) => x !== 0);
  else if (d instanceof BigInt64Array || d instanceof BigUint64Array) data = Array.from(d, Number);
  else data = Array.from(d as ArrayLike<unknown>);
  return { json: { ...head, data }, bytes: null };
}

function toBytes(t: Tensor): Uint8Array {
  if (t.raw && !t.data) return t.raw;
  const d = t.data!;
  if (Array.isArray(d)) {
    const enc = new TextEncoder();
    const parts = d.map((s) => enc.encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.byteLength, 0));
    const view = new DataView(out.buffer);
    let off = 0;
    for (const p of parts) {
      view.setUint32(off, p.byteLength, true);
      out.set(p, off + 4);
      off += 4 + p.byteLength;
    }
    return out;
  }
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
