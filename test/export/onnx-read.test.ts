import type { onnx as P } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes, OnnxFormatError } from 'ssmc';
import { type Attr, f32, tensorType } from 'ssmc/ir';
import { nodeBackend } from 'ssmc/runtime';
import { onnx } from '../../export/proto.js';
import { kitchenSinkModel, mlpModel } from './fixtures.js';

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

function vi(name: string, elemType: number, dims: (number | string | null)[] | null): P.IValueInfoProto {
  const shape = dims === null ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) };
  return { name, type: { tensorType: { elemType, ...(shape ? { shape } : {}) } } };
}

function encode(graph: P.IGraphProto, extra: Partial<P.IModelProto> = {}): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', ...graph }, ...extra }).finish();
}

/** A raw_data initializer of float32 values. */
function floats(name: string, dims: number[], values: number[]): P.ITensorProto {
  return { name, dims, dataType: T.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

function formatError(bytes: Uint8Array): OnnxFormatError {
  try {
    modelFromBytes(bytes);
  } catch (e) {
    if (e instanceof OnnxFormatError) return e;
    throw new Error(`expected OnnxFormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
  throw new Error('expected OnnxFormatError, but the model was accepted');
}

describe('modelFromBytes: valid files written by other tools', () => {
  it('keeps initializers that older files also list as inputs as initializers', async () => {
    const bytes = encode({
      input: [vi('x', T.FLOAT, [2]), vi('w', T.FLOAT, [2])],
      initializer: [floats('w', [2], [10, 20])],
      node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
      output: [vi('y', T.FLOAT, [2])],
    }, { irVersion: 3, opsetImport: [{ domain: '', version: 9 }] });
    const m = modelFromBytes(bytes);
    expect(m.irVersion).toBe(3);
    expect(m.opset).toBe(9);
    expect(m.graph.inputs.map((v) => v.name)).toEqual(['x']);
    expect(m.graph.initializers.map((v) => v.name)).toEqual(['w']);
    expect(Array.from(m.graph.initializers[0]!.constant!.data as Float32Array)).toEqual([10, 20]);
    expect(m.graph.nodes[0]!.inputs[1]).toBe(m.graph.initializers[0]);
    const out = await nodeBackend.run(modelToBytes(m), new Map([['x', f32([1, 2], [2])]]));
    expect(Array.from(out.get('y')!.data as Float32Array)).toEqual([11, 22]);
  });

  it('reads the typed data fields (float, int32 incl. float16/bool/uint8, int64, double, uint64, string)', () => {
    const bytes = encode({
      initializer: [
        { name: 'f', dims: [2], dataType: T.FLOAT, floatData: [1.5, -2] },
        { name: 'i32', dims: [2], dataType: T.INT32, int32Data: [-7, 9] },
        { name: 'h', dims: [2], dataType: T.FLOAT16, int32Data: [0x3c00, 0xc000] },
        { name: 'b', dims: [3], dataType: T.BOOL, int32Data: [1, 0, 1] },
        { name: 'u8', dims: [2], dataType: T.UINT8, int32Data: [0, 255] },
        { name: 'i8', dims: [1], dataType: T.INT8, int32Data: [-128] },
        { name: 'i64', dims: [2], dataType: T.INT64, int64Data: ['-9007199254740993', 5] },
        { name: 'd', dims: [1], dataType: T.DOUBLE, doubleData: [Math.E] },
        { name: 'u64', dims: [1], dataType: T.UINT64, uint64Data: ['18446744073709551615'] },
        { name: 'u32', dims: [1], dataType: T.UINT32, uint64Data: [4294967295] },
        { name: 's', dims: [2], dataType: T.STRING, stringData: [new TextEncoder().encode('ab'), new TextEncoder().encode('')] },
        { name: 'scalar', dims: [], dataType: T.FLOAT, floatData: [3] },
        { name: 'empty', dims: [0, 4], dataType: T.FLOAT },
      ],
      output: [vi('f', T.FLOAT, [2])],
    });
    const t = new Map(modelFromBytes(bytes).graph.initializers.map((v) => [v.name, v.constant!]));
    const arr = (n: string) => Array.from(t.get(n)!.data as ArrayLike<unknown>);
    expect(arr('f')).toEqual([1.5, -2]);
    expect(arr('i32')).toEqual([-7, 9]);
    expect(Array.from(t.get('h')!.raw!)).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect(t.get('b')!.dtype).toBe('bool');
    expect(arr('b')).toEqual([1, 0, 1]);
    expect(arr('u8')).toEqual([0, 255]);
    expect(arr('i8')).toEqual([-128]);
    expect(arr('i64')).toEqual([-9007199254740993n, 5n]);
    expect(arr('d')).toEqual([Math.E]);
    expect(arr('u64')).toEqual([18446744073709551615n]);
    expect(arr('u32')).toEqual([4294967295]);
    expect(t.get('s')!.data).toEqual(['ab', '']);
    expect(t.get('scalar')!.dims).toEqual([]);
    expect(arr('scalar')).toEqual([3]);
    expect(t.get('empty')!.dims).toEqual([0, 4]);
  });

  it('puts value_info types on values, resolves outer names in subgraphs, and reads omitted inputs as null', () => {
    const bytes = encode({
      input: [vi('x', T.FLOAT, ['N', 3]), vi('c', T.BOOL, [])],
      node: [
        { opType: 'Relu', input: ['x'], output: ['r'], name: 'relu' },
        { opType: 'Clip', input: ['r', '', 'r'], output: ['clipped'] },
        {
          opType: 'If', input: ['c'], output: ['y'], name: 'branch',
          attribute: [
            { name: 'then_branch', type: A.GRAPH, g: { name: 't', node: [{ opType: 'Neg', input: ['clipped'], output: ['t_out'] }], output: [vi('t_out', T.FLOAT, null)] } },
            { name: 'else_branch', type: A.GRAPH, g: { name: 'e', node: [{ opType: 'Identity', input: ['x'], output: ['e_out'] }], output: [vi('e_out', T.FLOAT, null)] } },
          ],
        },
      ],
      valueInfo: [vi('r', T.FLOAT, ['N', 3])],
      output: [vi('y', T.FLOAT, ['N', 3])],
    });
    const m = modelFromBytes(bytes);
    const [relu, clip, iff] = m.graph.nodes;
    expect(relu!.outputs[0]!.type).toEqual(tensorType('float32', ['N', 3]));
    expect(clip!.inputs.map((v) => v?.name ?? null)).toEqual(['r', null, 'r']);
    const thenG = (iff!.attrs.get('then_branch') as Extract<Attr, { kind: 'graph' }>).value;
    const elseG = (iff!.attrs.get('else_branch') as Extract<Attr, { kind: 'graph' }>).value;
    expect(thenG.nodes[0]!.inputs[0]).toBe(clip!.outputs[0]);
    expect(elseG.nodes[0]!.inputs[0]).toBe(m.graph.inputs[0]);
    expect(m.graph.outputs[0]!.type).toEqual(tensorType('float32', ['N', 3]));
  });

  it('keeps external data references without loading them', () => {
    const bytes = encode({
      initializer: [{
        name: 'big', dims: [1000000, 1000], dataType: T.FLOAT, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [{ key: 'location', value: 'big.bin' }, { key: 'offset', value: '4096' }, { key: 'length', value: '4000000000' }],
      }],
      output: [vi('big', T.FLOAT, [1000000, 1000])],
    });
    const t = modelFromBytes(bytes).graph.initializers[0]!.constant!;
    expect(t).toMatchObject({ dtype: 'float32', dims: [1000000, 1000], data: null, external: { location: 'big.bin', offset: 4096, length: 4000000000 } });
  });

  it('reads model-local functions', () => {
    const bytes = encode({
      input: [vi('x', T.FLOAT, [2])],
      node: [{ opType: 'Twice', domain: 'ai.ssmc', input: ['x'], output: ['y'], attribute: [{ name: 'k', type: A.INT, i: 2 }] }],
      output: [vi('y', T.FLOAT, [2])],
    }, {
      opsetImport: [{ domain: '', version: 17 }, { domain: 'ai.ssmc', version: 1 }],
      functions: [{
        name: 'Twice', domain: 'ai.ssmc', input: ['X'], output: ['Y'], attribute: ['k'], opsetImport: [{ domain: '', version: 17 }],
        node: [{ opType: 'Add', input: ['X', 'X'], output: ['Y'] }],
      }],
    });
    const m = modelFromBytes(bytes);
    const f = m.findFunction('ai.ssmc', 'Twice')!;
    expect(f.attributes).toEqual(['k']);
    expect(f.body.inputs.map((v) => v.name)).toEqual(['X']);
    expect(f.body.outputs.map((v) => v.name)).toEqual(['Y']);
    expect(f.body.nodes[0]!.inputs).toEqual([f.body.inputs[0], f.body.inputs[0]]);
    expect(Buffer.compare(Buffer.from(modelToBytes(modelFromBytes(modelToBytes(m)))), Buffer.from(modelToBytes(m)))).toBe(0);
  });

  it('reads 64 levels of nested subgraphs', () => {
    expect(() => modelFromBytes(nested(64))).not.toThrow();
  });
});

/** Identity wrapped in `levels` nested If-then subgraphs. */
function nested(levels: number): Uint8Array {
  let g: P.IGraphProto = { name: `g${levels}`, node: [{ opType: 'Identity', input: ['x'], output: [`o${levels}`] }], output: [vi(`o${levels}`, T.FLOAT, null)] };
  for (let i = levels - 1; i >= 0; i--) {
    g = {
      name: `g${i}`,
      node: [{ opType: 'If', input: ['c'], output: [`o${i}`], attribute: [{ name: 'then_branch', type: A.GRAPH, g }, { name: 'else_branch', type: A.GRAPH, g: { name: `e${i}`, node: [{ opType: 'Identity', input: ['x'], output: [`e${i}`] }], output: [vi(`e${i}`, T.FLOAT, null)] } }] }],
      output: [vi(`o${i}`, T.FLOAT, null)],
    };
  }
  return encode({ ...g, input: [vi('x', T.FLOAT, [1]), vi('c', T.BOOL, [])], output: [vi('o0', T.FLOAT, [1])] });
}

describe('modelFromBytes: malformed files give OnnxFormatError, never a crash', () => {
  const good = modelToBytes(kitchenSinkModel());

  it('rejects truncated files, random bytes and bit flips', () => {
    for (let n = 0; n < good.length; n += Math.max(1, good.length >> 7)) {
      try {
        modelFromBytes(good.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(OnnxFormatError);
      }
    }
    expect(() => modelFromBytes(new Uint8Array(0))).toThrow(OnnxFormatError);
    expect(() => modelFromBytes(good.subarray(0, good.length - 3))).toThrow(OnnxFormatError);
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 200; i++) {
      const junk = Uint8Array.from({ length: 1 + (i * 37) % 400 }, rand);
      try {
        modelFromBytes(junk);
      } catch (e) {
        expect(e).toBeInstanceOf(OnnxFormatError);
      }
    }
    for (let i = 0; i < 1000; i++) {
      const m = good.slice();
      m[(i * 7919 + rand()) % m.length] ^= 1 << (i % 8);
      try {
        modelFromBytes(m);
      } catch (e) {
        expect(e).toBeInstanceOf(OnnxFormatError);
      }
    }
  });

  it('checks the wire format before decoding: lying lengths, bad wire types, each with its byte offset', () => {
    const truncated = formatError(Uint8Array.from([0x3a, 0x10, 0x0a])); // graph field claims 16 bytes, 1 follows
    expect(truncated.message).toMatch(/not a valid ONNX model: field 7 of ModelProto at byte 0 claims 16 byte\(s\), but only 1 remain/);
    expect(truncated.field).toBe('ModelProto');
    const wireType = formatError(Uint8Array.from([0x9f, 0x06, 0x00])); // field 99 with wire type 7
    expect(wireType.message).toMatch(/wire type 7/);
    expect(wireType.offset).toBe(0);
    // A length of 2^63: protobufjs would read its low 32 bits (0) and see an empty graph.
    const huge = formatError(Uint8Array.from([0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x0a, 0x00]));
    expect(huge.message).toMatch(/field 7 of ModelProto at byte 0 claims 9223372036854776000 byte\(s\)/);
    // Nested lengths are checked too: a node inside the graph claiming more than the graph holds.
    const inner = formatError(Uint8Array.from([0x3a, 0x03, 0x0a, 0x05, 0x00]));
    expect(inner.message).toMatch(/field 1 of GraphProto at byte 2 claims 5 byte\(s\), but only 1 remain/);
    expect(inner.offset).toBe(2);
  });

  it('rejects tensors whose dims lie about their data, before allocating', () => {
    const cases: [P.ITensorProto, RegExp][] = [
      [{ name: 'w', dims: [4], dataType: T.FLOAT, rawData: new Uint8Array(12) }, /'w'.*need 16 bytes.*raw_data has 12/],
      [{ name: 'w', dims: [1e9, 1e9], dataType: T.FLOAT, rawData: new Uint8Array(16) }, /'w'/],
      [{ name: 'w', dims: [2 ** 40], dataType: T.DOUBLE, doubleData: [1, 2] }, /'w'.*need 1099511627776 values/],
      [{ name: 'w', dims: [3], dataType: T.FLOAT, floatData: [1, 2] }, /'w'.*need 3 values/],
      [{ name: 'w', dims: [3], dataType: T.FLOAT }, /'w'.*no data/],
      [{ name: 'w', dims: [-1], dataType: T.FLOAT, floatData: [1] }, /'w'.*negative/],
      [{ name: 'w', dims: [2], dataType: 99, rawData: new Uint8Array(8) }, /'w'.*unknown data type 99/],
      [{ name: 'w', dims: [2], dataType: 0, rawData: new Uint8Array(8) }, /'w'.*unknown data type 0/],
    ];
    for (const [tensor, message] of cases) {
      const e = formatError(encode({ initializer: [tensor], output: [vi('w', T.FLOAT, null)] }));
      expect(e.message).toMatch(message);
    }
  });

  it('names the node and the name read before its definition', () => {
    const e = formatError(encode({
      input: [vi('x', T.FLOAT, [1])],
      node: [{ opType: 'Relu', name: 'first', input: ['later'], output: ['a'] }, { opType: 'Neg', input: ['x'], output: ['later'] }],
      output: [vi('a', T.FLOAT, [1])],
    }));
    expect(e.message).toMatch(/'first'.*reads 'later' before it is defined/);
  });

  it('rejects names defined twice', () => {
    const twice = formatError(encode({
      input: [vi('x', T.FLOAT, [1])],
      node: [{ opType: 'Relu', input: ['x'], output: ['a'] }, { opType: 'Neg', input: ['x'], output: ['a'] }],
      output: [vi('a', T.FLOAT, [1])],
    }));
    expect(twice.message).toMatch(/'a' is defined twice/);
    const inputAndNode = formatError(encode({
      input: [vi('x', T.FLOAT, [1])],
      node: [{ opType: 'Relu', input: ['x'], output: ['x'] }],
      output: [vi('x', T.FLOAT, [1])],
    }));
    expect(inputAndNode.message).toMatch(/'x' is defined twice/);
  });

  it('rejects subgraphs nested deeper than 64 levels', () => {
    expect(formatError(nested(65)).message).toMatch(/deeper than 64/);
    expect(formatError(nested(2000)).message).toMatch(/deeper than 64|too deep|not a valid ONNX model/);
  });

  it('rejects undefined graph outputs and models without a graph', () => {
    expect(formatError(encode({ input: [vi('x', T.FLOAT, [1])], output: [vi('nope', T.FLOAT, [1])] })).message).toMatch(/'nope'/);
    expect(formatError(onnx.ModelProto.encode({ irVersion: 8 }).finish()).message).toMatch(/no graph/);
  });

  it('is not fooled into allocating by a tiny file claiming a huge tensor', () => {
    const t0 = Date.now();
    const e = formatError(encode({ initializer: [{ name: 'w', dims: [2 ** 26, 2 ** 26], dataType: T.FLOAT, floatData: [1] }], output: [vi('w', T.FLOAT, null)] }));
    expect(e.message).toMatch(/'w'/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('modelFromBytes then modelToBytes on our own files', () => {
  it('round-trips the mlp byte-identically', () => {
    const bytes = modelToBytes(mlpModel());
    expect(Buffer.compare(Buffer.from(modelToBytes(modelFromBytes(bytes))), Buffer.from(bytes))).toBe(0);
  });
});

const INT4 = 22; // newer than the onnx.proto (1.10) that onnx-proto ships

/** Formerly known gaps of the reader (test/export/known-gaps.test.ts), now fixed. */
describe('modelFromBytes: fixed reader gaps', () => {
  it('reads sibling subgraphs that reuse a name, and onnxruntime runs the result', async () => {
    const bytes = encode({
      input: [vi('x', T.FLOAT, [1]), vi('c', T.BOOL, [])],
      node: [{
        opType: 'If', input: ['c'], output: ['y'], attribute: [
          { name: 'then_branch', type: A.GRAPH, g: { name: 't', node: [{ opType: 'Neg', input: ['x'], output: ['tmp'] }], output: [vi('tmp', T.FLOAT, null)] } },
          { name: 'else_branch', type: A.GRAPH, g: { name: 'e', node: [{ opType: 'Identity', input: ['x'], output: ['tmp'] }], output: [vi('tmp', T.FLOAT, null)] } },
        ],
      }],
      output: [vi('y', T.FLOAT, [1])],
    });
    const m = modelFromBytes(bytes);
    const iff = m.graph.nodes[0]!;
    const thenG = (iff.attrs.get('then_branch') as Extract<Attr, { kind: 'graph' }>).value;
    const elseG = (iff.attrs.get('else_branch') as Extract<Attr, { kind: 'graph' }>).value;
    expect(thenG.nodes[0]!.op).toBe('Neg');
    expect(elseG.nodes[0]!.op).toBe('Identity');
    expect(thenG.outputs[0]).toBe(thenG.nodes[0]!.outputs[0]);
    expect(elseG.outputs[0]).toBe(elseG.nodes[0]!.outputs[0]);
    for (const [c, want] of [[1, -2], [0, 2]] as const) {
      const out = await nodeBackend.run(modelToBytes(m), new Map([['x', f32([2], [1])], ['c', { dtype: 'bool', dims: [], data: Uint8Array.from([c]) }]]));
      expect(Array.from(out.get('y')!.data as Float32Array)).toEqual([want]);
    }
  });

  it('keeps a main-graph name for the main graph when an earlier subgraph used it too', () => {
    const bytes = encode({
      input: [vi('x', T.FLOAT, [1]), vi('c', T.BOOL, [])],
      node: [
        {
          opType: 'If', input: ['c'], output: ['y'], attribute: [
            { name: 'then_branch', type: A.GRAPH, g: { name: 't', node: [{ opType: 'Neg', input: ['x'], output: ['z'] }], output: [vi('z', T.FLOAT, null)] } },
            { name: 'else_branch', type: A.GRAPH, g: { name: 'e', node: [{ opType: 'Identity', input: ['x'], output: ['w'] }], output: [vi('w', T.FLOAT, null)] } },
          ],
        },
        { opType: 'Relu', input: ['y'], output: ['z'] },
      ],
      output: [vi('z', T.FLOAT, [1])],
    });
    const m = modelFromBytes(bytes);
    expect(m.graph.outputs.map((v) => v.name)).toEqual(['z']);
    expect(m.graph.outputs[0]!.producer!.op).toBe('Relu');
  });

  it('still rejects a subgraph that redefines a name of its enclosing graph', () => {
    const e = formatError(encode({
      input: [vi('x', T.FLOAT, [1]), vi('c', T.BOOL, [])],
      node: [{
        opType: 'If', input: ['c'], output: ['y'], attribute: [
          { name: 'then_branch', type: A.GRAPH, g: { name: 't', node: [{ opType: 'Neg', input: ['x'], output: ['x'] }], output: [vi('x', T.FLOAT, null)] } },
          { name: 'else_branch', type: A.GRAPH, g: { name: 'e', node: [{ opType: 'Identity', input: ['x'], output: ['w'] }], output: [vi('w', T.FLOAT, null)] } },
        ],
      }],
      output: [vi('y', T.FLOAT, [1])],
    }));
    expect(e.message).toMatch(/'x' is already defined by an enclosing graph/);
  });

  it('rejects tensors whose values sit in the typed field of another dtype', () => {
    const cases: [P.ITensorProto, RegExp][] = [
      [{ name: 'w', dims: [2], dataType: T.FLOAT, int64Data: [1, 2] }, /'w'.*float32 tensor keeps its values in float_data.*2 in int64_data/],
      [{ name: 'w', dims: [2], dataType: T.INT64, floatData: [1, 2] }, /'w'.*int64 tensor keeps its values in int64_data.*float_data/],
      [{ name: 'w', dims: [1], dataType: T.DOUBLE, floatData: [1], doubleData: [1] }, /'w'.*float_data/],
      [{ name: 'w', dims: [1], dataType: T.FLOAT16, floatData: [1] }, /'w'.*float16 tensor keeps its values in int32_data/],
    ];
    for (const [tensor, message] of cases) {
      const e = formatError(encode({ initializer: [tensor], output: [vi('w', T.FLOAT, null)] }));
      expect(e.message).toMatch(message);
    }
  });

  it('checks the byte count of 4-bit tensors (int4 [3] packs into 2 bytes)', () => {
    const e = formatError(encode({ initializer: [{ name: 'w', dims: [3], dataType: INT4, rawData: new Uint8Array(100) }], output: [vi('w', INT4, [3])] }));
    expect(e.message).toMatch(/'w'.*need 2 bytes of packed int4 but raw_data has 100/);
    const ok = modelFromBytes(encode({ initializer: [{ name: 'w', dims: [3], dataType: INT4, rawData: Uint8Array.from([0x21, 0x03]) }], output: [vi('w', INT4, [3])] }));
    expect(Array.from(ok.graph.initializers[0]!.constant!.raw!)).toEqual([0x21, 0x03]);
  });

  it('rejects external data offsets and lengths that are not non-negative integers', () => {
    for (const [key, value] of [['offset', 'abc'], ['offset', '-4'], ['length', '1e3'], ['offset', '99999999999999999999']]) {
      const e = formatError(encode({
        initializer: [{ name: 'w', dims: [3], dataType: T.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'a.bin' }, { key: key!, value: value! }] }],
        output: [vi('w', T.FLOAT, [3])],
      }));
      expect(e.message).toMatch(new RegExp(`'w'.*external data '${key}' must be a non-negative integer, got '${value}'`));
      expect(e.field).toBe('tensor.external_data');
    }
  });

  it('rejects graph inputs of non-tensor types instead of reading them as float32, and skips such value_info', () => {
    const e = formatError(encode({
      input: [{ name: 's', type: { sequenceType: { elemType: { tensorType: { elemType: T.FLOAT } } } } }],
      node: [{ opType: 'SequenceLength', input: ['s'], output: ['n'] }],
      output: [vi('n', T.INT64, [])],
    }));
    expect(e.message).toMatch(/input 's': sequence values are not supported/);
    const m = modelFromBytes(encode({
      input: [vi('x', T.FLOAT, [2])],
      node: [{ opType: 'Relu', input: ['x'], output: ['r'] }],
      valueInfo: [{ name: 'r', type: { sequenceType: { elemType: { tensorType: { elemType: T.FLOAT } } } } }],
      output: [vi('r', T.FLOAT, [2])],
    }));
    expect(m.graph.outputs[0]!.type).toEqual(tensorType('float32', [2]));
  });

  it('reports the byte offset of truncated protobuf fields', () => {
    const e = formatError(Uint8Array.from([0x3a, 0x10, 0x0a]));
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/at byte 0 claims 16 byte\(s\), but only 1 remain in its message; the file is truncated/);
    const good = modelToBytes(mlpModel());
    const cut = formatError(good.subarray(0, good.length - 5));
    expect(cut.offset).toBeGreaterThan(0);
    expect(cut.offset).toBeLessThanOrEqual(good.length - 5);
  });
});
