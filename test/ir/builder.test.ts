/** The builder: one node per helper, output types inferred at once, insertion points, opset forms. */
import { describe, expect, it } from 'vitest';
import { Builder, f32, Model, printGraph, SSMC_DOMAIN, tensorType, toAttr } from 'ssmc/ir';

function setup(opset = 17) {
  const model = new Model(opset);
  const b = new Builder(model.graph, opset);
  const x = model.graph.addInput('x', tensorType('float32', ['batch', 4, 'L']));
  return { model, b, x };
}

describe('Builder', () => {
  it('types every new value from its inputs, symbolic dims included', () => {
    const { b, x } = setup();
    const t = b.transpose(x, [0, 2, 1]);
    expect(t.type).toEqual(tensorType('float32', ['batch', 'L', 4]));
    const m = b.matmul(t, b.f32([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]));
    expect(m.type).toEqual(tensorType('float32', ['batch', 'L', 2]));
    const r = b.reshape(x, [0, -1]);
    expect(r.type.shape).toEqual(['batch', null]); // 4·L has no name
  });

  it('dim is Shape → Gather, and its value stays symbolic through shape arithmetic', () => {
    const { b, x } = setup();
    const L = b.dim(x, 2);
    expect(L.producer!.op).toBe('Gather');
    expect(L.producer!.inputs[0]!.producer!.op).toBe('Shape');
    expect(L.shapeValue).toEqual(['L']);
    const shape = b.concat([b.unsqueeze(b.dim(x, 0), [0]), b.i64([4], [1]), b.unsqueeze(L, [0])], 0);
    expect(shape.shapeValue).toEqual(['batch', 4, 'L']);
    expect(b.reshape(b.op('Neg', [x]), shape).type.shape).toEqual(['batch', 4, 'L']);
  });

  it('Unsqueeze/Squeeze take axes as an input from opset 13, as an attribute before', () => {
    const a = setup(17), old = setup(11);
    const u17 = a.b.unsqueeze(a.x, [0]).producer!, u11 = old.b.unsqueeze(old.x, [0]).producer!;
    expect(u17.inputs).toHaveLength(2);
    expect(u17.attrs.has('axes')).toBe(false);
    expect(u11.inputs).toHaveLength(1);
    expect(u11.attrs.get('axes')).toEqual({ kind: 'ints', value: [0] });
  });

  it('inserts before a given node when asked; ssm() puts the node in ai.ssmc', () => {
    const { model, b, x } = setup();
    const last = b.op('Neg', [x], {}, { name: 'last' });
    const before = new Builder(model.graph, 17, last.producer!);
    before.op('Abs', [x], {}, { name: 'first' });
    expect(model.graph.nodes.map((n) => n.name)).toEqual(['first', 'last']);
    const real = b.ssm('Real', [b.ssm('Complex', [x, x])]);
    expect(real.producer!.domain).toBe(SSMC_DOMAIN);
    expect(real.type).toEqual(tensorType('float32', ['batch', 4, 'L']));
  });

  it('constants are initializers with fresh names; attributes take plain values', () => {
    const { model, b } = setup();
    const c1 = b.f32(2), c2 = b.f32(3);
    // freshName reserves base_k and the initializer claims it again, hence base_k_1 (stable, so kept:
    // every compiled graph's names depend on it)
    expect([c1.name, c2.name]).toEqual(['const_1_1', 'const_2_1']);
    expect(c1.type).toEqual(tensorType('float32', []));
    expect(b.i64([1, 2], [2, 1]).constant!.dims).toEqual([2, 1]);
    expect(model.graph.initializers).toHaveLength(3);
    expect(toAttr(3)).toEqual({ kind: 'int', value: 3 });
    expect(toAttr(0.5)).toEqual({ kind: 'float', value: 0.5 });
    expect(toAttr('zoh')).toEqual({ kind: 'string', value: 'zoh' });
    expect(toAttr([1, 2])).toEqual({ kind: 'ints', value: [1, 2] });
    expect(toAttr(['a'])).toEqual({ kind: 'strings', value: ['a'] });
    expect(toAttr(f32([1], [1]))).toMatchObject({ kind: 'tensor' });
  });

  it('a node whose inputs break its rule is refused when built, and leaves nothing behind', () => {
    const { model, b } = setup();
    const x = model.graph.addInput('y', tensorType('float32', [2, 4]));
    const three = b.f32([1, 2, 3], [3]);
    const before = printGraph(b.graph);
    expect(() => b.add(x, three)).toThrow(/node 'add' \(Add\): cannot broadcast shapes \[2,4\] and \[3\]/);
    expect(printGraph(b.graph)).toBe(before);
    expect(three.uses).toEqual([]);
    expect(b.add(x, x).producer!.name).toBe('add'); // the name was freed
  });
});
