import type { onnx as P } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from 'ssmc';
import { f32, Graph, i64, Model, type Tensor, tensorType } from 'ssmc/ir';
import { nodeBackend } from 'ssmc/runtime';
import { onnx } from '../../export/proto.js';

/**
 * Writing back files made by other tools: what the writer once got wrong (each of these was a
 * known gap until it was fixed; the reader's fixed gaps live in onnx-read.test.ts) — scalar
 * shapes invented for outputs of unknown rank, negative dims, IR < 4 initializers, omitted
 * optional outputs, untyped Loop and Scan body inputs.
 */

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

function vi(name: string, elemType: number, dims: (number | string)[] | null): P.IValueInfoProto {
  const shape = dims === null ? undefined : { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType: { elemType, ...(shape ? { shape } : {}) } } };
}

function encode(graph: P.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', ...graph } }).finish();
}

describe('write-back of files from other tools', () => {
  it('does not declare a graph output of unknown rank as a scalar', () => {
    const m = new Model(17);
    const x = m.graph.addInput('x', tensorType('float32', [2]));
    m.graph.outputs.push(m.graph.createNode('', 'Relu', [x], {}, 1, { outputTypes: [tensorType('float32', null)] }).outputs[0]!);
    let shape: unknown = 'threw';
    try {
      shape = modelFromBytes(modelToBytes(m)).graph.outputs[0]!.type.shape;
    } catch {
      // an ExportError naming the output is fine too
    }
    expect(shape).not.toEqual([]); // once written as shape {} (rank 0), read back as a scalar
  });

  it('leaves the shape out for subgraph outputs of unknown rank (a forced empty shape declares a scalar, and onnxruntime enforces it)', async () => {
    const m = new Model(17);
    const g = m.graph;
    const x = g.addInput('x', tensorType('float32', [3]));
    const c = g.addInput('c', tensorType('bool', []));
    const s = g.addInput('s', tensorType('int64', ['k'])); // the branches' output rank is unknown until run time
    const branch = (name: string) => {
      const sub = new Graph(name, g);
      sub.outputs.push(sub.createNode('', 'Reshape', [x, s], {}, 1, { outputNames: [`${name}_y`], outputTypes: [tensorType('float32', null)] }).outputs[0]!);
      return sub;
    };
    const iff = g.createNode('', 'If', [c], { then_branch: { kind: 'graph', value: branch('then') }, else_branch: { kind: 'graph', value: branch('else') } }, 1, {
      outputNames: ['z'], outputTypes: [tensorType('float32', null)],
    }).outputs[0]!;
    g.outputs.push(g.createNode('', 'Identity', [iff], {}, 1, { outputNames: ['y'], outputTypes: [tensorType('float32', ['a', 'b'])] }).outputs[0]!);
    const feeds = new Map<string, Tensor>([['x', f32([1, 2, 3], [3])], ['c', { dtype: 'bool', dims: [], data: Uint8Array.from([1]) }], ['s', i64([1, 3], [2])]]);
    const out = await nodeBackend.run(modelToBytes(m), feeds, { optimizations: 'disabled' });
    expect(out.get('y')!.dims).toEqual([1, 3]); // once: "has shape {} but the computed output shape for this run is {1,3}"
  });

  it('never writes a negative dim_value (shape inference can leave -1 from Reshape): the file must read back', () => {
    const m = new Model(17);
    const x = m.graph.addInput('x', tensorType('float32', [2, 3]));
    const r = m.graph.createNode('', 'Relu', [x], {}, 1, { outputTypes: [tensorType('float32', [-1, 3])] }).outputs[0]!;
    m.graph.outputs.push(m.graph.createNode('', 'Neg', [r], {}, 1, { outputTypes: [tensorType('float32', [2, 3])] }).outputs[0]!);
    let bytes: Uint8Array | null = null;
    try {
      bytes = modelToBytes(m);
    } catch {
      return; // an ExportError naming the value is fine too
    }
    expect(() => modelFromBytes(bytes!)).not.toThrow(); // once: "dimension -1 is negative"
  });

  it('lists initializers among the graph inputs again when writing an IR < 4 model (the onnx checker requires it there)', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 3, opsetImport: [{ domain: '', version: 9 }],
      graph: {
        name: 'g', input: [vi('x', T.FLOAT, [2]), vi('w', T.FLOAT, [2])], output: [vi('y', T.FLOAT, [2])],
        initializer: [{ name: 'w', dims: [2], dataType: T.FLOAT, floatData: [1, 2] }],
        node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
      },
    }).finish();
    const again = onnx.ModelProto.decode(modelToBytes(modelFromBytes(bytes)));
    expect(again.graph!.input!.map((v) => v.name)).toEqual(['x', 'w']); // once: ['x'] with ir_version 3
  });

  it('keeps omitted optional outputs omitted (a name makes the op produce them: Attention, BatchNormalization…), trailing ones included', () => {
    const bytes = encode({
      input: [vi('x', T.FLOAT, [4])],
      node: [{ opType: 'Split', input: ['x'], output: ['a', '', 'b', ''] }, { opType: 'Split', input: ['x'], output: ['c', '', 'd'] }],
      output: [vi('a', T.FLOAT, [1])],
    });
    const again = onnx.ModelProto.decode(modelToBytes(modelFromBytes(bytes)));
    // Trailing empty names stay: Split makes one part per listed output, named or not.
    expect(again.graph!.node!.map((n) => n.output)).toEqual([['a', '', 'b', ''], ['c', '', 'd']]); // once: ['a','','b','_1'], ['c','_2','d']
  });

  it('does not invent float32 types for untyped subgraph inputs (Loop/Scan bodies may leave them to inference)', () => {
    const bytes = encode({
      input: [vi('n', T.INT64, []), vi('x', T.FLOAT, [1])],
      node: [{
        opType: 'Loop', input: ['n', '', 'x'], output: ['y'], attribute: [{
          name: 'body', type: A.GRAPH, g: {
            name: 'body', input: [{ name: 'i' }, { name: 'cond_in' }, { name: 'acc' }],
            node: [{ opType: 'Identity', input: ['cond_in'], output: ['cond_out'] }, { opType: 'Neg', input: ['acc'], output: ['acc_out'] }],
            output: [{ name: 'cond_out' }, { name: 'acc_out' }],
          },
        }],
      }],
      output: [vi('y', T.FLOAT, [1])],
    });
    const body = onnx.ModelProto.decode(modelToBytes(modelFromBytes(bytes))).graph!.node![0]!.attribute![0]!.g!;
    const elem = body.input!.map((v) => v.type?.tensorType?.elemType ?? null);
    expect(elem).toEqual([T.INT64, T.BOOL, T.FLOAT]); // the iteration number, the condition, the carried value (once all float32)
  });
});
