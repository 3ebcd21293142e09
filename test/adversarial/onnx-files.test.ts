import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { onnx as P } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { onnx } from '../../export/proto.js';
import { readSafetensors, writeSafetensors } from 'ssmc';
import { readModelFile } from '../../src/external-data.js';
import { expectNoLeftovers, expectOneLine, ssmc, workdir } from './harness.js';
import { readFileSync } from 'node:fs';

/**
 * Hostile .onnx files through run, inspect and diff: external data that points outside the
 * model's folder, lying length prefixes, deep and wide nesting, ops and opsets onnxruntime
 * rejects, metadata that claims huge states. Each gets one line and exit code 2.
 */

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

function vi(name: string, elemType: number, dims: (number | string)[]): P.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

function model(graph: P.IGraphProto, opset = 17, extra: Partial<P.IModelProto> = {}): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph: { name: 'g', ...graph }, ...extra }).finish();
}

/** y = x + w, w's four floats kept in an external file at `location`. */
function externalModel(location: string): Uint8Array {
  return model({
    input: [vi('x', T.FLOAT, [4])], output: [vi('y', T.FLOAT, [4])],
    initializer: [{ name: 'w', dims: [4], dataType: T.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: location }] }],
    node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
  });
}

function inputs(dir: string): string {
  const p = join(dir, 'in.safetensors');
  writeFileSync(p, writeSafetensors({ x: { dtype: 'float32', dims: [4], data: new Float32Array(4) } }));
  return p;
}

const SECRET = Float32Array.of(11, 22, 33, 44);

describe('external data: the model\'s folder only, never the working directory', () => {
  it.each([
    ['../secret.bin', /'\.\.' leads out of the model's folder/],
    ['/etc/passwd', /it is an absolute path/],
    ['sub/../../secret.bin', /'\.\.' leads out of the model's folder/],
  ])('location %s: refused by run, inspect and diff, and nothing is read', (location, why) => {
    const dir = workdir();
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'secret.bin'), new Uint8Array(SECRET.buffer));
    const m = join(dir, 'models', 'm.onnx');
    writeFileSync(m, externalModel(location));
    for (const args of [['run', m, '--inputs', inputs(dir), '-o', join(dir, 'out.safetensors')], ['inspect', m], ['diff', m, m]]) {
      expectOneLine(ssmc(args, { cwd: dir }), 2, /external data location/, why);
    }
    expectNoLeftovers(dir, ['models', 'secret.bin', 'in.safetensors']);
  });

  it('a relative location is resolved against the model\'s folder, not the working directory (which once leaked .ssh/id_rsa)', () => {
    const dir = workdir();
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'secret.bin'), new Uint8Array(SECRET.buffer)); // beside the cwd: must not be read
    writeFileSync(join(dir, 'models', 'secret.bin'), new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer));
    const m = join(dir, 'models', 'm.onnx');
    writeFileSync(m, externalModel('secret.bin'));
    const r = ssmc(['run', m, '--inputs', inputs(dir), '-o', join(dir, 'out.safetensors')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(Array.from(readSafetensors(readFileSync(join(dir, 'out.safetensors'))).get('y')!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    // and from the model's own folder's parent with no data beside the model: refused, not read from cwd
    const lonely = join(dir, 'lonely');
    mkdirSync(lonely);
    writeFileSync(join(lonely, 'm.onnx'), externalModel('secret.bin'));
    expectOneLine(ssmc(['run', join(lonely, 'm.onnx'), '--inputs', inputs(dir), '-o', join(dir, 'out2.safetensors')], { cwd: dir }), 2, /'secret\.bin' does not exist in the model's folder/);
  });

  it('a symbolic link inside the folder that leads out of it is refused', () => {
    const dir = workdir();
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'secret.bin'), new Uint8Array(SECRET.buffer));
    symlinkSync(join(dir, 'secret.bin'), join(dir, 'models', 'data.bin'));
    writeFileSync(join(dir, 'models', 'm.onnx'), externalModel('data.bin'));
    expectOneLine(ssmc(['run', join(dir, 'models', 'm.onnx'), '--inputs', inputs(dir), '-o', join(dir, 'o.safetensors')]), 2, /leads out of the model's folder .* symbolic link/);
  });

  it('a FIFO as the external data file is refused, not waited on; a file shorter than claimed is refused', () => {
    const dir = workdir();
    writeFileSync(join(dir, 'm.onnx'), externalModel('short.bin'));
    writeFileSync(join(dir, 'short.bin'), new Uint8Array(8));
    expectOneLine(ssmc(['run', join(dir, 'm.onnx'), '--inputs', inputs(dir), '-o', join(dir, 'o.safetensors')]), 2, /claims bytes \[0, 16\) of 'short\.bin', which has 8/);
  });
});

describe('external data for callers that write the graph again (generate, serve, export-triton)', () => {
  it('readModelFile(...).withData() reads it from the model\'s folder into the graph, and refuses what leads outside', () => {
    const dir = workdir();
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'models', 'w.bin'), new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer));
    writeFileSync(join(dir, 'models', 'm.onnx'), externalModel('w.bin'));
    const m = readModelFile(join(dir, 'models', 'm.onnx')).withData();
    const w = m.graph.initializers[0]!.constant!;
    expect(w.external).toBeUndefined();
    expect(Array.from(w.data as Float32Array)).toEqual([1, 2, 3, 4]);
    writeFileSync(join(dir, 'secret.bin'), new Uint8Array(SECRET.buffer));
    symlinkSync(join(dir, 'secret.bin'), join(dir, 'models', 'link.bin'));
    writeFileSync(join(dir, 'models', 'bad.onnx'), externalModel('link.bin'));
    expect(() => readModelFile(join(dir, 'models', 'bad.onnx')).withData()).toThrow(/leads out of the model's folder/);
  });
});

describe('lying and nested protobuf', () => {
  it('a graph length field of 2^63 (once read as an empty graph)', () => {
    const dir = workdir();
    const header = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }] }).finish();
    const lie = Uint8Array.from([0x3a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    writeFileSync(join(dir, 'm.onnx'), Buffer.concat([header, lie, Buffer.alloc(20)]));
    expectOneLine(ssmc(['inspect', join(dir, 'm.onnx')]), 2, /field 7 of ModelProto at byte \d+ claims 9223372036854776000 byte\(s\)/);
  });

  it('65 levels of nested If: refused by the reader (64 levels is the bound)', () => {
    const dir = workdir();
    const leaf: P.IGraphProto = { name: 'leaf', node: [{ opType: 'Identity', input: ['x'], output: ['y0'] }], output: [vi('y0', T.FLOAT, [1])] };
    let g = leaf;
    for (let i = 0; i < 65; i++) {
      g = { name: `b${i}`, node: [{ opType: 'If', input: ['c'], output: [`y${i + 1}`], attribute: [{ name: 'then_branch', type: A.GRAPH, g }, { name: 'else_branch', type: A.GRAPH, g: leaf }] }], output: [vi(`y${i + 1}`, T.FLOAT, [1])] };
    }
    writeFileSync(join(dir, 'm.onnx'), model({ ...g, input: [vi('c', T.BOOL, []), vi('x', T.FLOAT, [1])] }));
    expectOneLine(ssmc(['inspect', join(dir, 'm.onnx')]), 2, /subgraphs nest deeper than 64 levels/);
  }, 60_000);

  it('300 levels of nested TypeProto: refused before decoding (no recursion in the decoder)', () => {
    let t: P.ITypeProto = { tensorType: { elemType: T.FLOAT } };
    for (let i = 0; i < 300; i++) t = { sequenceType: { elemType: t } };
    const dir = workdir();
    writeFileSync(join(dir, 'm.onnx'), model({ input: [{ name: 'x', type: t }], output: [vi('x', T.FLOAT, [1])] }));
    expectOneLine(ssmc(['inspect', join(dir, 'm.onnx')]), 2, /messages nest deeper than 256 levels/);
  });

  it('2^13 If branches and 140,000 values: inspect, --graph, --html and --dot succeed (spreading the report into push() once overflowed the stack)', () => {
    const dir = workdir();
    let g: P.IGraphProto = { name: 'leaf', node: [{ opType: 'Identity', input: ['x'], output: ['y0'] }], output: [vi('y0', T.FLOAT, [1])] };
    for (let i = 0; i < 13; i++) {
      g = { name: `b${i}`, node: [{ opType: 'If', input: ['c'], output: [`y${i + 1}`], attribute: [{ name: 'then_branch', type: A.GRAPH, g }, { name: 'else_branch', type: A.GRAPH, g }] }], output: [vi(`y${i + 1}`, T.FLOAT, [1])] };
    }
    writeFileSync(join(dir, 'fan.onnx'), model({ ...g, input: [vi('c', T.BOOL, []), vi('x', T.FLOAT, [1])] }));
    const chain: P.INodeProto[] = Array.from({ length: 140_000 }, (_, i) => ({ opType: 'Neg', input: [i ? `v${i - 1}` : 'x'], output: [`v${i}`] }));
    writeFileSync(join(dir, 'wide.onnx'), model({ input: [vi('x', T.FLOAT, [1])], output: [vi('v139999', T.FLOAT, [1])], node: chain }));
    for (const args of [['inspect', join(dir, 'fan.onnx'), '--html', join(dir, 'f.html'), '--dot', join(dir, 'f.dot')], ['inspect', join(dir, 'wide.onnx')], ['inspect', join(dir, 'wide.onnx'), '--graph']]) {
      const r = ssmc(args, { timeoutMs: 120_000 });
      expect(r.code, r.stderr.slice(0, 500)).toBe(0);
    }
  }, 300_000);
});

describe('models onnxruntime rejects, in one line', () => {
  const X = vi('x', T.FLOAT, [4]), Y = vi('y', T.FLOAT, [4]);
  it.each([
    ['an unknown op', model({ input: [X], output: [Y], node: [{ name: 'n1', opType: 'FooBar', input: ['x'], output: ['y'] }] }), /onnxruntime cannot load the model: node 'n1' \(FooBar\) uses op FooBar, which onnxruntime does not implement at opset 17/],
    ['opset 9999', model({ input: [X], output: [Y], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] }, 9999), /imports ai\.onnx opset 9999, but onnxruntime supports up to opset \d+/],
    ['a type error', model({ input: [X], output: [vi('y', T.INT64, [4])], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] }), /onnxruntime cannot load the model: a type error/],
    ['a custom domain without a function body', model({ input: [X], output: [Y], node: [{ opType: 'Foo', domain: 'com.example', input: ['x'], output: ['y'] }] }, 17, { opsetImport: [{ domain: '', version: 17 }, { domain: 'com.example', version: 1 }] }), /op Foo of domain 'com\.example' is neither built in nor a model-local function/],
    ['a reshape that fails at run time', model({ input: [X], output: [vi('y', T.FLOAT, [3, 5])], initializer: [{ name: 's', dims: [2], dataType: T.INT64, int64Data: [3, 5] }], node: [{ name: 'bad_reshape', opType: 'Reshape', input: ['x', 's'], output: ['y'] }] }), /onnxruntime failed while running node 'bad_reshape' \(Reshape\): The input tensor cannot be reshaped/],
  ] as const)('run: %s', (_label, bytes, message) => {
    const dir = workdir();
    writeFileSync(join(dir, 'm.onnx'), bytes);
    const r = ssmc(['run', join(dir, 'm.onnx'), '--inputs', inputs(dir), '-o', join(dir, 'o.safetensors')]);
    expectOneLine(r, 2, message);
    expect(r.stderr).not.toMatch(/onnxruntime_src|\.cc:\d+|\[W:onnxruntime/);
    expectNoLeftovers(dir, ['m.onnx', 'in.safetensors']);
  });

  it('run with an input of batch 0 where the model fixes the dim', () => {
    const dir = workdir();
    writeFileSync(join(dir, 'm.onnx'), model({ input: [vi('x', T.FLOAT, ['batch', 4])], output: [vi('y', T.FLOAT, ['batch', 4])], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] }));
    writeFileSync(join(dir, 'in.safetensors'), writeSafetensors({ x: { dtype: 'float32', dims: [0, 3], data: new Float32Array(0) } }));
    expectOneLine(ssmc(['run', join(dir, 'm.onnx'), '--inputs', join(dir, 'in.safetensors'), '-o', join(dir, 'o.safetensors')]), 2, /tensor 'x' has shape \[0,3\] but graph input 'x' needs \[batch,4\]/);
  });
});
