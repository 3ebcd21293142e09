import type { onnx as P } from 'onnx-proto';
import type { Attr } from '../ir/attr.js';
import { Graph } from '../ir/graph.js';
import { inferNode } from '../ir/infer/index.js';
import { Model, type FunctionDef } from '../ir/model.js';
import { sizeOf, type Tensor, type TensorData } from '../ir/tensor.js';
import { dtypeFromCode, tensorType, type Dim, type DType, type TensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { externalLocationProblem } from './external-data.js';
import { onnx } from './proto.js';
import { checkWire } from './wire-check.js';

/** A malformed .onnx file: the message names the field (and byte offset when the decoder knows it). */
export class OnnxFormatError extends Error {
  constructor(message: string, readonly field?: string, readonly offset?: number) {
    super(elideMiddle(message, MAX_MESSAGE));
    this.name = 'OnnxFormatError';
  }
}

const MAX_NESTING = 64;

/**
 * Messages quote names and paths from the file, which a malformed file can make arbitrarily long
 * (a megabyte name, 64 levels of subgraph path): keep the start (where) and the end (the rule).
 */
const MAX_MESSAGE = 600;

function elideMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.45), tail = max - head - 3;
  return `${text.slice(0, head)} … ${text.slice(text.length - tail)}`;
}

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
  const problem = checkWire(bytes);
  if (problem) throw new OnnxFormatError(`not a valid ONNX model: ${problem.message}`, 'ModelProto', problem.offset);
  let proto: P.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw decodeError(e);
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

/**
 * One serialized TensorProto (the `input_0.pb` files of ONNX's backend tests) → an IR tensor,
 * checked like an initializer.
 */
export function tensorFromBytes(bytes: Uint8Array, where = 'tensor'): { name: string; tensor: Tensor } {
  let tp: P.TensorProto;
  try {
    tp = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw decodeError(e);
  }
  return { name: tp.name ?? '', tensor: new Reader(0).tensor(tp, where) };
}

/**
 * protobufjs reports a field running past the end as "index out of range: POS + LEN > END" and a
 * bad tag as "invalid wire type W at offset POS"; both positions are absolute byte offsets.
 */
function decodeError(e: unknown): OnnxFormatError {
  const msg = e instanceof Error ? e.message : String(e);
  const range = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec(msg);
  if (range) {
    const [, pos, len, end] = range;
    return new OnnxFormatError(
      `not a valid ONNX model: protobuf decoding failed (${msg}): at byte ${pos} a field needs ${len} more byte(s) but the file ends at byte ${end}; the file is truncated or corrupt`,
      'ModelProto', Number(pos));
  }
  if (e instanceof RangeError && /call stack/i.test(msg)) {
    return new OnnxFormatError('not a valid ONNX model: protobuf decoding failed: messages nest too deep to decode', 'ModelProto');
  }
  const m = /at offset (\d+)|offset (\d+)/.exec(msg);
  const offset = m ? Number(m[1] ?? m[2]) : undefined;
  return new OnnxFormatError(`not a valid ONNX model: protobuf decoding failed (${msg})${offset !== undefined ? ` at byte ${offset}` : ''}`, 'ModelProto', offset);
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

/**
 * The names visible in a graph being read, by the name the file uses: its own values, then those
 * of the enclosing graphs. The IR may rename a subgraph value whose name a sibling subgraph (or a
 * later node of the main graph) already took — valid ONNX reuses names across sibling branches —
 * so lookups go by the file's names here, never by the IR's.
 */
interface Scope {
  readonly values: Map<string, Value>;
  readonly parent: Scope | null;
}

function lookup(scope: Scope | null, name: string): Value | undefined {
  for (let s = scope; s; s = s.parent) {
    const v = s.values.get(name);
    if (v) return v;
  }
  return undefined;
}

class Reader {
  constructor(private readonly opset: number) {}

  readGraph(gp: P.IGraphProto, graph: Graph, depth: number, where: string, enclosing: Scope | null = null, inputHints: readonly (TensorType | null)[] = []): void {
    if (depth > MAX_NESTING) throw new OnnxFormatError(`${where}: subgraphs nest deeper than ${MAX_NESTING} levels`, where);
    const scope: Scope = { values: new Map(), parent: enclosing };
    const define = (v: Value, wanted: string, field: string) => {
      if (scope.values.has(wanted)) throw new OnnxFormatError(`${where}: name '${wanted}' is defined twice (${field})`, field);
      if (lookup(enclosing, wanted)) throw new OnnxFormatError(`${where}: name '${wanted}' is already defined by an enclosing graph (${field})`, field);
      if (v.name !== wanted && depth === 0) throw new OnnxFormatError(`${where}: name '${wanted}' is defined twice (${field})`, field);
      scope.values.set(wanted, v);
    };
    // The main graph's names are its interface: reserve them so subgraphs read before a later node
    // cannot take them (the subgraph's value gets a fresh IR name instead).
    const reserved = new Set<string>();
    if (depth === 0) {
      for (const np of gp.node ?? []) {
        for (const name of np.output ?? []) {
          if (name === '' || reserved.has(name)) continue;
          const got = graph.scope.claim(name);
          if (got === name) reserved.add(name);
          else graph.scope.release(got);
        }
      }
    }
    const valueInfo = new Map<string, TensorType>();
    for (const vi of gp.valueInfo ?? []) {
      const t = vi.name ? this.maybeType(vi.type, `${where}.value_info '${vi.name}'`) : null;
      if (t) valueInfo.set(vi.name!, t);
    }
    const initNames = new Set<string>();
    for (const [i, tp] of (gp.initializer ?? []).entries()) {
      const name = tp.name ?? '';
      if (!name) throw new OnnxFormatError(`${where}.initializer[${i}] has no name`, 'initializer.name');
      if (reserved.has(name)) throw new OnnxFormatError(`${where}: name '${name}' is defined twice (initializer[${i}] and a node output)`, `initializer[${i}]`);
      define(graph.addInitializer(name, this.tensor(tp, `${where}.initializer '${name}'`)), name, `initializer[${i}]`);
      initNames.add(name);
    }
    for (const [i, vi] of (gp.input ?? []).entries()) {
      const name = vi.name ?? '';
      if (initNames.has(name)) continue; // IR < 4 lists initializers as inputs too
      if (reserved.has(name)) throw new OnnxFormatError(`${where}: name '${name}' is defined twice (input[${i}] and a node output)`, `input[${i}]`);
      const hint = inputHints[i];
      const declared = hint && !vi.type?.tensorType?.elemType ? hint : this.type(vi.type, `${where}.input '${name}'`);
      define(graph.addInput(name, declared), name, `input[${i}]`);
    }
    for (const [i, np] of (gp.node ?? []).entries()) {
      const nodeWhere = `${where}.node[${i}] '${np.name ?? ''}' (${np.opType ?? '?'})`;
      if (!np.opType) throw new OnnxFormatError(`${nodeWhere} has no op_type`, 'node.op_type');
      const inputs = (np.input ?? []).map((name) => {
        if (name === '') return null;
        const v = lookup(scope, name);
        if (!v) throw new OnnxFormatError(`${nodeWhere} reads '${name}' before it is defined (nodes must be in topological order)`, 'node.input');
        return v;
      });
      const attrs = new Map<string, Attr>();
      for (const ap of np.attribute ?? []) {
        if (!ap.name) throw new OnnxFormatError(`${nodeWhere} has an attribute without a name`, 'attribute.name');
        if (attrs.has(ap.name)) throw new OnnxFormatError(`${nodeWhere} has two attributes named '${ap.name}'`, 'attribute.name');
        const hints = ap.name === 'body' && (np.domain ?? '') === '' ? bodyInputTypes(np, inputs, this.opset) : [];
        attrs.set(ap.name, this.attr(ap, `${nodeWhere} attribute '${ap.name}'`, graph, depth, scope, hints));
      }
      const outs = np.output ?? [];
      for (const name of outs) if (reserved.delete(name)) graph.scope.release(name);
      const node = graph.createNode(np.domain === 'ai.onnx' ? '' : np.domain ?? '', np.opType, inputs, attrs, outs.length, {
        name: np.name || undefined,
        outputNames: outs,
      });
      node.docString = np.docString ?? '';
      node.outputs.forEach((v, k) => {
        if (outs[k] === '') {
          v.omitted = true;
          return;
        }
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
      const v = lookup(scope, name);
      if (!v) throw new OnnxFormatError(`${where}.output[${i}] '${name}' is not defined by any node, input or initializer`, 'graph.output');
      if (vi.type) v.type = this.type(vi.type, `${where}.output '${name}'`);
      graph.outputs.push(v);
    }
  }

  readFunction(fp: P.IFunctionProto, i: number): FunctionDef {
    const where = `functions[${i}] '${fp.domain ?? ''}.${fp.name ?? ''}'`;
    if (!fp.name) throw new OnnxFormatError(`${where} has no name`, 'function.name');
    const body = new Graph(fp.name);
    const scope: Scope = { values: new Map(), parent: null };
    for (const name of fp.input ?? []) {
      if (scope.values.has(name)) throw new OnnxFormatError(`${where}: input '${name}' is listed twice`, 'function.input');
      scope.values.set(name, body.addInput(name, tensorType('float32', null)));
    }
    this.readFunctionBody(fp, body, where, scope);
    const opsets = new Map<string, number>();
    for (const o of fp.opsetImport ?? []) opsets.set(o.domain ?? '', num(o.version, `${where}.opset_import`));
    return { domain: fp.domain ?? '', name: fp.name, body, attributes: [...(fp.attribute ?? [])], opsetImports: opsets, docString: fp.docString ?? '' };
  }

  private readFunctionBody(fp: P.IFunctionProto, body: Graph, where: string, scope: Scope): void {
    for (const [i, np] of (fp.node ?? []).entries()) {
      const nodeWhere = `${where}.node[${i}] (${np.opType ?? '?'})`;
      if (!np.opType) throw new OnnxFormatError(`${nodeWhere} has no op_type`, 'node.op_type');
      const ins = (np.input ?? []).map((name) => {
        if (name === '') return null;
        const v = scope.values.get(name);
        if (!v) throw new OnnxFormatError(`${nodeWhere} reads '${name}' before it is defined`, 'node.input');
        return v;
      });
      const attrs = new Map<string, Attr>();
      for (const ap of np.attribute ?? []) {
        if (!ap.name) throw new OnnxFormatError(`${nodeWhere} has an attribute without a name`, 'attribute.name');
        if (attrs.has(ap.name)) throw new OnnxFormatError(`${nodeWhere} has two attributes named '${ap.name}'`, 'attribute.name');
        attrs.set(ap.name, this.attr(ap, `${nodeWhere} attribute '${ap.name}'`, body, 1, scope));
      }
      const outs = np.output ?? [];
      const node = body.createNode(np.domain ?? '', np.opType, ins, attrs, outs.length, { name: np.name || undefined, outputNames: outs });
      node.outputs.forEach((v, k) => {
        const name = outs[k]!;
        if (name === '') {
          v.omitted = true;
          return;
        }
        if (scope.values.has(name)) throw new OnnxFormatError(`${nodeWhere}: name '${name}' is defined twice`, 'node.output');
        scope.values.set(name, v);
      });
    }
    for (const name of fp.output ?? []) {
      const v = scope.values.get(name);
      if (!v) throw new OnnxFormatError(`${where}: output '${name}' is not defined`, 'function.output');
      body.outputs.push(v);
    }
  }

  private attr(ap: P.IAttributeProto, where: string, graph: Graph, depth: number, scope: Scope, hints: readonly (TensorType | null)[] = []): Attr {
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
      case 'graph': return { kind, value: this.subgraph(ap.g ?? {}, graph, depth, where, scope, hints) };
      case 'graphs': return { kind, value: (ap.graphs ?? []).map((g, i) => this.subgraph(g, graph, depth, `${where}[${i}]`, scope)) };
      default:
        throw new OnnxFormatError(`${where}: unknown attribute type ${ap.type}`, 'attribute.type');
    }
  }

  private subgraph(gp: P.IGraphProto, parent: Graph, depth: number, where: string, scope: Scope, hints: readonly (TensorType | null)[] = []): Graph {
    const g = new Graph(gp.name || 'body', parent);
    this.readGraph(gp, g, depth + 1, where, scope, hints);
    return g;
  }

  /** The tensor type of a value, or null for the other kinds of value_info that the IR cannot hold. */
  private maybeType(tp: P.ITypeProto | null | undefined, where: string): TensorType | null {
    return tp && !tp.tensorType && nonTensorKind(tp) ? null : this.type(tp, where);
  }

  private type(tp: P.ITypeProto | null | undefined, where: string): TensorType {
    const other = tp ? nonTensorKind(tp) : null;
    if (other && !tp!.tensorType) {
      throw new OnnxFormatError(`${where}: ${other} values are not supported (ssmc reads tensor-typed graphs only)`, 'type');
    }
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
      const problem = externalLocationProblem(location);
      if (problem) {
        throw new OnnxFormatError(`${where}: external data location '${location}' is refused: ${problem}; ONNX resolves it against the model's folder, and ssmc (like onnxruntime) reads external data only from inside that folder`, 'tensor.external_data');
      }
      const offset = byteCount(ext.get('offset') ?? '0', `${where}: external data 'offset'`);
      const length = ext.has('length') ? byteCount(ext.get('length')!, `${where}: external data 'length'`) : null;
      const item = ITEM_SIZE[dtype];
      if (length !== null && item !== undefined && length !== sizeOf(dims) * item) {
        throw new OnnxFormatError(`${where}: dims [${dims.join(',')}] need ${sizeOf(dims) * item} bytes of ${dtype} but its external data 'length' says ${length}`, 'tensor.external_data');
      }
      return { dtype, dims, data: null, external: { location, offset, length } };
    }
    const count = sizeOf(dims);
    const raw = tp.rawData && tp.rawData.byteLength > 0 ? tp.rawData : null;
    const item = ITEM_SIZE[dtype];
    if (raw) {
      if (dtype === 'int4' || dtype === 'uint4' || dtype === 'float4e2m1') {
        // Two 4-bit values per byte, the last byte half-used when the count is odd.
        if (Math.ceil(count / 2) !== raw.byteLength) {
          throw new OnnxFormatError(`${where}: dims [${dims.join(',')}] need ${Math.ceil(count / 2)} bytes of packed ${dtype} but raw_data has ${raw.byteLength}`, 'tensor.raw_data');
        }
        return { dtype, dims, data: null, raw: copyBytes(raw) };
      }
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
    const want = DATA_FIELD[dtype];
    for (const [field, values] of fields) {
      if (values && values.length > 0 && field !== want) {
        throw new OnnxFormatError(`${where}: a ${dtype} tensor keeps its values in ${want ?? 'raw_data'}, but this one has ${values.length} in ${field}`, field);
      }
    }
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

/**
 * What ONNX defines a Loop or Scan body's inputs to be, for bodies that leave their types to
 * inference: Loop (i: int64 scalar, cond: bool scalar, then the carried values as passed in);
 * Scan from opset 9 (the states as passed in, then one slice of each scan input, its scan axis
 * removed).
 */
function bodyInputTypes(np: P.INodeProto, inputs: readonly (Value | null)[], opset: number): (TensorType | null)[] {
  const typeOf = (v: Value | null | undefined) => (v ? v.type : null);
  if (np.opType === 'Loop') return [tensorType('int64', []), tensorType('bool', []), ...inputs.slice(2).map(typeOf)];
  if (np.opType !== 'Scan' || opset < 9) return [];
  const attr = (name: string) => (np.attribute ?? []).find((a) => a.name === name);
  const numScan = Number(attr('num_scan_inputs')?.i ?? 0);
  const numStates = inputs.length - numScan;
  if (numScan < 1 || numStates < 0) return [];
  const axes = (attr('scan_input_axes')?.ints ?? []).map(Number);
  return inputs.map((v, i) => {
    if (!v || i < numStates) return typeOf(v);
    const shape = v.type.shape;
    if (shape === null) return tensorType(v.type.dtype, null);
    const raw = axes[i - numStates] ?? 0, axis = raw < 0 ? raw + shape.length : raw;
    return tensorType(v.type.dtype, axis >= 0 && axis < shape.length ? shape.filter((_, k) => k !== axis) : null);
  });
}

/** The typed field of TensorProto each dtype stores its values in when raw_data is not used (onnx.proto). */
const DATA_FIELD: Partial<Record<DType, string>> = {
  float32: 'float_data', complex64: 'float_data', float64: 'double_data', complex128: 'double_data', int64: 'int64_data',
  uint32: 'uint64_data', uint64: 'uint64_data', string: 'string_data',
  int32: 'int32_data', int16: 'int32_data', int8: 'int32_data', uint16: 'int32_data', uint8: 'int32_data', bool: 'int32_data',
  float16: 'int32_data', bfloat16: 'int32_data', float8e4m3fn: 'int32_data', float8e4m3fnuz: 'int32_data', float8e5m2: 'int32_data',
  float8e5m2fnuz: 'int32_data', int4: 'int32_data', uint4: 'int32_data', float4e2m1: 'int32_data',
};

/** A non-negative decimal byte count from external_data (offset, length). */
function byteCount(text: string, where: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new OnnxFormatError(`${where} must be a non-negative integer, got '${text}'`, 'tensor.external_data');
  return n;
}

/** Which non-tensor kind a TypeProto describes, if any. */
function nonTensorKind(tp: P.ITypeProto): string | null {
  if (tp.sequenceType) return 'sequence';
  if (tp.mapType) return 'map';
  if (tp.optionalType) return 'optional';
  if (tp.sparseTensorType) return 'sparse tensor';
  return null;
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
