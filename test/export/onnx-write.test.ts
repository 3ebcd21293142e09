import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from 'ssmc';
import { type Attr, c64, f32, Model, tensorType } from 'ssmc/ir';
import { onnx } from '../../export/proto.js';
import type { onnx as P } from 'onnx-proto';
import { functionModel, ifModel, kitchenSinkModel, mlpModel } from './fixtures.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
/** Decoded protobuf messages, with every field present (the decoder fills defaults). */
type Req<T> = T extends Uint8Array ? Uint8Array : T extends (infer U)[] ? Req<U>[] : T extends object ? { [K in keyof T]-?: Req<NonNullable<T[K]>> } : T;
const decode = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes) as unknown as Req<P.IModelProto>;

describe('modelToBytes', () => {
  it.each([
    ['mlp', mlpModel], ['function', () => functionModel(2)], ['if', ifModel], ['kitchen sink', kitchenSinkModel],
  ])('round-trips %s IR → bytes → IR → bytes byte-identically', (_name, make) => {
    const bytes = modelToBytes(make());
    const again = modelToBytes(modelFromBytes(bytes));
    expect(same(again, bytes)).toBe(true);
    expect(same(modelToBytes(modelFromBytes(again)), bytes)).toBe(true);
  });

  it('is deterministic: insertion order of opsets, metadata and attributes does not matter', () => {
    const a = kitchenSinkModel();
    const b = kitchenSinkModel();
    const meta = [...b.metadata.entries()].reverse();
    b.metadata.clear();
    for (const [k, v] of meta) b.metadata.set(k, v);
    const opsets = [...b.opsetImports.entries()].reverse();
    b.opsetImports.clear();
    for (const [k, v] of opsets) b.opsetImports.set(k, v);
    const node = b.graph.nodes[0]!;
    const attrs = [...node.attrs.entries()].reverse();
    node.attrs.clear();
    for (const [k, v] of attrs) node.attrs.set(k, v);
    expect(same(modelToBytes(a), modelToBytes(b))).toBe(true);
    expect(same(modelToBytes(a), modelToBytes(a))).toBe(true);
  });

  it('writes opsets, metadata, attributes and initializers in a stable order', () => {
    const p = decode(modelToBytes(kitchenSinkModel()));
    expect(p.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17], ['ai.ssmc', 1], ['com.example', 3]]);
    expect(p.metadataProps.map((m) => m.key)).toEqual(['alpha', 'ssmc.arch', 'zeta']);
    expect(p.graph!.node[0]!.attribute.map((a) => a.name)).toEqual(['a_float', 'floats', 'g', 'graphs', 'ints', 's', 'strings', 't', 'tensors', 'z_int']);
    expect(p.graph!.initializer.map((t) => t.name)).toEqual(['half', 'labels', 'ext', 'ids', 'flags', 'd', 'nibbles']);
    expect(p.functions.map((f) => `${f.domain}.${f.name}`)).toEqual(['ai.ssmc.ScaledSoftplus']);
    expect(Number(p.irVersion)).toBe(8);
    expect(Number(p.modelVersion)).toBe(7);
  });

  it('writes initializers as little-endian raw_data, strings as string_data, external data as references', () => {
    const p = decode(modelToBytes(kitchenSinkModel()));
    const init = new Map(p.graph!.initializer.map((t) => [t.name, t]));
    const ids = init.get('ids')!;
    expect(ids.dataType).toBe(onnx.TensorProto.DataType.INT64);
    const dv = new DataView(ids.rawData.buffer, ids.rawData.byteOffset, ids.rawData.byteLength);
    expect([dv.getBigInt64(0, true), dv.getBigInt64(8, true), dv.getBigInt64(16, true)]).toEqual([1n, -2n, 1n << 40n]);
    expect(Array.from(init.get('half')!.rawData)).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect(init.get('half')!.dataType).toBe(onnx.TensorProto.DataType.FLOAT16);
    expect(Array.from(init.get('flags')!.rawData)).toEqual([1, 0]);
    expect(init.get('labels')!.stringData.map((s) => new TextDecoder().decode(s))).toEqual(['a', 'bé']);
    const ext = init.get('ext')!;
    expect(ext.dataLocation).toBe(onnx.TensorProto.DataLocation.EXTERNAL);
    expect(ext.rawData.length).toBe(0);
    expect(ext.externalData.map((e) => [e.key, e.value])).toEqual([['location', 'weights.bin'], ['offset', '64'], ['length', '64']]);
    const d = init.get('d')!;
    expect(new DataView(d.rawData.buffer, d.rawData.byteOffset).getFloat64(0, true)).toBe(Math.PI);
  });

  it('types inputs, outputs and value_info with shapes; an output of unknown rank has no shape field (an empty one would declare a scalar)', () => {
    const p = decode(modelToBytes(mlpModel()));
    const g = p.graph!;
    const dims = (t: typeof g.input[0]) => t.type!.tensorType!.shape!.dim.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
    expect(g.input.map((v) => v.name)).toEqual(['x']); // initializers are not listed as inputs
    expect(dims(g.input[0]!)).toEqual(['batch', 4]);
    expect(dims(g.output[0]!)).toEqual(['batch', 3]);
    expect(g.valueInfo.map((v) => v.name)).toEqual(['matmul', 'add']); // intermediates, not the output
    expect(g.valueInfo.map(dims)).toEqual([['batch', 3], ['batch', 3]]);
    const k = decode(modelToBytes(kitchenSinkModel())).graph!;
    expect(k.input[0]!.type!.tensorType!.shape!.dim.length).toBe(3);
    expect(Object.keys(k.input[0]!.type!.tensorType!.shape!.dim[2]!)).toEqual([]); // unknown dim: empty Dimension
    const sink = kitchenSinkModel();
    const rankKnown = (shape: unknown) => shape !== null;
    k.output.forEach((o, i) => expect(Boolean(o.type!.tensorType!.shape), o.name).toBe(rankKnown(sink.graph.outputs[i]!.type.shape)));
    const sub = k.node[0]!.attribute.find((a) => a.name === 'g')!.g!;
    const subIr = sink.graph.nodes[0]!.attrs.get('g');
    if (subIr?.kind !== 'graph') throw new Error('kitchen sink lost its subgraph');
    sub.output.forEach((o, i) => expect(Boolean(o.type!.tensorType!.shape), o.name).toBe(rankKnown(subIr.value.outputs[i]!.type.shape)));
  });

  it('writes every attribute kind, subgraphs and function-body references', () => {
    const p = decode(modelToBytes(kitchenSinkModel()));
    const attrs = new Map(p.graph!.node[0]!.attribute.map((a) => [a.name, a]));
    expect(Number(attrs.get('z_int')!.i)).toBe(-3);
    expect(attrs.get('a_float')!.f).toBeCloseTo(0.1, TOL.F32_DIGITS);
    expect(new TextDecoder().decode(attrs.get('s')!.s)).toBe('héllo');
    expect(attrs.get('ints')!.ints.map(Number)).toEqual([1, -1, 2 ** 40]);
    expect(attrs.get('floats')!.floats).toEqual([0.5, -0.25]);
    expect(attrs.get('strings')!.strings.map((s) => new TextDecoder().decode(s))).toEqual(['x', '']);
    expect(attrs.get('t')!.t!.dims.map(Number)).toEqual([2]);
    expect(attrs.get('tensors')!.tensors.length).toBe(2);
    expect(attrs.get('g')!.g!.node.map((n) => n.opType)).toEqual(['Identity', 'Add']);
    expect(attrs.get('g')!.g!.node[1]!.input).toEqual(['sy', 'x']); // outer-scope reference by name
    expect(attrs.get('graphs')!.graphs.length).toBe(1);
    expect(p.graph!.node[0]!.input).toEqual(['x', '', 'half']); // omitted optional inputs; trailing ones dropped
    const fn = p.functions[0]!;
    expect([fn.domain, fn.name, fn.input, fn.output, fn.attribute]).toEqual(['ai.ssmc', 'ScaledSoftplus', ['X'], ['Y'], ['alpha']]);
    expect(fn.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const ref = fn.node[1]!.attribute[0]!;
    expect([ref.name, ref.refAttrName, ref.type]).toEqual(['value_float', 'alpha', onnx.AttributeProto.AttributeType.FLOAT]);
  });

  it('reads back what it wrote', () => {
    const m = modelFromBytes(modelToBytes(kitchenSinkModel()));
    expect(m.irVersion).toBe(8);
    expect([...m.opsetImports.entries()].sort()).toEqual([['', 17], ['ai.ssmc', 1], ['com.example', 3]]);
    expect(m.metadata.get('alpha')).toBe('first');
    expect(m.docString).toBe('kitchen sink');
    expect(m.graph.inputs[0]!.type).toEqual(tensorType('float32', ['batch', 4, null]));
    const byName = new Map(m.graph.initializers.map((v) => [v.name, v.constant!]));
    expect(byName.get('ext')).toMatchObject({ dtype: 'float32', dims: [16], data: null, external: { location: 'weights.bin', offset: 64, length: 64 } });
    expect(byName.get('labels')!.data).toEqual(['a', 'bé']);
    expect(Array.from(byName.get('half')!.raw!)).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect(Array.from(byName.get('ids')!.data as BigInt64Array)).toEqual([1n, -2n, 1n << 40n]);
    const n = m.graph.nodes[0]!;
    expect(n.inputs.map((v) => v?.name ?? null)).toEqual(['x', null, 'half']);
    expect(n.attrs.get('ints')).toEqual({ kind: 'ints', value: [1, -1, 2 ** 40] });
    const g = n.attrs.get('g') as Extract<Attr, { kind: 'graph' }>;
    expect(g.value.nodes[1]!.inputs[1]).toBe(m.graph.inputs[0]); // outer reference resolved to the outer value
    const f = m.functions[0]!;
    expect(f.body.nodes[1]!.attrs.get('value_float')).toEqual({ kind: 'ref', refName: 'alpha', refKind: 'float' });
  });

  it('rejects complex values that reach export, naming the value', () => {
    const m = new Model(17);
    const x = m.graph.addInput('x', tensorType('float32', [4]));
    const z = m.graph.createNode('', 'Cast', [x], {}, 1, { outputNames: ['spectrum'], outputTypes: [tensorType('complex64', [4])] }).outputs[0]!;
    const y = m.graph.createNode('', 'Identity', [z], {}, 1, { outputNames: ['y'], outputTypes: [tensorType('float32', [4])] }).outputs[0]!;
    m.graph.outputs.push(y);
    expect(() => modelToBytes(m)).toThrow(/complex value 'spectrum' reached export: run the lower-complex pass/);
    const m2 = new Model(17);
    const zi = m2.graph.addInput('zin', tensorType('complex64', [4]));
    m2.graph.outputs.push(m2.graph.createNode('', 'Identity', [zi], {}, 1, { outputNames: ['o'], outputTypes: [tensorType('complex64', [4])] }).outputs[0]!);
    expect(() => modelToBytes(m2)).toThrow(/complex value 'zin' reached export/);
  });

  it('writes complex64 constants as interleaved float32 pairs', () => {
    const m = new Model(17);
    m.graph.addInitializer('c', c64([1, 2], [3, 4], [2]));
    m.graph.outputs.push(m.graph.addInitializer('f', f32([1], [1])));
    const raw = decode(modelToBytes(m)).graph!.initializer[0]!.rawData;
    expect(Array.from(new Float32Array(Uint8Array.from(raw).buffer))).toEqual([1, 3, 2, 4]);
  });
});
