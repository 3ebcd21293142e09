import { describe, expect, it } from 'vitest';
import { f32, Graph, i64, type Model, printModel, type Tensor, tensorType, type Value, verifyModel } from 'ssmc/ir';
import { dcePass } from 'ssmc/passes';
import { evalF64, input, maxAbsDiff, newModel, opsOf, randomTensor } from '../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const target = { opset: 17 };

function dce(model: Model): boolean {
  const changed = dcePass.run(model, target).changed;
  verifyModel(model);
  return changed;
}

function output(model: Model, v: Value, name: string): void {
  model.graph.renameValue(v, name);
  model.graph.outputs.push(v);
}

function dceKeepsNumbers(model: Model, feeds: Record<string, Tensor>): void {
  const before = evalF64(model, feeds);
  dce(model);
  const after = evalF64(model, feeds);
  expect([...after.keys()]).toEqual([...before.keys()]);
  for (const [name, ref] of before) expect(maxAbsDiff(after.get(name)!.data, ref.data), name).toBeLessThanOrEqual(TOL.F64_REORDERED);
}

/** An If whose then-branch reads `outer` from the enclosing graph (a use Value.uses records). */
function ifReading(model: Model, cond: Value, outer: Value, other: Value): Value {
  const branch = (name: string, read: Value) => {
    const g = new Graph(name, model.graph);
    const n = g.createNode('', 'Identity', [read], {}, 1, { outputTypes: [read.type] });
    g.outputs.push(n.outputs[0]!);
    return g;
  };
  const node = model.graph.createNode('', 'If', [cond], {
    then_branch: { kind: 'graph', value: branch('then', outer) },
    else_branch: { kind: 'graph', value: branch('else', other) },
  }, 1, { outputTypes: [tensorType('float32', outer.type.shape)] });
  return node.outputs[0]!;
}

describe('dce: IR before and after', () => {
  it('a dead chain goes in one backward sweep, with the initializers only it read', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3]);
    input(model, 'unused', [1]); // the interface stays, used or not
    const scale = b.initializer('scale', f32([2], []));
    const dead = b.neg(b.exp(b.mul(x, b.initializer('dead_c', f32([3], [])))));
    b.op('Sin', [dead]); // the chain's end: nothing reads it
    b.initializer('orphan', f32([1, 2], [2])); // read by nobody from the start
    output(model, b.mul(x, scale), 'out');
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,3], %unused: f32[1]) -> (%out: f32[2,3]) {
        const %scale: f32[] = [2.0]
        const %dead_c: f32[] = [3.0]
        const %orphan: f32[2] = [1.0, 2.0]
        %mul = Mul(%x, %dead_c) : f32[2,3]
        %exp = Exp(%mul) : f32[2,3]
        %neg = Neg(%exp) : f32[2,3]
        %sin = Sin(%neg) : f32[2,3]
        %out = Mul(%x, %scale) : f32[2,3]
        return %out
      }"
    `);
    expect(dce(model)).toBe(true);
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,3], %unused: f32[1]) -> (%out: f32[2,3]) {
        const %scale: f32[] = [2.0]
        %out = Mul(%x, %scale) : f32[2,3]
        return %out
      }"
    `);
    expect(dce(model)).toBe(false); // the fixpoint was reached in one run
  });
});

describe('dce: what stays', () => {
  it('numbers are unchanged; a node with one used output of two stays; outputs that are inputs or constants stay', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [4, 3]);
    // The second output of Split is unused, but its node produces `top`.
    const [top] = b.node('Split', [x, b.initializer('sizes', i64([1, 3], [2]))], { axis: 0 }, 2);
    output(model, b.exp(top!), 'top');
    model.graph.outputs.push(x); // an input returned as is
    model.graph.outputs.push(b.initializer('k', f32([7], [1]))); // a constant returned as is
    b.op('Cos', [x]); // dead
    dceKeepsNumbers(model, { x: randomTensor([4, 3], 1) });
    expect(opsOf(model)).toEqual(['Split', 'Exp']);
    expect(model.graph.initializers.map((v) => v.name)).toEqual(['sizes', 'k']);
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['top', 'x', 'k']);
  });

  it('a read from inside a subgraph counts as a use of the outer value', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const t = b.mul(x, x); // read only by the If's then-branch
    const cond = b.op('Greater', [b.op('ReduceSum', [x], { keepdims: 0 }), b.f32(0, [], 'zero')]);
    output(model, b.neg(ifReading(model, cond, t, x)), 'out');
    dce(model);
    expect(opsOf(model)).toEqual(['Mul', 'ReduceSum', 'Greater', 'If', 'Neg']);
  });

  // Removing a node detaches its subgraphs' nodes from the outer values they read too, so an
  // outer value read only by a dead body is dead as well, and no use list points at a node that
  // no graph holds.
  it('removing a dead If frees the outer values only its body read', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const t = b.mul(x, x);
    const cond = b.op('Greater', [b.op('ReduceSum', [x], { keepdims: 0 }), b.f32(0, [], 'zero')]);
    ifReading(model, cond, t, x); // dead
    output(model, b.neg(x), 'out');
    dce(model);
    expect(t.uses).toEqual([]);
    expect(opsOf(model)).toEqual(['Neg']);
  });
});
