import type { Attr } from '../ir/attr.js';
import type { Graph } from '../ir/graph.js';
import type { FunctionDef, Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Tensor, TensorData } from '../ir/tensor.js';
import { onnxCode, type TensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import type { onnx as P } from 'onnx-proto';
import { onnx } from './proto.js';

/** AttributeProto.AttributeType codes. */
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8, tensors: 9, graphs: 10 } as const;

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/**
 * IR → ONNX ModelProto bytes. Deterministic: everything is written in a fixed order (opsets by
 * domain, metadata and attributes by name, initializers and nodes in graph order), so the same IR
 * gives byte-identical files.
 */
export function modelToBytes(model: Model): Uint8Array {
  return onnx.ModelProto.encode(modelProto(model)).finish();
}

/**
 * The bytes of modelToBytes as a list of pieces, the large weights (≥ 64 KiB) by reference: a
 * 300 MB model is written to its file without being assembled in memory first (that copy was a
 * quarter of a 24-layer model's compile and doubled its peak). Everything between two large
 * weights is encoded into one piece, as protobufjs's `finish` would (the encoder's list of writes,
 * run in order: each write knows its length, a bytes write holds the array it copies).
 */
export function modelToChunks(model: Model): Uint8Array[] {
  const writer = onnx.ModelProto.encode(modelProto(model)) as unknown as EncoderWriter;
  const chunks: Uint8Array[] = [];
  let op = writer.head.next;
  while (op) {
    if (isLargeBytes(op)) {
      chunks.push(op.val as Uint8Array);
      op = op.next;
      continue;
    }
    let len = 0;
    for (let o: WriteOp | null = op; o && !isLargeBytes(o); o = o.next) len += o.len;
    const buf = writer.constructor.alloc(len);
    let pos = 0;
    for (; op && !isLargeBytes(op); op = op.next) {
      op.fn(op.val, buf, pos);
      pos += op.len;
    }
    chunks.push(buf);
  }
  return chunks;
}

/** protobufjs's Writer as `finish` reads it: a linked list of writes after a no-op head. */
interface WriteOp { fn: (val: unknown, buf: Uint8Array, pos: number) => void; len: number; val: unknown; next: WriteOp | null }
interface EncoderWriter { head: WriteOp; constructor: { alloc(size: number): Uint8Array } }

const LARGE_BYTES = 1 << 16;

function isLargeBytes(op: WriteOp): boolean {
  return op.val instanceof Uint8Array && op.len === op.val.byteLength && op.len >= LARGE_BYTES;
}

function modelProto(model: Model): P.IModelProto {
  rejectComplex(model.graph);
  const opsets = [...model.opsetImports.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return onnx.ModelProto.create({
    irVersion: model.irVersion,
    opsetImport: opsets.map(([domain, version]) => ({ domain, version })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString,
    graph: graphProto(model.graph, model.irVersion),
    metadataProps: [...model.metadata.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value })),
    functions: model.functions.map(functionProto),
  });
}

function rejectComplex(graph: Graph): void {
  for (const v of graph.values()) {
    if (v.type.dtype === 'complex64' && !v.constant) {
      throw new ExportError(`complex value '${v.name}' reached export: run the lower-complex pass (onnxruntime has no complex arithmetic)`);
    }
  }
}

/**
 * IR < 4 files list every initializer among the graph inputs too (the reader drops those
 * entries; the checker requires them there), after the real inputs.
 */
function graphProto(g: Graph, irVersion: number): P.IGraphProto {
  const valueInfo: P.IValueInfoProto[] = [];
  for (const n of g.nodes) {
    for (const v of n.outputs) {
      if (g.outputs.includes(v) || v.type.shape === null || isOmitted(v)) continue;
      valueInfo.push(valueInfoProto(v));
    }
  }
  const initializerInputs = irVersion > 0 && irVersion < 4 ? g.initializers.map((v) => valueInfoProto(v)) : [];
  return {
    name: g.name,
    docString: g.docString,
    input: [...g.inputs.map((v) => valueInfoProto(v)), ...initializerInputs],
    output: g.outputs.map((v) => valueInfoProto(v)),
    initializer: g.initializers.map((v) => tensorProto(v.name, v.constant!)),
    node: g.nodes.map((n) => nodeProto(n, irVersion)),
    valueInfo,
  };
}

function valueInfoProto(v: Value): P.IValueInfoProto {
  return { name: v.name, type: typeProto(v.type) };
}

/**
 * A shape of unknown rank is left out (an empty shape would declare a scalar, and onnxruntime
 * enforces declared output shapes); a dim that is not a non-negative integer or a name is
 * written as unknown.
 */
function typeProto(t: TensorType): P.ITypeProto {
  const shape = t.shape === null ? undefined : {
    dim: t.shape.map((d) => (typeof d === 'number' ? (Number.isSafeInteger(d) && d >= 0 ? { dimValue: d } : {}) : typeof d === 'string' ? { dimParam: d } : {})),
  };
  return { tensorType: { elemType: onnxCode(t.dtype), ...(shape ? { shape } : {}) } };
}

/** An optional output its source left empty and nothing reads (see Value.omitted). */
function isOmitted(v: Value): boolean {
  return v.omitted && v.uses.length === 0 && !v.producer?.graph.outputs.includes(v);
}

function nodeProto(n: Node, irVersion: number): P.INodeProto {
  const names = [...n.attrs.keys()].sort();
  return {
    name: n.name,
    opType: n.op,
    domain: n.domain,
    input: trimTrailingEmpty(n.inputs.map((v) => (v ? v.name : ''))),
    output: n.outputs.map((v) => (isOmitted(v) ? '' : v.name)),
    attribute: names.map((k) => attrProto(k, n.attrs.get(k)!, n, irVersion)),
    docString: n.docString,
  };
}

function trimTrailingEmpty(names: string[]): string[] {
  let end = names.length;
  while (end > 0 && names[end - 1] === '') end--;
  return names.slice(0, end);
}

function attrProto(name: string, a: Attr, n: Node, irVersion: number): P.IAttributeProto {
  switch (a.kind) {
    case 'int': return { name, type: ATTR_TYPE.int, i: a.value };
    case 'float': return { name, type: ATTR_TYPE.float, f: a.value };
    case 'string': return { name, type: ATTR_TYPE.string, s: new TextEncoder().encode(a.value) };
    case 'ints': return { name, type: ATTR_TYPE.ints, ints: a.value };
    case 'floats': return { name, type: ATTR_TYPE.floats, floats: a.value };
    case 'strings': return { name, type: ATTR_TYPE.strings, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor': return { name, type: ATTR_TYPE.tensor, t: tensorProto('', a.value) };
    case 'tensors': return { name, type: ATTR_TYPE.tensors, tensors: a.value.map((t) => tensorProto('', t)) };
    case 'graph': return { name, type: ATTR_TYPE.graph, g: graphProto(a.value, irVersion) };
    case 'graphs': return { name, type: ATTR_TYPE.graphs, graphs: a.value.map((g) => graphProto(g, irVersion)) };
    case 'ref': return { name, type: ATTR_TYPE[a.refKind], refAttrName: a.refName };
    default:
      throw new ExportError(`node '${n.name}': attribute '${name}' has an unknown kind`);
  }
}

export function tensorProto(name: string, t: Tensor): P.ITensorProto {
  const base: P.ITensorProto = { name, dims: [...t.dims], dataType: onnxCode(t.dtype) };
  if (t.external) {
    const entries = [
      { key: 'location', value: t.external.location },
      { key: 'offset', value: String(t.external.offset) },
      ...(t.external.length !== null ? [{ key: 'length', value: String(t.external.length) }] : []),
    ];
    return { ...base, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: entries };
  }
  if (t.raw) return { ...base, rawData: t.raw };
  if (t.data === null) throw new ExportError(`tensor '${name}' (${t.dtype}) has no data`);
  if (Array.isArray(t.data)) return { ...base, stringData: t.data.map((s) => new TextEncoder().encode(s)) };
  const d = t.data as Exclude<TensorData, string[]>;
  // Typed arrays are little-endian on every platform Node and browsers run on. A view, not a copy:
  // the encoder only reads it, and copying every weight once more cost a quarter of a second on a
  // 300 MB model.
  return { ...base, rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}

function functionProto(f: FunctionDef): P.IFunctionProto {
  const opsets = [...f.opsetImports.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    name: f.name,
    domain: f.domain,
    input: f.body.inputs.map((v) => v.name),
    output: f.body.outputs.map((v) => v.name),
    attribute: [...f.attributes],
    opsetImport: opsets.map(([domain, version]) => ({ domain, version })),
    node: f.body.nodes.map((n) => nodeProto(n, 0)),
    docString: f.docString,
  };
}
