import { describe, expect, it } from 'vitest';
import { compileModel, modelFromBytes, modelToBytes } from 'ssmc';
import { Graph, Model, printGraph, printModel, tensorType } from 'ssmc/ir';
import { formatReport, inspectBytes, inspectModel } from 'ssmc/inspect';
import { functionModel, ifModel, kitchenSinkModel, mlpModel } from '../export/fixtures.js';
import { goldenCase, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { attentionModel, convModel, externalDataModel, loopModel, scanModel } from './models.js';

/** The model as another tool would hand it to us: written and read back. */
const viaBytes = (m: Model) => modelFromBytes(modelToBytes(m));

function byOp(r: ReturnType<typeof inspectModel>, op: string) {
  return r.cost.byOp.find((o) => o.op === op);
}

describe('inspectModel on models ssmc did not make', () => {
  it('reports header, interface, initializers and the op histogram of a CNN (opset 13)', () => {
    const m = viaBytes(convModel(13));
    const r = inspectModel(m);
    expect(r.irVersion).toBe(m.irVersion);
    expect(r.producer).toEqual({ name: 'pytorch', version: '2.3.0' });
    expect(r.opsets).toEqual([{ domain: 'ai.onnx', version: 13 }]);
    expect(r.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 3, 16, 16], type: 'f32[batch,3,16,16]' }]);
    expect(r.outputs.map((o) => o.type)).toEqual(['f32[batch,10]']);
    const params = 8 * 3 * 3 * 3 + 8 + 4 * 8 + 10 * 4 + 10;
    expect(r.parameters).toBe(params);
    expect(r.initializers.count).toBe(5);
    expect(r.initializers.bytes).toBe(4 * params);
    expect(r.initializers.byDtype).toEqual([{ dtype: 'float32', count: 5, elements: params, bytes: 4 * params }]);
    expect(r.initializers.largest[0]).toEqual({ name: 'features.0.weight', type: 'f32[8,3,3,3]', bytes: 4 * 216 });
    expect(r.ops).toEqual([{ domain: 'ai.onnx', ops: [
      { op: 'Conv', count: 2 }, { op: 'Flatten', count: 1 }, { op: 'Gemm', count: 1 }, { op: 'GlobalAveragePool', count: 1 },
      { op: 'MaxPool', count: 1 }, { op: 'Relu', count: 1 },
    ] }]);
    expect(r.symbols).toEqual(['batch']);
    expect(r.unresolved).toEqual(['batch']);
    expect(r.ssm.madeBySsmc).toBe(false);
    expect(r.ssm.layers).toEqual([]);
  });

  it('estimates the FLOPs of convolutions, pooling and Gemm from the dims given, per op and per layer', () => {
    const B = 3;
    const r = inspectModel(viaBytes(convModel(13)), { dims: { batch: B } });
    expect(r.unresolved).toEqual([]);
    const conv1 = 2 * B * 8 * 16 * 16 * (3 * 3 * 3) + B * 8 * 16 * 16; // MACs + bias
    const conv2 = 2 * B * 4 * 8 * 8 * 8;
    expect(byOp(r, 'Conv')).toMatchObject({ count: 2, flops: conv1 + conv2, unknown: 0, outputBytes: 4 * B * (8 * 16 * 16 + 4 * 8 * 8) });
    expect(byOp(r, 'Relu')!.flops).toBe(B * 8 * 16 * 16);
    expect(byOp(r, 'MaxPool')!.flops).toBe(B * 8 * 8 * 8 * 4);
    expect(byOp(r, 'GlobalAveragePool')!.flops).toBe(B * 4 * 8 * 8);
    expect(byOp(r, 'Gemm')!.flops).toBe(2 * B * 10 * 4 + B * 10);
    expect(byOp(r, 'Flatten')!.flops).toBe(0);
    const total = conv1 + conv2 + B * 8 * 16 * 16 + B * 8 * 8 * 8 * 4 + B * 4 * 8 * 8 + 2 * B * 10 * 4 + B * 10;
    expect(r.cost.flops).toBe(total);
    expect(r.cost.complete).toBe(true);
    // Layers come from the exporter's path-like node names and the parameters' names.
    const layers = Object.fromEntries(r.cost.byLayer.map((l) => [l.layer, l]));
    expect(layers['features/features.0']).toMatchObject({ nodes: 1, flops: conv1, parameters: 224 });
    expect(layers['features/features.3']).toMatchObject({ nodes: 1, flops: conv2 });
    expect(r.cost.byLayer.reduce((s, l) => s + l.flops, 0)).toBe(total);
    expect(r.cost.byLayer.reduce((s, l) => s + l.nodes, 0)).toBe(7);
    expect(r.cost.memory.inputBytes).toBe(4 * B * 3 * 16 * 16);
    expect(r.cost.memory.outputBytes).toBe(4 * B * 10);
    expect(r.cost.memory.weightBytes).toBe(r.initializers.bytes);
  });

  it('keeps symbolic dims in attention and resolves them with --dim values (opset 21)', () => {
    const m = viaBytes(attentionModel(21));
    const r0 = inspectModel(m);
    expect(r0.opsets).toEqual([{ domain: 'ai.onnx', version: 21 }]);
    expect(r0.values.find((v) => v.name === '/layers.0/attn/Softmax')?.type ?? r0.values.find((v) => v.from === 'Softmax')!.type).toBe('f32[batch,L,L]');
    expect(r0.cost.complete).toBe(false);
    const B = 2, L = 64, D = 16;
    const r = inspectModel(m, { dims: { batch: B, L } });
    const matmuls = 4 * 2 * B * L * D * D + 2 * 2 * B * L * L * D;
    expect(byOp(r, 'MatMul')!.flops).toBe(matmuls);
    expect(byOp(r, 'Softmax')!.flops).toBe(5 * B * L * L);
    expect(r.cost.flops).toBe(matmuls + 5 * B * L * L + B * L * L);
    expect(r.cost.complete).toBe(true);
    expect(r.cost.byLayer.map((l) => l.layer)).toEqual(['layers.0']);
    // Scores [B,L,L] are the largest intermediates; the peak holds at least two of them (Mul in, Mul out).
    expect(r.cost.memory.peakLiveBytes).toBeGreaterThanOrEqual(2 * 4 * B * L * L);
    expect(r.cost.memory.peakLiveBytes).toBeLessThanOrEqual(r.cost.memory.activationBytes + r.cost.memory.inputBytes!);
  });

  it('lists Loop, Scan and If subgraphs and multiplies their bodies by the trip counts', () => {
    const loop = inspectModel(viaBytes(loopModel(13)));
    expect(loop.subgraphs).toHaveLength(1);
    expect(loop.subgraphs[0]).toMatchObject({ op: 'Loop', attribute: 'body', depth: 1, nodes: 2 });
    expect(loop.subgraphs[0]!.inputs.map((v) => v.type)).toEqual(['i64[]', 'bool[]', 'f32[4]']);
    expect(byOp(loop, 'Add')).toMatchObject({ count: 3, flops: 3 * 4 });
    expect(loop.cost.flops).toBe(12);
    expect(loop.allNodes).toBe(3);

    const L = 10;
    const scan = inspectModel(viaBytes(scanModel(17)), { dims: { L } });
    expect(scan.subgraphs[0]).toMatchObject({ op: 'Scan', attribute: 'body', nodes: 2 });
    expect(byOp(scan, 'Add')).toMatchObject({ count: L, flops: L * 4 });
    expect(scan.cost.notes).toEqual([]);
    expect(inspectModel(viaBytes(scanModel(17))).cost.notes).toEqual(["Scan 'scan': trip count unknown for these dims; its body is counted once"]);

    const iff = inspectModel(viaBytes(ifModel()));
    expect(iff.subgraphs.map((s) => s.attribute).sort()).toEqual(['else_branch', 'then_branch']);
    expect(iff.cost.flops).toBe(3); // one branch of 3 elementwise ops runs
    expect(iff.values.filter((v) => v.graph.includes('branch')).map((v) => v.type)).toEqual(['f32[3]', 'f32[3]']);
  });

  it('reports external data references without loading them, and every initializer dtype', () => {
    const r = inspectModel(viaBytes(externalDataModel()));
    expect(r.initializers.external).toEqual([
      { name: 'proj.weight', location: 'model.onnx.data', offset: 0, length: 1024 * 4096 * 4 },
      { name: 'proj.bias', location: 'model.onnx.data', offset: 1024 * 4096 * 4, length: 4096 * 4 },
    ]);
    expect(r.parameters).toBe(1024 * 4096 + 4096);
    expect(r.initializers.bytes).toBe(4 * (1024 * 4096 + 4096));
    const sink = inspectModel(viaBytes(kitchenSinkModel()));
    expect(sink.initializers.byDtype.map((d) => d.dtype).sort()).toEqual(['bool', 'float16', 'float32', 'float64', 'int4', 'int64', 'string']);
    expect(sink.initializers.byDtype.find((d) => d.dtype === 'int4')).toMatchObject({ elements: 3, bytes: 2 });
    expect(sink.metadata).toEqual([{ key: 'alpha', value: 'first' }, { key: 'ssmc.arch', value: 'none' }, { key: 'zeta', value: 'last' }]); // files keep them sorted
    expect(sink.ops.map((d) => d.domain)).toEqual(['ai.onnx', 'com.example']);
    expect(sink.cost.unknownOps).toContainEqual({ op: 'com.example.Everything', count: 1 });
  });

  it('shows model-local functions with their bodies and costs calls through the body', () => {
    const m = viaBytes(functionModel(2));
    const r = inspectModel(m, { dims: { n: 7 } });
    expect(r.functions).toHaveLength(1);
    expect(r.functions[0]).toMatchObject({ domain: 'ai.ssmc', name: 'ScaledSoftplus', inputs: ['X'], outputs: ['Y'], attributes: ['alpha'], nodes: 3 });
    expect(r.functions[0]!.body).toBe(printGraph(m.functions[0]!.body));
    expect(byOp(r, 'Softplus')!.flops).toBe(7);
    expect(byOp(r, 'Mul')!.flops).toBe(7);
    expect(r.cost.flops).toBe(14);
    expect(r.values.filter((v) => v.graph === 'function ai.ssmc.ScaledSoftplus').map((v) => v.name)).toEqual(['X', 'sp', 'a', 'Y']);
  });

  it('costs each function once per argument types: chains of calls stay linear, recursion stops', () => {
    // f0 calls f1 twice, f1 calls f2 twice, …: 2^30 expansions if costed naively.
    const m = new Model(17);
    m.opsetImports.set('local', 1);
    const depth = 30;
    for (let i = 0; i < depth; i++) {
      const body = new Graph(`f${i}`);
      const x = body.addInput('X', tensorType('float32', null));
      const callee = i + 1 < depth ? `f${i + 1}` : null;
      const a = callee ? body.createNode('local', callee, [x], {}, 1).outputs[0]! : body.createNode('', 'Neg', [x], {}, 1).outputs[0]!;
      const b = callee ? body.createNode('local', callee, [a], {}, 1).outputs[0]! : body.createNode('', 'Neg', [a], {}, 1).outputs[0]!;
      body.outputs.push(b);
      m.functions.push({ domain: 'local', name: `f${i}`, body, attributes: [], opsetImports: new Map([['', 17], ['local', 1]]), docString: '' });
    }
    const x = m.graph.addInput('x', tensorType('float32', [8]));
    m.graph.outputs.push(m.graph.createNode('local', 'f0', [x], {}, 1, { outputTypes: [tensorType('float32', [8])] }).outputs[0]!);
    const t0 = performance.now();
    const r = inspectBytes(modelToBytes(m));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(byOp(r, 'Neg')).toMatchObject({ count: 2 ** depth, flops: 8 * 2 ** depth });
    // A function calling itself (not valid ONNX, but a file can say so) is entered once.
    const rec = new Model(17);
    rec.opsetImports.set('local', 1);
    const body = new Graph('self');
    const bx = body.addInput('X', tensorType('float32', null));
    body.outputs.push(body.createNode('local', 'self', [body.createNode('', 'Neg', [bx], {}, 1).outputs[0]!], {}, 1).outputs[0]!);
    rec.functions.push({ domain: 'local', name: 'self', body, attributes: [], opsetImports: new Map([['', 17]]), docString: '' });
    const rx = rec.graph.addInput('x', tensorType('float32', [8]));
    rec.graph.outputs.push(rec.graph.createNode('local', 'self', [rx], {}, 1, { outputTypes: [tensorType('float32', [8])] }).outputs[0]!);
    const rr = inspectBytes(modelToBytes(rec));
    expect(byOp(rr, 'Neg')!.flops).toBe(8);
    expect(rr.cost.unknownOps).toEqual([{ op: 'local.self', count: 1 }]);
  });

  it('lists the inferred type of every value of every graph and leaves the model unchanged', () => {
    for (const make of [convModel, attentionModel, loopModel, scanModel, kitchenSinkModel, functionModel.bind(null, 1)]) {
      const m = viaBytes(make());
      const before = printModel(m);
      const r = inspectModel(m, { dims: Object.fromEntries(inspectModel(m).symbols.map((s) => [s, 5])) });
      expect(printModel(m)).toBe(before);
      let count = 0;
      const walk = (g: Model['graph']) => {
        count += g.inputs.length + g.initializers.length + g.nodes.reduce((s, n) => s + n.outputs.length, 0);
        for (const n of g.nodes) for (const a of n.attrs.values()) if (a.kind === 'graph') walk(a.value); else if (a.kind === 'graphs') a.value.forEach(walk);
      };
      walk(m.graph);
      m.functions.forEach((f) => walk(f.body));
      expect(r.values).toHaveLength(count);
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    }
  });

  it('reads every opset from 13 to 21', () => {
    for (let opset = 13; opset <= 21; opset++) {
      const m = mlpModel();
      m.opsetImports.set('', opset);
      const r = inspectBytes(modelToBytes(m), { dims: { batch: 2 } });
      expect(r.opsets).toEqual([{ domain: 'ai.onnx', version: opset }]);
      expect(r.cost.flops).toBe(2 * 2 * 4 * 3 + 2 * 3 + 2 * 3);
    }
  });
});

describe('inspectModel on models ssmc made', () => {
  const c = goldenCase('gss_lm');
  const compiled = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: c.name }, { seqLen: null, opset: 17 });
  const bytes = modelToBytes(compiled.model);

  it('recognises the SSM layers from the ssmc.layers metadata', () => {
    const r = inspectBytes(bytes);
    expect(r.ssm.madeBySsmc).toBe(true);
    expect(r.ssm.arch).toBe('gss-lm');
    expect(r.ssm.source).toBe('metadata');
    expect(r.ssm.layers.map((l) => ({ ...l, state: undefined }))).toEqual(compiled.layers.map((l) => ({
      name: l.name, family: l.family, kernel: l.kernel, lowering: l.lowering, H: l.H, N: l.N, channels: l.channels, bidirectional: l.bidirectional, state: undefined,
    })));
    expect(r.ssm.layers.length).toBe(2);
    expect(formatReport(r)).toMatch(/layers \(from metadata\):\n\s+layers\.0\.dss\s+vandermonde\s+lowering \w+\s+H=4\s+N=16/);
  });

  it('resolves every size of the dynamic-length graph from --dim values and scales linearly in L', () => {
    const r1 = inspectBytes(bytes, { dims: { batch: 1, L: 2048 } });
    const r2 = inspectBytes(bytes, { dims: { batch: 1, L: 4096 } });
    expect(r1.unresolved).toEqual([]);
    expect(r1.cost.complete).toBe(true);
    expect(r2.cost.complete).toBe(true);
    expect(r1.cost.memory.unknownSizes).toBe(0);
    const ratio = r2.cost.flops / r1.cost.flops;
    expect(ratio).toBeGreaterThan(1.9);
    expect(ratio).toBeLessThan(2.1);
    expect(r2.cost.memory.outputBytes).toBe(4 * 4096 * 32);
    expect(r2.cost.byLayer.map((l) => l.layer)).toEqual(expect.arrayContaining(['layers.0', 'layers.1']));
  });

  it('matches step-graph states to the ssmc.states metadata', () => {
    const s = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: c.name }, { seqLen: null, opset: 17, mode: 'step' });
    const r = inspectBytes(modelToBytes(s.model));
    expect(r.ssm.mode).toBe('step');
    const declared = JSON.parse(s.model.metadata.get('ssmc.states')!) as { input: string; output: string }[];
    const found = [...r.ssm.states, ...r.ssm.layers.flatMap((l) => (l.state ? [l.state] : []))];
    expect(found.map((x) => x.output).sort()).toEqual(declared.map((x) => x.output).sort());
    expect(formatReport(r)).toMatch(/state state\.\S+ → state_out\./);
  });

  it('attaches prefill-graph states to the layers they belong to', () => {
    const p = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: c.name }, { seqLen: null, opset: 17, mode: 'prefill' });
    const r = inspectBytes(modelToBytes(p.model));
    expect(r.ssm.layers.map((l) => [l.name, l.state?.output])).toEqual([['layers.0.dss', 'state_out.layers.0'], ['layers.1.dss', 'state_out.layers.1']]);
    expect(r.ssm.states).toEqual([]);
    expect(r.ssm.layers[0]!.state!.shape).toEqual(['batch', 4, 2, 16]);
  });

  it('reports malformed ssmc metadata as a note instead of failing', () => {
    const m = modelFromBytes(bytes);
    m.metadata.set('ssmc.layers', '{not json');
    m.metadata.set('ssmc.states', '[{"input": 3}]');
    const r = inspectModel(m);
    expect(r.ssm.problems).toHaveLength(2);
    expect(r.ssm.problems[0]).toMatch(/'ssmc.layers' is not valid JSON/);
    expect(r.ssm.problems[1]).toMatch(/'ssmc.states'\[0\] has no string 'output'/);
  });

  it('formats a plain-text report with every section', () => {
    const text = formatReport(inspectBytes(bytes, { dims: { batch: 1, L: 1024 } }));
    for (const heading of ['metadata:', 'inputs:', 'outputs:', 'initializers:', 'nodes:', 'SSM layers:', 'cost estimate:', 'per op type:', 'per layer:', 'values (inferred types):']) {
      expect(text).toContain(heading);
    }
    expect(text).toMatch(/for batch=1 L=1024\n/);
  });
});
