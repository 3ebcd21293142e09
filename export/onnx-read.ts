import type { onnx as P } from 'onnx-proto';
import type { Attr } from '../ir/attr.js';
import { Graph } from '../ir/graph.js';
import { inferNode } from '../ir/infer/index.js';
import { Model, type FunctionDef } from '../ir/model.js';
import { sizeOf, type Tensor, type TensorData } from '../ir/tensor.js';
import { dtypeFromCode, tensorType, type Dim, type DType, type TensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { onnx } from './proto.js';

/** A malformed .onnx file: the message names the field (and byte offset when the decoder knows it). */
export class OnnxFormatError extends Error {
  constructor(message: string, readonly field?: string, readonly offset?: number) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}

const MAX_NESTING = 64;

/** Bytes per element of the dtypes whose raw_data we can check. */
const ITEM_SIZE: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, uint16: 2, uint32: 4, uint64: 8,
  bool: 1, float16: 2, bfloat16: 2, complex64: 8, complex128: 16,
  float8e4m3fn: 1, float8e4m3fnuz: 1, float8e5m2: 1, float8e5m2fnuz: 1,
};

/**
 * ONNX bytes → IR, for any valid model (not only ours). Every count and length the file claims is
 * checked against what is actually present before anything is allocated from it.
 */
export function modelFromBytes(bytes: Uint8Array): Model {
  let proto: P.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /at offset (\d+)|offset (\d+)/.exec(msg);
    const offset = m ? Number(m[1] ?? m[2]) : undefined;
    throw new OnnxFormatError(`not a valid ONNX model: protobuf decoding failed (${msg})${offset !== undefined ? ` at byte ${offset}` : ''}`, 'ModelProto', offset);
  }
  if (!proto.graph) throw new OnnxFormatError('the model has no graph (ModelProto.graph is missing)', 'ModelProto.graph');
  const opsets = new Map<string, number>();
  for (const o of proto.opsetImport ?? []) opsets.set(o.domain === 'ai.onnx' ? '' : o.domain ?? '', num(o.version, 'opset_import.version'));
  if (!opsets.has('')) opsets.set('', 1);
  const model = new Model(opsets.get('')!, new Graph(proto.graph.name || 'main'));
  model.opsetImports.clear();
  for (const [d, v] of opsets) model.opsetImports.set(d, v);
  model.irVersion = num(proto.irVersion, 'ir_version');
  model.producerName = proto.producerName ?? '';
  model.producerVersion = proto.producerVersion ?? '';
  model.domain = proto.domain ?? '';
  model.modelVersion = num(proto.modelVersion, 'model_version');
  model.docString = proto.docString ?? '';
  for (const p of proto.metadataProps ?? []) model.metadata.set(p.key ?? '', p.value ?? '');
  const reader = new Reader(model.opset);
  reader.readGraph(proto.graph, model.graph, 0, 'graph');
  for (const [i, f] of (proto.functions ?? []).entries()) model.functions.push(reader.readFunction(f, i));
  return model;
}

function num(v: number | Long | null | undefined, field: string): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v.toString());
  if (!Number.isSafeInteger(n)) throw new OnnxFormatError(`${field} = ${String(v)} is not a representable integer`, field);
  return n;
}

interface Long {
  toString(): string;
}

class Reader {
  constructor(private readonly opset: number) {}

  readGraph(gp: P.IGraphProto, graph: Graph, depth: number, where: string): void {
    if (depth > MAX_NESTING) throw new OnnxFormatError(`${where}: subgraphs nest deeper than ${MAX_NESTING} levels`, where);
    const scope = new Map<string, Value>();
    const outer = (name: string): Value | undefined => scope.get(name) ?? (graph.parent ? graph.parent.findValue(name) : undefined);
    const define = (v: Value, wanted: string, field: string) => {
      if (scope.has(wanted)) throw new OnnxFormatError(`${where}: name '${wanted}' is defined twice (${field})`, field);
      if (v.name !== wanted) throw new OnnxFormatError(`${where}: name '${wanted}' is already used by an enclosing graph (${field})`, field);
      scope.set(wanted, v);
    };
    const valueInfo = new Map<string, TensorType>();
    for (const vi of gp.valueInfo ?? []) if (vi.name) valueInfo.set(vi.name, this.type(vi.type, `${where}.value_info '${vi.name}'`));
    const initNames = new Set<string>();
    for (const [i, tp] of (gp.initializer ?? []).entries()) {
      const name = tp.name ?? '';
      if (!name) throw new OnnxFormatError(`${where}.initializer[${i}] has no name`, 'initializer.name');
      define(graph.addInitializer(name, this.tensor(tp, `${where}.initializer '${name}'`)), name, `initializer[${i}]`);
      initNames.add(name);
    }
    for (const [i, vi] of (gp.input ?? []).entries()) {
      const name = vi.name ?? '';
      if (initNames.has(name)) continue; // IR < 4 lists initializers as inputs too
      define(graph.addInput(name, this.type(vi.type, `${where}.input '${name}'`)), name, `input[${i}]`);
    }
    for (const [i, np] of (gp.node ?? []).entries()) {
      const nodeWhere = `${where}.node[${i}] '${np.name ?? ''}' (${np.opType ?? '?'})`;
      if (!np.opType) throw new OnnxFormatError(`${nodeWhere} has no op_type`, 'node.op_type');
      const inputs = (np.input ?? []).map((name) => {
        if (name === '') return null;
        const v = outer(name);
        if (!v) throw new OnnxFormatError(`${nodeWhere} reads '${name}' before it is defined (nodes must be in topological order)`, 'node.input');
        return v;
      });
      const attrs: Record<string, Attr> = {};
      for (const ap of np.attribute ?? []) {
        if (!ap.name) throw new OnnxFormatError(`${nodeWhere} has an attribute without a name`, 'attribute.name');
        attrs[ap.name] = this.attr(ap, `${nodeWhere} attribute '${ap.name}'`, graph, depth);
      }
      const outs = np.output ?? [];
      const node = graph.createNode(np.domain === 'ai.onnx' ? '' : np.domain ?? '', np.opType, inputs, attrs, outs.length, {
        name: np.name || undefined,
        outputNames: outs,
      });
      node.docString = np.docString ?? '';
      node.outputs.forEach((v, k) => {
        if (outs[k] === '') return;
        define(v, outs[k]!, `${nodeWhere} output ${k}`);
        const known = valueInfo.get(outs[k]!);
        if (known) v.type = known;
      });
      if (node.domain === '' || node.domain === 'ai.ssmc') {
        const recorded = node.outputs.map((v) => v.type);
        try {
          inferNode(node, this.opset, { lenient: true });
        } catch {
          node.outputs.forEach((v, k) => (v.type = recorded[k]!)); // keep the file's types; the verifier reports conflicts
        }
        node.outputs.forEach((v, k) => {
          if (v.type.shape === null && recorded[k]!.shape !== null) v.type = recorded[k]!;
        });
      }
    }
    for (const [i, vi] of (gp.output ?? []).entries()) {
      const name = vi.name ?? '';
      const v = outer(name);
      if (!v) throw new OnnxFormatError(`${where}.output[${i}] '${name}' is not defined by any node, input or initializer`, 'graph.output');
      if (vi.type) v.type = this.type(vi.type, `${where}.output '${name}'`);
      graph.outputs.push(v);
    }
  }

  readFunction(fp: P.IFunctionProto, i: number): FunctionDef {
    const where = `functions[${i}] '${fp.domain ?? ''}.${fp.name ?? ''}'`;
    if (!fp.name) throw new OnnxFormatError(`${where} has no name`, 'function.name');
    const body = new Graph(fp.name);
    for (const name of fp.input ?? []) body.addInput(name, tensorType('float32', null));
    const gp: P.IGraphProto = { name: fp.name, node: fp.node, input: [], output: (fp.output ?? []).map((name) => ({ name })) };
    // Function inputs are already defined; reuse readGraph for the nodes and outputs.
    this.readFunctionBody(gp, body, where);
    const opsets = new Map<string, number>();
    for (const o of fp.opsetImport ?? []) opsets.set(o.domain ?? '', num(o.version, `${where}.opset_import`));
    return { domain: fp.domain ?? '', name: fp.name, body, attributes: [...(fp.attribute ?? [])], opsetImports: opsets, docString: fp.docString ?? '' };
  }

  private readFunctionBody(gp: P.IGraphProto, body: Graph, where: string): void {
    const inputs = new Map(body.inputs.map((v) => [v.name, v]));
    for (const [i, np] of (gp.node ?? []).entries()) {
      const nodeWhere = `${where}.node[${i}] (${np.opType ?? '?'})`;
      if (!np.opType) throw new OnnxFormatError(`${nodeWhere} has no op_type`, 'node.op_type');
      const ins = (np.input ?? []).map((name) => {
        if (name === '') return null;
        const v = inputs.get(name);
        if (!v) throw new OnnxFormatError(`${nodeWhere} reads '${name}' before it is defined`, 'node.input');
        return v;
      });
      const attrs: Record<string, Attr> = {};
      for (const ap of np.attribute ?? []) attrs[ap.name ?? ''] = this.attr(ap, `${nodeWhere} attribute '${ap.name ?? ''}'`, body, 1);
      const node = body.createNode(np.domain ?? '', np.opType, ins, attrs, (np.output ?? []).length, { name: np.name || undefined, outputNames: np.output ?? [] });
      node.outputs.forEach((v) => inputs.set(v.name, v));
    }
    for (const o of gp.output ?? []) {
      const v = inputs.get(o.name ?? '');
      if (!v) throw new OnnxFormatError(`${where}: output '${o.name}' is not defined`, 'function.output');
      body.outputs.push(v);
    }
  }

  private attr(ap: P.IAttributeProto, where: string, graph: Graph, depth: number): Attr {
    const kinds: Record<number, Exclude<Attr['kind'], 'ref'>> = { 1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings', 9: 'tensors', 10: 'graphs' };
    const kind = kinds[ap.type ?? 0];
    if (ap.refAttrName) {
      if (!kind) throw new OnnxFormatError(`${where}: a reference attribute needs a type`, 'attribute.type');
      return { kind: 'ref', refName: ap.refAttrName, refKind: kind };
    }
    const dec = (b: Uint8Array) => new TextDecoder().decode(b);
    switch (kind) {
      case 'float': return { kind, value: ap.f ?? 0 };
      case 'int': return { kind, value: num(ap.i, where) };
      case 'string': return { kind, value: dec(ap.s ?? new Uint8Array()) };
      case 'floats': return { kind, value: [...(ap.floats ?? [])] };
      case 'ints': return { kind, value: (ap.ints ?? []).map((x) => num(x, where)) };
      case 'strings': return { kind, value: (ap.strings ?? []).map(dec) };
      case 'tensor': return { kind, value: this.tensor(ap.t ?? {}, where) };
      case 'tensors': return { kind, value: (ap.tensors ?? []).map((t, i) => this.tensor(t, `${where}[${i}]`)) };
      case 'graph': return { kind, value: this.subgraph(ap.g ?? {}, graph, depth, where) };
      case 'graphs': return { kind, value: (ap.graphs ?? []).map((g, i) => this.subgraph(g, graph, depth, `${where}[${i}]`)) };
      default:
        throw new OnnxFormatError(`${where}: unknown attribute type ${ap.type}`, 'attribute.type');
    }
  }

  private subgraph(gp: P.IGraphProto, parent: Graph, depth: number, where: string): Graph {
    const g = new Graph(gp.name || 'body', parent);
    this.readGraph(gp, g, depth + 1, where);
    return g;
  }

  private type(tp: P.ITypeProto | null | undefined, where: string): TensorType {
    const tt = tp?.tensorType;
    if (!tt) return tensorType('float32', null);
    const dtype = dtypeFromCode(tt.elemType ?? 0);
    if (!dtype) throw new OnnxFormatError(`${where}: unknown element type ${tt.elemType}`, 'tensor_type.elem_type');
    if (!tt.shape) return tensorType(dtype, null);
    const dims: Dim[] = (tt.shape.dim ?? []).map((d) => {
      if (d.dimParam) return d.dimParam;
      if (d.dimValue !== null && d.dimValue !== undefined) {
        const n = num(d.dimValue, `${where} dim`);
        if (n < 0) throw new OnnxFormatError(`${where}: dimension ${n} is negative`, 'dim_value');
        return n;
      }
      return null;
    });
    return tensorType(dtype, dims);
  }

  tensor(tp: P.ITensorProto, where: string): Tensor {
    const dtype = dtypeFromCode(tp.dataType ?? 0);
    if (!dtype) throw new OnnxFormatError(`${where}: unknown data type ${tp.dataType}`, 'tensor.data_type');
    const dims = (tp.dims ?? []).map((d) => num(d, `${where} dims`));
    if (dims.some((d) => d < 0)) throw new OnnxFormatError(`${where}: dims [${dims.join(',')}] contain a negative size`, 'tensor.dims');
    if (tp.dataLocation === 1) {
      const ext = new Map((tp.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
      const location = ext.get('location');
      if (!location) throw new OnnxFormatError(`${where}: external data without a 'location'`, 'tensor.external_data');
      return { dtype, dims, data: null, external: { location, offset: Number(ext.get('offset') ?? 0), length: ext.has('length') ? Number(ext.get('length')) : null } };
    }
    const count = sizeOf(dims);
    const raw = tp.rawData && tp.rawData.byteLength > 0 ? tp.rawData : null;
    const item = ITEM_SIZE[dtype];
    if (raw) {
      if (item === undefined) return { dtype, dims, data: null, raw: copyBytes(raw) };
      if (count * item !== raw.byteLength) {
        throw new OnnxFormatError(`${where}: dims [${dims.join(',')}] need ${count * item} bytes of ${dtype} but raw_data has ${raw.byteLength}`, 'tensor.raw_data');
      }
      return fromRaw(dtype, dims, raw);
    }
    const fields: [string, ArrayLike<unknown> | null | undefined][] = [
      ['float_data', tp.floatData], ['int32_data', tp.int32Data], ['int64_data', tp.int64Data], ['double_data', tp.doubleData],
      ['uint64_data', tp.uint64Data], ['string_data', tp.stringData],
    ];
    const present = fields.find(([, f]) => f && f.length > 0);
    const have = present ? present[1]!.length : 0;
    const expect = dtype === 'complex64' || dtype === 'complex128' ? 2 * count : count;
    if (have !== expect && !(have === 0 && count === 0)) {
      if (have === 0 && count > 0) throw new OnnxFormatError(`${where}: dims [${dims.join(',')}] need ${count} values but the tensor holds no data`, 'tensor.data');
      throw new OnnxFormatError(`${where}: dims [${dims.join(',')}] need ${expect} values but ${present?.[0]} holds ${have}`, present?.[0]);
    }
    return fromFields(dtype, dims, tp);
  }
}

function fromRaw(dtype: DType, dims: number[], raw: Uint8Array): Tensor {
  const buf = copyBytes(raw).buffer as ArrayBuffer; // protobufjs may hand out a view into the whole file
  const views: Partial<Record<DType, (b: ArrayBuffer) => TensorData>> = {
    float32: (b) => new Float32Array(b), float64: (b) => new Float64Array(b), int64: (b) => new BigInt64Array(b),
    int32: (b) => new Int32Array(b), int16: (b) => new Int16Array(b), int8: (b) => new Int8Array(b), uint8: (b) => new Uint8Array(b),
    uint16: (b) => new Uint16Array(b), uint32: (b) => new Uint32Array(b), uint64: (b) => new BigUint64Array(b), bool: (b) => new Uint8Array(b),
    complex64: (b) => new Float32Array(b), complex128: (b) => new Float64Array(b),
  };
  const make = views[dtype];
  return make ? { dtype, dims, data: make(buf) } : { dtype, dims, data: null, raw: new Uint8Array(buf) };
}

function fromFields(dtype: DType, dims: number[], tp: P.ITensorProto): Tensor {
  const big = (xs: ArrayLike<number | Long>) => BigInt64Array.from(Array.from(xs, (x) => BigInt(x.toString())));
  switch (dtype) {
    case 'float32': case 'complex64': return { dtype, dims, data: Float32Array.from(tp.floatData ?? []) };
    case 'float64': case 'complex128': return { dtype, dims, data: Float64Array.from(tp.doubleData ?? []) };
    case 'int64': return { dtype, dims, data: big(tp.int64Data ?? []) };
    case 'int32': return { dtype, dims, data: Int32Array.from(tp.int32Data ?? []) };
    case 'int16': return { dtype, dims, data: Int16Array.from(tp.int32Data ?? []) };
    case 'int8': return { dtype, dims, data: Int8Array.from(tp.int32Data ?? []) };
    case 'uint8': case 'bool': return { dtype, dims, data: Uint8Array.from(tp.int32Data ?? []) };
    case 'uint16': return { dtype, dims, data: Uint16Array.from(tp.int32Data ?? []) };
    case 'uint32': return { dtype, dims, data: Uint32Array.from(Array.from(tp.uint64Data ?? [], (x) => Number(x.toString()))) };
    case 'uint64': return { dtype, dims, data: BigUint64Array.from(Array.from(tp.uint64Data ?? [], (x) => BigInt(x.toString()))) };
    case 'string': return { dtype, dims, data: (tp.stringData ?? []).map((s) => new TextDecoder().decode(s)) };
    default: {
      // float16/bfloat16/float8 in int32_data: keep the low bytes as raw little-endian data.
      const vals = tp.int32Data ?? [];
      const width = dtype === 'float16' || dtype === 'bfloat16' ? 2 : 1;
      const raw = new Uint8Array(vals.length * width);
      vals.forEach((v, i) => {
        raw[i * width] = v & 0xff;
        if (width === 2) raw[i * width + 1] = (v >> 8) & 0xff;
      });
      return { dtype, dims, data: null, raw };
    }
  }
}

function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.byteLength);
  out.set(b);
  return out;
}
