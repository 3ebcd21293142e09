/**
 * Graph mutation: the SSA invariants every pass relies on (use lists, unique names, insertion
 * order, the interface's public names) kept by Graph and Node methods alone.
 */
import { describe, expect, it } from 'vitest';
import { f32, Graph, Model, tensorType, type Value } from 'ssmc/ir';

const F = tensorType('float32', [2]);

function add(g: Graph, a: Value, b: Value, name?: string): Value {
  return g.createNode('', 'Add', [a, b], {}, 1, { name, outputTypes: [F] }).outputs[0]!;
}

describe('names', () => {
  it('a taken value name gets the next free suffix; node names are a namespace of their own', () => {
    const g = new Graph();
    const x = g.addInput('x', F);
    const x1 = g.addInput('x', F);
    expect([x.name, x1.name]).toEqual(['x', 'x_1']);
    const y = add(g, x, x1, 'x'); // a node may share its name with a value
    expect(y.producer!.name).toBe('x');
    expect(y.name).toBe('x_2');
    expect(g.freshName('x')).toBe('x_3');
  });

  it('nested graphs share the root scope and see enclosing values', () => {
    const g = new Graph();
    const x = g.addInput('x', F);
    const body = new Graph('body', g);
    expect(body.addInput('x', F).name).toBe('x_1');
    expect(body.findValue('x')).toBe(x);
    expect(g.findValue('x_1')).toBeUndefined();
  });

  it('renameValue frees the old name and refuses a taken one', () => {
    const g = new Graph();
    const a = g.addInput('a', F), b = g.addInput('b', F);
    g.renameValue(a, 'c');
    expect(g.addInput('a', F).name).toBe('a');
    expect(() => g.renameValue(b, 'c')).toThrow("the name 'c' is already taken");
  });
});

describe('uses', () => {
  it('setInput keeps use lists in step with inputs, one entry per slot', () => {
    const g = new Graph();
    const x = g.addInput('x', F), y = g.addInput('y', F);
    const s = add(g, x, x);
    const n = s.producer!;
    expect(x.uses.map((u) => u.index)).toEqual([0, 1]);
    n.setInput(1, y);
    expect(x.uses).toEqual([{ node: n, index: 0 }]);
    expect(y.uses).toEqual([{ node: n, index: 1 }]);
    n.setInput(0, null);
    expect(x.uses).toEqual([]);
    expect(n.inputs).toEqual([null, y]);
  });

  it('replaceAllUsesWith leaves graph outputs alone unless asked; then the output keeps its public name', () => {
    const g = new Graph();
    const x = g.addInput('x', F);
    const a = add(g, x, x, 'a');
    const b = add(g, a, x, 'b');
    g.outputs.push(a);
    const c = add(g, x, x, 'c');
    g.replaceAllUsesWith(a, c);
    expect(b.producer!.inputs[0]).toBe(c);
    expect(g.outputs[0]).toBe(a);
    g.replaceAllUsesWith(a, c, true);
    expect(g.outputs[0]).toBe(c);
    expect(c.name).toBe('a'); // the interface keeps its name
    expect(a.name).toBe('a_1');
  });

  it('replaceOutput does not rename a graph input that becomes an output', () => {
    const g = new Graph();
    const x = g.addInput('x', F);
    g.outputs.push(add(g, x, x, 'y'));
    g.replaceOutput(0, x);
    expect(g.outputs[0]!.name).toBe('x');
    expect(() => g.replaceOutput(3, x)).toThrow("graph 'main' has no output 3");
  });
});

describe('insertion and removal', () => {
  it('createNode appends, or inserts before a given node', () => {
    const g = new Graph();
    const x = g.addInput('x', F);
    const last = add(g, x, x, 'last').producer!;
    const first = g.createNode('', 'Neg', [x], {}, 1, { name: 'first', before: last, outputTypes: [F] });
    expect(g.nodes.map((n) => n.name)).toEqual(['first', 'last']);
    expect(first.outputs[0]!.producer).toBe(first);
    const other = new Graph('other');
    expect(() => g.createNode('', 'Neg', [x], {}, 1, { before: other.createNode('', 'Neg', [], {}, 1) })).toThrow(/insertion point 'neg' is not in graph 'main'/);
  });

  it('removeNode refuses a node whose output is used or is an output; removal frees its names', () => {
    const g = new Graph();
    const x = g.addInput('x', F);
    const a = add(g, x, x, 'a');
    const b = add(g, a, x, 'b');
    g.outputs.push(b);
    expect(() => g.removeNode(a.producer!)).toThrow("cannot remove node 'a': output 'a' is used by 'b'");
    expect(() => g.removeNode(b.producer!)).toThrow("cannot remove node 'b': 'b' is a graph output");
    g.outputs.pop();
    g.removeNode(b.producer!);
    expect(a.uses).toEqual([]);
    g.removeNode(a.producer!);
    expect(x.uses).toEqual([]);
    expect(add(g, x, x, 'a').name).toBe('a');
  });

  it('removeInitializer refuses a used one and frees the name', () => {
    const g = new Graph();
    const w = g.addInitializer('w', f32([1, 2], [2]));
    const y = add(g, w, w);
    expect(() => g.removeInitializer(w)).toThrow("cannot remove initializer 'w': it is still used");
    g.removeNode(y.producer!);
    g.removeInitializer(w);
    expect(g.initializers).toEqual([]);
    expect(g.addInput('w', F).name).toBe('w');
  });

  it('values() lists inputs, initializers and node outputs in order', () => {
    const m = new Model(17);
    const g = m.graph;
    const x = g.addInput('x', F);
    const w = g.addInitializer('w', f32([1, 2], [2]));
    const y = add(g, x, w);
    expect([...g.values()]).toEqual([x, w, y]);
    expect(m.opset).toBe(17);
    expect(m.irVersion).toBe(8);
  });
});
