import { sizeOf, type Tensor, type TensorData } from '../ir/tensor.js';
import type { DType } from '../ir/types.js';

/** A safetensors file that breaks a rule of the format; the message names file, tensor, rule and fix. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPES: Record<string, { dtype: DType; size: number }> = {
  F64: { dtype: 'float64', size: 8 }, F32: { dtype: 'float32', size: 4 }, F16: { dtype: 'float16', size: 2 },
  BF16: { dtype: 'bfloat16', size: 2 }, I64: { dtype: 'int64', size: 8 }, I32: { dtype: 'int32', size: 4 },
  I16: { dtype: 'int16', size: 2 }, I8: { dtype: 'int8', size: 1 }, U8: { dtype: 'uint8', size: 1 },
  U16: { dtype: 'uint16', size: 2 }, U32: { dtype: 'uint32', size: 4 }, U64: { dtype: 'uint64', size: 8 },
  BOOL: { dtype: 'bool', size: 1 },
};
const CODES = new Map(Object.entries(DTYPES).map(([code, d]) => [d.dtype, code]));

/**
 * Parse a safetensors file: 8-byte little-endian header length, a JSON header, raw LE data.
 * Everything the header claims is checked against the bytes actually present before anything is
 * allocated, so a lying header can neither crash the reader nor make it allocate.
 */
export function readSafetensors(bytes: Uint8Array, source = 'checkpoint'): Map<string, Tensor> {
  const where = `${source}`;
  const fail = (rule: string, fix: string): never => {
    throw new SafetensorsError(`${where}: ${rule}; ${fix}`);
  };
  if (bytes.byteLength < 8) fail(`the file has ${bytes.byteLength} bytes, fewer than the 8-byte header length`, 'it is not a safetensors file or it is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.byteLength - 8)) {
    fail(`the header length field says ${headerLen} bytes but only ${bytes.byteLength - 8} follow`, 'the file is truncated or its header is wrong — re-save the checkpoint');
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`the header is ${headerLen} bytes, over the ${MAX_HEADER_BYTES}-byte limit`, 're-save the checkpoint');
  const hlen = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    fail(`the header is not valid UTF-8 JSON (${(e as Error).message})`, 'the file is damaged — re-save the checkpoint');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header must be a JSON object', 're-save the checkpoint');
  const dup = duplicateKey(new TextDecoder().decode(bytes.subarray(8, 8 + Number(headerLen))));
  if (dup !== null) fail(`the header names '${dup.length > 80 ? `${dup.slice(0, 80)}…` : dup}' twice (a JSON reader keeps only the last)`, 'the file is damaged or was edited by hand — re-save the checkpoint');
  const dataStart = 8 + hlen;
  const dataLen = bytes.byteLength - dataStart;
  const out = new Map<string, Tensor>();
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Object.values(entry).some((v) => typeof v !== 'string')) {
        fail("'__metadata__' must map strings to strings", 're-save the checkpoint');
      }
      continue;
    }
    const t = `tensor '${name}'`;
    if (typeof entry !== 'object' || entry === null) fail(`${t} has no {dtype, shape, data_offsets} entry`, 're-save the checkpoint');
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    const info = typeof dtype === 'string' ? DTYPES[dtype] : undefined;
    if (!info) fail(`${t} has dtype ${JSON.stringify(dtype)}, not one of ${Object.keys(DTYPES).join(', ')}`, 'save it in a supported dtype (F32 for ssmc)');
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`${t} has shape ${JSON.stringify(shape)}; a shape is a list of non-negative integers`, 're-save the checkpoint');
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      fail(`${t} has data_offsets ${JSON.stringify(offsets)}; they must be [begin, end] byte offsets`, 're-save the checkpoint');
    }
    const [begin, end] = offsets as [number, number];
    const dims = shape as number[];
    if (begin > end) fail(`${t} has data_offsets [${begin}, ${end}] with begin after end`, 're-save the checkpoint');
    if (end > dataLen) fail(`${t} ends at byte ${end} of the data section, but it has only ${dataLen} bytes`, 'the file is truncated — re-save the checkpoint');
    const elements = dims.reduce((a, b) => a * b, 1);
    const want = elements * info!.size;
    if (want !== end - begin) {
      fail(`${t} declares shape [${dims.join(',')}] (${elements} ${info!.dtype} = ${want} bytes) but its data_offsets span ${end - begin} bytes`, 'the file is damaged or its header is wrong — re-save the checkpoint');
    }
    spans.push([begin, end, name]);
    out.set(name, makeTensor(info!.dtype, dims, bytes.subarray(dataStart + begin, dataStart + end)));
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  // The format indexes the whole data section, without holes (no room for hidden payloads).
  let covered = 0;
  for (let i = 0; i < spans.length; i++) {
    if (i > 0 && spans[i]![0] < spans[i - 1]![1]) fail(`tensors '${spans[i - 1]![2]}' and '${spans[i]![2]}' overlap in the data section`, 're-save the checkpoint');
    if (spans[i]![0] > covered) fail(`bytes ${covered} to ${spans[i]![0]} of the data section belong to no tensor (before '${spans[i]![2]}')`, 'the file is damaged or carries hidden data — re-save the checkpoint');
    covered = Math.max(covered, spans[i]![1]);
  }
  if (covered < dataLen) fail(`the data section has ${dataLen - covered} trailing byte(s) after the last tensor (it ends at byte ${covered} of ${dataLen})`, 'the file is damaged or carries hidden data — re-save the checkpoint');
  return out;
}

/**
 * The first key the header's top-level object names twice, or null. JSON.parse keeps the last
 * of duplicate keys silently, so the raw text is scanned: strings at depth 1 followed by ':'.
 */
function duplicateKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      if (text[j] !== ':') continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (seen.has(key)) return key;
      seen.add(key);
    }
  }
  return null;
}

/**
 * Copy little-endian bytes into the dtype's typed array (copying also fixes alignment). The copy is
 * explicit: a Node Buffer is a Uint8Array whose slice() is a view into a shared pool, not a copy.
 */
function makeTensor(dtype: DType, dims: number[], raw: Uint8Array): Tensor {
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  const buf = copy.buffer;
  let data: TensorData | null;
  switch (dtype) {
    case 'float32': data = new Float32Array(buf); break;
    case 'float64': data = new Float64Array(buf); break;
    case 'int64': data = new BigInt64Array(buf); break;
    case 'uint64': data = new BigUint64Array(buf); break;
    case 'int32': data = new Int32Array(buf); break;
    case 'uint32': data = new Uint32Array(buf); break;
    case 'int16': data = new Int16Array(buf); break;
    case 'uint16': data = new Uint16Array(buf); break;
    case 'int8': data = new Int8Array(buf); break;
    case 'uint8': case 'bool': data = new Uint8Array(buf); break;
    default: return { dtype, dims, data: null, raw: new Uint8Array(buf) };
  }
  return { dtype, dims, data };
}

/** Write tensors as safetensors, deterministically: keys sorted, data in that order, header padded to 8 bytes. */
export function writeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const code = CODES.get(t.dtype);
    if (!code) throw new SafetensorsError(`tensor '${name}' has dtype ${t.dtype}, which safetensors cannot store`);
    const bytes = tensorBytesOf(t);
    if (bytes.byteLength !== sizeOf(t.dims) * DTYPES[code]!.size) throw new SafetensorsError(`tensor '${name}': data does not match its shape`);
    header[name] = { dtype: code, shape: [...t.dims], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(json).byteLength) % 8 !== 0) json += ' ';
  const hbytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hbytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.byteLength), true);
  out.set(hbytes, 8);
  let p = 8 + hbytes.byteLength;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}

function tensorBytesOf(t: Tensor): Uint8Array {
  if (t.raw) return t.raw;
  if (t.data === null || Array.isArray(t.data)) throw new SafetensorsError(`a ${t.dtype} tensor has no byte view`);
  const d = t.data as Exclude<TensorData, string[]>;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
