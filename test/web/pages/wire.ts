import type { Tensor, TensorData } from 'ssmc/ir';

/**
 * Tensors and model bytes across page.evaluate, which carries JSON only: the bytes as base64 (atob
 * and btoa exist in browsers and in Node), the typed array rebuilt on the other side. Used by the
 * test page (webgpu-runner.ts) and by the test that drives it (../../helpers/browser-webgpu.ts).
 */
export interface WireTensor {
  dtype: Tensor['dtype'];
  dims: number[];
  /** The little-endian bytes of the data (raw bytes for float16). */
  b64: string;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let text = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) text += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(text);
}

export function base64ToBytes(b64: string): Uint8Array {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const ARRAYS: Partial<Record<Tensor['dtype'], new (buffer: ArrayBuffer) => Exclude<TensorData, string[]>>> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, uint64: BigUint64Array,
  uint8: Uint8Array, bool: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, uint32: Uint32Array,
};

export function toWire(t: Tensor): WireTensor {
  if (t.raw) return { dtype: t.dtype, dims: [...t.dims], b64: bytesToBase64(t.raw) };
  const data = t.data;
  if (data === null || Array.isArray(data)) throw new Error(`tensor of ${t.dtype} cannot cross to the page`);
  return { dtype: t.dtype, dims: [...t.dims], b64: bytesToBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
}

export function fromWire(w: WireTensor): Tensor {
  const bytes = base64ToBytes(w.b64);
  const ctor = ARRAYS[w.dtype];
  if (!ctor) return { dtype: w.dtype, dims: w.dims, data: null, raw: bytes };
  return { dtype: w.dtype, dims: w.dims, data: new ctor(bytes.buffer as ArrayBuffer) };
}
