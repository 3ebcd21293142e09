import { describe, expect, it } from 'vitest';
import { evaluateGraph, evaluateModel, f32 as f32Tensor, type FunctionDef, Graph, Model, tensorType } from 'ssmc/ir';
import { attrs, f32, values } from './harness.js';

describe('evaluateGraph', () => {
  it('runs nodes in order with initializers and returns every output by name', () => {
    const g = new Graph();
    const x = g.addInput('x', tensorType('float32', [2]));
    const w = g.addInitializer('w', f32Tensor([10, 20], [2]));
    const sum = g.createNode('', 'Add', [x, w], {}, 1, { outputNames: ['sum'] }).outputs[0]!;
    const prod = g.createNode('', 'Mul', [sum, x], {}, 1, { outputNames: ['prod'] }).outputs[0]!;
    g.outputs.push(sum, prod);
    const out = evaluateGraph(g, { x: f32([2], [1, 2]) }, { opset: 17 });
    expect([...out.keys()]).toEqual(['sum', 'prod']);
    expect(values(out.get('sum')!)).toEqual([11, 22]);
    expect(values(out.get('prod')!)).toEqual([11, 44]);
  });

  it('says which graph input was not fed', () => {
    const g = new Graph();
    const x = g.addInput('x', tensorType('float32', [1]));
    g.outputs.push(g.createNode('', 'Neg', [x], {}, 1).outputs[0]!);
    expect(() => evaluateGraph(g, {}, { opset: 17 })).toThrow(/'x'/);
  });

  it('an unknown op names the node and lists the kernels it has', () => {
    const g = new Graph();
    const x = g.addInput('x', tensorType('float32', [1]));
    g.outputs.push(g.createNode('', 'Frobnicate', [x], {}, 1, { name: 'frob' }).outputs[0]!);
    expect(() => evaluateGraph(g, { x: f32([1], [1]) }, { opset: 17 })).toThrow(/'frob'.*Frobnicate.*Add/s);
  });
});

describe('model-local functions', () => {
  /** AddScaled(a, b) = a + b · alpha, where alpha is the caller's attribute `alpha`. */
  function addScaled(): FunctionDef {
    const body = new Graph('AddScaled');
    const a = body.addInput('a', tensorType('float32', null));
    const b = body.addInput('b', tensorType('float32', null));
    const alpha = body.createNode('', 'Constant', [], { value_float: { kind: 'ref', refName: 'alpha', refKind: 'float' } }, 1).outputs[0]!;
    const scaled = body.createNode('', 'Mul', [b, alpha], {}, 1).outputs[0]!;
    body.outputs.push(body.createNode('', 'Add', [a, scaled], {}, 1).outputs[0]!);
    return { domain: 'local', name: 'AddScaled', body, attributes: ['alpha'], opsetImports: new Map([['', 17]]), docString: '' };
  }

  it('a node naming a function runs its body with the caller attribute substituted', () => {
    const model = new Model(17);
    model.functions.push(addScaled());
    const g = model.graph;
    const x = g.addInput('x', tensorType('float32', [2]));
    const y = g.addInput('y', tensorType('float32', [2]));
    const first = g.createNode('local', 'AddScaled', [x, y], attrs({ alpha: 0.5 }), 1).outputs[0]!;
    const second = g.createNode('local', 'AddScaled', [first, y], { alpha: { kind: 'float', value: 3 } }, 1, { outputNames: ['out'] }).outputs[0]!;
    g.outputs.push(second);
    const out = evaluateModel(model, { x: f32([2], [1, 2]), y: f32([2], [4, 8]) });
    // first = x + 0.5 y = [3, 6]; out = first + 3 y = [15, 30]
    expect(values(out.get('out')!)).toEqual([15, 30]);
  });
});
