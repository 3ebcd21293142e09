import { f32, Graph, Model, SSMC_DOMAIN, type Tensor, tensorType, type Value } from 'ssmc/ir';

/** Hand-built models for the export/runtime tests (Graph API only: no Builder, no inference). */

export const W = [1, -2, 0.5, 0, 1, 1, -1, 2, 0, 3, 0.25, -1]; // [4, 3]
export const B = [0.5, -1, 2];

/** y = Relu(x @ W + b), x: [batch, 4] → y: [batch, 3]. */
export function mlpModel(): Model {
  const model = new Model(17);
  const g = model.graph;
  const x = g.addInput('x', tensorType('float32', ['batch', 4]));
  const w = g.addInitializer('W', f32(W, [4, 3]));
  const b = g.addInitializer('b', f32(B, [3]));
  const mm = g.createNode('', 'MatMul', [x, w], {}, 1, { outputTypes: [tensorType('float32', ['batch', 3])] }).outputs[0]!;
  const add = g.createNode('', 'Add', [mm, b], {}, 1, { outputTypes: [tensorType('float32', ['batch', 3])] }).outputs[0]!;
  const y = g.createNode('', 'Relu', [add], {}, 1, { outputNames: ['y'], outputTypes: [tensorType('float32', ['batch', 3])] }).outputs[0]!;
  g.outputs.push(y);
  return model;
}

/** The float64 reference of mlpModel. */
export function mlpReference(x: number[], batch: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < batch; r++) {
    for (let c = 0; c < 3; c++) {
      let s = B[c]!;
      for (let k = 0; k < 4; k++) s += x[r * 4 + k]! * W[k * 3 + c]!;
      out.push(Math.max(0, s));
    }
  }
  return out;
}

/**
 * A model calling a model-local function ai.ssmc.ScaledSoftplus(x; alpha) = alpha * log(1 + exp(x)),
 * with `alpha` passed by attribute reference. IR 8, opset 17 + ai.ssmc 1.
 */
export function functionModel(alpha: number): Model {
  const model = new Model(17);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  model.irVersion = 8;
  const body = new Graph('ScaledSoftplus');
  const bx = body.addInput('X', tensorType('float32', null));
  const sp = body.createNode('', 'Softplus', [bx], {}, 1, { outputNames: ['sp'] }).outputs[0]!;
  const a = body.createNode('', 'Constant', [], { value_float: { kind: 'ref', refName: 'alpha', refKind: 'float' } }, 1, { outputNames: ['a'] }).outputs[0]!;
  const out = body.createNode('', 'Mul', [sp, a], {}, 1, { outputNames: ['Y'] }).outputs[0]!;
  body.outputs.push(out);
  model.functions.push({ domain: SSMC_DOMAIN, name: 'ScaledSoftplus', body, attributes: ['alpha'], opsetImports: new Map([['', 17]]), docString: 'alpha * softplus(x)' });
  const g = model.graph;
  const x = g.addInput('x', tensorType('float32', ['n']));
  const y = g.createNode(SSMC_DOMAIN, 'ScaledSoftplus', [x], { alpha: { kind: 'float', value: alpha } }, 1, {
    outputNames: ['y'], outputTypes: [tensorType('float32', ['n'])],
  }).outputs[0]!;
  g.outputs.push(y);
  return model;
}

export function softplus(x: number): number {
  return Math.log1p(Math.exp(x));
}

/** Adds y = x + 1 where the 1 lives in a subgraph of If (then: +1, else: −1) that reads an outer value. */
export function ifModel(): Model {
  const model = new Model(17);
  const g = model.graph;
  const x = g.addInput('x', tensorType('float32', [3]));
  const cond = g.addInput('cond', tensorType('bool', []));
  const one = g.addInitializer('one', f32([1], []));
  const branch = (name: string, op: string): Graph => {
    const sub = new Graph(name, g);
    const v = sub.createNode('', op, [x, one], {}, 1, { outputNames: [`${name}_out`], outputTypes: [tensorType('float32', [3])] }).outputs[0]!;
    sub.outputs.push(v);
    return sub;
  };
  const y = g.createNode('', 'If', [cond], { then_branch: { kind: 'graph', value: branch('then', 'Add') }, else_branch: { kind: 'graph', value: branch('else', 'Sub') } }, 1, {
    outputNames: ['y'], outputTypes: [tensorType('float32', [3])],
  }).outputs[0]!;
  g.outputs.push(y);
  return model;
}

/** Every attribute kind, raw dtypes, strings, external data, metadata, a function: for round trips. */
export function kitchenSinkModel(): Model {
  const model = new Model(17);
  model.opsetImports.set('com.example', 3);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  model.docString = 'kitchen sink';
  model.modelVersion = 7;
  model.metadata.set('zeta', 'last');
  model.metadata.set('alpha', 'first');
  model.metadata.set('ssmc.arch', 'none');
  const g = model.graph;
  const x = g.addInput('x', tensorType('float32', ['batch', 4, null]));
  g.addInitializer('half', { dtype: 'float16', dims: [2], data: null, raw: Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]) });
  g.addInitializer('labels', { dtype: 'string', dims: [2], data: ['a', 'bé'] });
  g.addInitializer('ext', { dtype: 'float32', dims: [16], data: null, external: { location: 'weights.bin', offset: 64, length: 64 } });
  g.addInitializer('ids', { dtype: 'int64', dims: [3], data: BigInt64Array.from([1n, -2n, 1n << 40n]) });
  g.addInitializer('flags', { dtype: 'bool', dims: [2], data: Uint8Array.from([1, 0]) });
  g.addInitializer('d', { dtype: 'float64', dims: [1], data: Float64Array.from([Math.PI]) });
  g.addInitializer('nibbles', { dtype: 'int4', dims: [3], data: null, raw: Uint8Array.from([0x21, 0x03]) });
  const sub = new Graph('body', g);
  const sx = sub.addInput('sx', tensorType('float32', null));
  const sy = sub.createNode('', 'Identity', [sx], {}, 1, { outputNames: ['sy'], outputTypes: [tensorType('float32', [4])] }).outputs[0]!;
  const sz = sub.createNode('', 'Add', [sy, x], {}, 1, { outputNames: ['sz'], outputTypes: [tensorType('float32', null)] }).outputs[0]!;
  sub.outputs.push(sz);
  const sub2 = new Graph('other', g);
  const o = sub2.createNode('', 'Identity', [x], {}, 1, { outputNames: ['o'], outputTypes: [tensorType('float32', ['batch', 4, null])] }).outputs[0]!;
  sub2.outputs.push(o);
  const n = g.createNode('com.example', 'Everything', [x, null, g.initializers[0]!, null], {
    z_int: { kind: 'int', value: -3 },
    a_float: { kind: 'float', value: 0.1 },
    s: { kind: 'string', value: 'héllo' },
    t: { kind: 'tensor', value: f32([1, 2], [2]) },
    g: { kind: 'graph', value: sub },
    ints: { kind: 'ints', value: [1, -1, 2 ** 40] },
    floats: { kind: 'floats', value: [0.5, -0.25] },
    strings: { kind: 'strings', value: ['x', ''] },
    tensors: { kind: 'tensors', value: [f32([3], [1]), { dtype: 'int32', dims: [0], data: new Int32Array(0) } as Tensor] },
    graphs: { kind: 'graphs', value: [sub2] },
  }, 2, { name: 'everything', outputNames: ['e0', 'e1'], outputTypes: [tensorType('float32', ['batch', 4, null]), tensorType('int64', null)] });
  n.docString = 'does everything';
  const e0 = n.outputs[0]!;
  const r = g.createNode('', 'Relu', [e0], {}, 1, { outputNames: ['r'], outputTypes: [tensorType('float32', ['batch', 4, null])] }).outputs[0]!;
  g.outputs.push(r, n.outputs[1] as Value);
  n.outputs[1]!.type = tensorType('int64', ['k']);
  const fm = functionModel(2);
  model.functions.push(fm.functions[0]!);
  return model;
}
