import { Rng } from 'ssmc';
import { type Attr, type Dim, f32, Graph, i64, Model, type Tensor, tensorType, type Value } from 'ssmc/ir';

/**
 * Models of structures ssmc never emits, built with the Graph API (types declared by hand, as
 * another exporter would write them): convolutions, attention, Loop/Scan/If subgraphs, external
 * data, opsets 13-21.
 */

export function weights(dims: number[], seed: number, scale = 0.3): Tensor {
  const rng = new Rng(seed);
  return f32(Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => scale * rng.normal()), dims);
}

function op(g: Graph, type: string, inputs: (Value | null)[], shape: Dim[] | null, attrs: Record<string, Attr> = {}, name?: string, dtype: 'float32' | 'int64' | 'bool' = 'float32'): Value {
  return g.createNode('', type, inputs, attrs, 1, { ...(name ? { outputNames: [name], name } : {}), outputTypes: [tensorType(dtype, shape)] }).outputs[0]!;
}

const ints = (value: number[]) => ({ kind: 'ints' as const, value });
const int = (value: number) => ({ kind: 'int' as const, value });

/** A small CNN: Conv(3→8, 3×3, pad 1) → Relu → MaxPool 2×2 → Conv(8→4, 1×1) → GlobalAveragePool → Flatten → Gemm → y [batch, 10]. */
export function convModel(opset = 13): Model {
  const m = new Model(opset);
  const g = m.graph;
  const x = g.addInput('x', tensorType('float32', ['batch', 3, 16, 16]));
  const w1 = g.addInitializer('features.0.weight', weights([8, 3, 3, 3], 1));
  const b1 = g.addInitializer('features.0.bias', weights([8], 2));
  const w2 = g.addInitializer('features.3.weight', weights([4, 8, 1, 1], 3));
  const wf = g.addInitializer('classifier.weight', weights([10, 4], 4));
  const bf = g.addInitializer('classifier.bias', weights([10], 5));
  const c1 = op(g, 'Conv', [x, w1, b1], ['batch', 8, 16, 16], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }, '/features/features.0/Conv');
  const r1 = op(g, 'Relu', [c1], ['batch', 8, 16, 16], {}, '/features/features.1/Relu');
  const p1 = op(g, 'MaxPool', [r1], ['batch', 8, 8, 8], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, '/features/features.2/MaxPool');
  const c2 = op(g, 'Conv', [p1, w2], ['batch', 4, 8, 8], { kernel_shape: ints([1, 1]) }, '/features/features.3/Conv');
  const gp = op(g, 'GlobalAveragePool', [c2], ['batch', 4, 1, 1], {}, '/pool/GlobalAveragePool');
  const fl = op(g, 'Flatten', [gp], ['batch', 4], { axis: int(1) }, '/Flatten');
  const y = op(g, 'Gemm', [fl, wf, bf], ['batch', 10], { transB: int(1) }, 'y');
  g.outputs.push(y);
  m.producerName = 'pytorch';
  m.producerVersion = '2.3.0';
  return m;
}

/** One self-attention head: softmax(x Wq (x Wk)ᵀ / 4) x Wv Wo, x [batch, L, 16]. */
export function attentionModel(opset = 21): Model {
  const m = new Model(opset);
  const g = m.graph;
  const x = g.addInput('x', tensorType('float32', ['batch', 'L', 16]));
  const proj = (name: string, seed: number) => g.addInitializer(`layers.0.attn.${name}.weight`, weights([16, 16], seed));
  const q = op(g, 'MatMul', [x, proj('q', 11)], ['batch', 'L', 16], {}, '/layers.0/attn/q/MatMul');
  const k = op(g, 'MatMul', [x, proj('k', 12)], ['batch', 'L', 16], {}, '/layers.0/attn/k/MatMul');
  const v = op(g, 'MatMul', [x, proj('v', 13)], ['batch', 'L', 16], {}, '/layers.0/attn/v/MatMul');
  const kt = op(g, 'Transpose', [k], ['batch', 16, 'L'], { perm: ints([0, 2, 1]) }, '/layers.0/attn/Transpose');
  const s = op(g, 'MatMul', [q, kt], ['batch', 'L', 'L'], {}, '/layers.0/attn/scores/MatMul');
  const scaled = op(g, 'Mul', [s, g.addInitializer('scale', f32([0.25], []))], ['batch', 'L', 'L'], {}, '/layers.0/attn/Mul');
  const p = op(g, 'Softmax', [scaled], ['batch', 'L', 'L'], { axis: int(-1) }, '/layers.0/attn/Softmax');
  const o = op(g, 'MatMul', [p, v], ['batch', 'L', 16], {}, '/layers.0/attn/out/MatMul');
  const y = op(g, 'MatMul', [o, proj('o', 14)], ['batch', 'L', 16], {}, 'y');
  g.outputs.push(y);
  return m;
}

/** y = x added to itself 3 times by a Loop (trip count 3) whose body reads the outer x. */
export function loopModel(opset = 13): Model {
  const m = new Model(opset);
  const g = m.graph;
  const x = g.addInput('x', tensorType('float32', [4]));
  const trips = g.addInitializer('trips', i64([3], []));
  const yes = g.addInitializer('keep_going', { dtype: 'bool', dims: [], data: Uint8Array.from([1]) });
  const zero = g.addInitializer('zeros', f32([0, 0, 0, 0], [4]));
  const body = new Graph('body', g);
  body.addInput('i', tensorType('int64', []));
  const condIn = body.addInput('cond_in', tensorType('bool', []));
  const acc = body.addInput('acc', tensorType('float32', [4]));
  const condOut = op(body, 'Identity', [condIn], [], {}, 'cond_out', 'bool');
  const accOut = op(body, 'Add', [acc, x], [4], {}, 'acc_out');
  body.outputs.push(condOut, accOut);
  const y = op(g, 'Loop', [trips, yes, zero], [4], { body: { kind: 'graph', value: body } }, 'y');
  g.outputs.push(y);
  return m;
}

/** Running sums along L with Scan: state s [4], scan input xs [L, 4] → final s and every partial sum. */
export function scanModel(opset = 17): Model {
  const m = new Model(opset);
  const g = m.graph;
  const s0 = g.addInput('s0', tensorType('float32', [4]));
  const xs = g.addInput('xs', tensorType('float32', ['L', 4]));
  const body = new Graph('step', g);
  const sIn = body.addInput('s_in', tensorType('float32', [4]));
  const xt = body.addInput('x_t', tensorType('float32', [4]));
  const sOut = op(body, 'Add', [sIn, xt], [4], {}, 's_out');
  const yt = op(body, 'Identity', [sOut], [4], {}, 'y_t');
  body.outputs.push(sOut, yt);
  const node = g.createNode('', 'Scan', [s0, xs], { body: { kind: 'graph', value: body }, num_scan_inputs: int(1) }, 2, {
    name: 'scan', outputNames: ['s_final', 'partial_sums'], outputTypes: [tensorType('float32', [4]), tensorType('float32', ['L', 4])],
  });
  g.outputs.push(...node.outputs);
  return m;
}

/** y = x @ W + b with W stored outside the file (external data), as large exports do. */
export function externalDataModel(opset = 17): Model {
  const m = new Model(opset);
  const g = m.graph;
  const x = g.addInput('x', tensorType('float32', ['batch', 1024]));
  const w = g.addInitializer('proj.weight', { dtype: 'float32', dims: [1024, 4096], data: null, external: { location: 'model.onnx.data', offset: 0, length: 1024 * 4096 * 4 } });
  const b = g.addInitializer('proj.bias', { dtype: 'float32', dims: [4096], data: null, external: { location: 'model.onnx.data', offset: 1024 * 4096 * 4, length: 4096 * 4 } });
  const mm = op(g, 'MatMul', [x, w], ['batch', 4096], {}, 'mm');
  g.outputs.push(op(g, 'Add', [mm, b], ['batch', 4096], {}, 'y'));
  return m;
}
