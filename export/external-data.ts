import type { onnx as P } from 'onnx-proto';
import type { Tensor, TensorData } from '../ir/tensor.js';
import { onnx } from './proto.js';

/**
 * External tensor data (TensorProto.data_location = EXTERNAL). ONNX defines `location` as a path
 * relative to the folder of the model file; ssmc — like onnxruntime for a model loaded from a
 * path — reads nothing outside that folder. This module is browser-safe: the reading itself is
 * the caller's (src/external-data.ts on Node).
 */

/** Why an external-data location is not a relative path inside the model's folder, or null when it is. */
export function externalLocationProblem(location: string): string | null {
  if (location.includes('\0')) return 'it contains a NUL byte';
  if (location.startsWith('/') || location.startsWith('\\') || /^[A-Za-z]:/.test(location)) return 'it is an absolute path';
  if (location.startsWith('~')) return 'it starts with ~ (a home folder)';
  let depth = 0;
  for (const part of location.split(/[\\/]+/)) {
    if (part === '..') depth--;
    else if (part !== '.' && part !== '') depth++;
    if (depth < 0) return "its '..' leads out of the model's folder";
  }
  if (depth === 0) return "it names the model's folder itself, not a file in it";
  return null;
}

/** Reads `length` bytes (null: to the end of the file) at `offset` of the file `location` names, for tensor `tensor`. */
export type ExternalLoader = (location: string, offset: number, length: number | null, tensor: string) => Uint8Array;

const ITEM_BYTES: Record<number, number> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
  17: 1, 18: 1, 19: 1, 20: 1,
};

/** The bytes an external tensor needs: its element count times the element size (null when unknown). */
function expectedBytes(t: P.ITensorProto): number | null {
  const item = ITEM_BYTES[t.dataType ?? 0];
  if (item === undefined) return null;
  let n = 1;
  for (const d of t.dims ?? []) n *= Number(d);
  return n * item;
}

/**
 * The model with every external tensor's bytes moved into its raw_data, so that a runtime given
 * the bytes needs no file system (and cannot be pointed at one). The walk over graphs, nodes,
 * attributes and functions is iterative.
 */
export function inlineExternalData(bytes: Uint8Array, load: ExternalLoader): { bytes: Uint8Array; inlined: number } {
  const model = onnx.ModelProto.decode(bytes);
  const tensors: P.ITensorProto[] = [];
  const graphs: P.IGraphProto[] = model.graph ? [model.graph] : [];
  const nodes: P.INodeProto[] = [];
  for (const f of model.functions ?? []) for (const n of f.node ?? []) nodes.push(n);
  while (graphs.length > 0 || nodes.length > 0) {
    const g = graphs.pop();
    if (g) {
      for (const t of g.initializer ?? []) tensors.push(t);
      for (const s of g.sparseInitializer ?? []) for (const t of [s.values, s.indices]) if (t) tensors.push(t);
      for (const n of g.node ?? []) nodes.push(n);
      continue;
    }
    const n = nodes.pop()!;
    for (const a of n.attribute ?? []) {
      if (a.t) tensors.push(a.t);
      for (const t of a.tensors ?? []) tensors.push(t);
      if (a.g) graphs.push(a.g);
      for (const sub of a.graphs ?? []) graphs.push(sub);
    }
  }
  let inlined = 0;
  for (const t of tensors) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const ext = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = ext.get('location') ?? '';
    const offset = Number(ext.get('offset') ?? '0');
    const length = ext.has('length') ? Number(ext.get('length')) : expectedBytes(t);
    const data = load(location, offset, length, t.name ?? '');
    const want = expectedBytes(t);
    if (want !== null && data.byteLength !== want) {
      throw new Error(`internal: external data loader returned ${data.byteLength} bytes for '${t.name}', which needs ${want}`);
    }
    t.rawData = data;
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
    inlined++;
  }
  return { bytes: inlined > 0 ? onnx.ModelProto.encode(model).finish() : bytes, inlined };
}

const TYPED: Partial<Record<string, (b: ArrayBuffer) => TensorData>> = {
  float32: (b) => new Float32Array(b), float64: (b) => new Float64Array(b), int64: (b) => new BigInt64Array(b),
  int32: (b) => new Int32Array(b), int16: (b) => new Int16Array(b), int8: (b) => new Int8Array(b), uint8: (b) => new Uint8Array(b),
  uint16: (b) => new Uint16Array(b), uint32: (b) => new Uint32Array(b), uint64: (b) => new BigUint64Array(b), bool: (b) => new Uint8Array(b),
  complex64: (b) => new Float32Array(b), complex128: (b) => new Float64Array(b),
};

/** An external tensor with its bytes in hand: the typed array of its dtype, or raw bytes. */
export function tensorFromExternalBytes(t: Tensor, bytes: Uint8Array): Tensor {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes); // its own buffer: aligned, and not a view into the whole data file
  const make = TYPED[t.dtype];
  return make ? { dtype: t.dtype, dims: t.dims, data: make(copy.buffer) } : { dtype: t.dtype, dims: t.dims, data: null, raw: copy };
}
