import { describe, expect, it } from 'vitest';
import { f32, type Model, printModel, type Tensor, tensorType, type Value, verifyModel } from 'ssmc/ir';
import { csePass } from 'ssmc/passes';
import { evalF64, input, maxAbsDiff, newModel, opsOf, randomTensor } from '../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const target = { opset: 17 };

function cse(model: Model): boolean {
  const changed = csePass.run(model, target).changed;
  verifyModel(model);
  return changed;
}

function output(model: Model, v: Value, name: string): void {
  model.graph.renameValue(v, name);
  model.graph.outputs.push(v);
}

/** Runs CSE and checks every output is unchanged in float64 (merging must not change a number). */
function cseKeepsNumbers(model: Model, feeds: Record<string, Tensor>): void {
  const before = evalF64(model, feeds);
  cse(model);
  const after = evalF64(model, feeds);
  expect([...after.keys()]).toEqual([...before.keys()]);
  for (const [name, ref] of before) {
    // Equal infinities (1/±0 below) count as no difference.
    const got = after.get(name)!.data.map((v, i) => (v === ref.data[i] ? 0 : v));
    const want = ref.data.map((v, i) => (v === after.get(name)!.data[i] ? 0 : v));
    expect(maxAbsDiff(got, want), name).toBeLessThanOrEqual(TOL.F64_REORDERED);
  }
}

describe('cse: IR before and after', () => {
  it('equal constants merge first, then the nodes that read them, then their consumers', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3]);
    const c1 = b.initializer('c1', f32([1, 2, 3], [3]));
    const c2 = b.initializer('c2', f32([1, 2, 3], [3])); // same bytes as c1
    const c3 = b.initializer('c3', f32([1, 2, 3], [3, 1])); // same bytes, other dims: distinct
    const e1 = b.exp(b.mul(x, c1));
    const e2 = b.exp(b.mul(x, c2)); // the same chain through c2
    const t1 = b.transpose(e1, [1, 0]), t2 = b.transpose(e2, [1, 0]);
    output(model, b.add(b.add(t1, t2), c3), 'out');
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,3]) -> (%out: f32[3,2]) {
        const %c1: f32[3] = [1.0, 2.0, 3.0]
        const %c2: f32[3] = [1.0, 2.0, 3.0]
        const %c3: f32[3,1] = [1.0, 2.0, 3.0]
        %mul = Mul(%x, %c1) : f32[2,3]
        %exp = Exp(%mul) : f32[2,3]
        %mul_1 = Mul(%x, %c2) : f32[2,3]
        %exp_1 = Exp(%mul_1) : f32[2,3]
        %transpose = Transpose(%exp) {perm=[1,0]} : f32[3,2]
        %transpose_1 = Transpose(%exp_1) {perm=[1,0]} : f32[3,2]
        %add = Add(%transpose, %transpose_1) : f32[3,2]
        %out = Add(%add, %c3) : f32[3,2]
        return %out
      }"
    `);
    expect(cse(model)).toBe(true);
    // The first occurrence of each survives, under its own name.
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,3]) -> (%out: f32[3,2]) {
        const %c1: f32[3] = [1.0, 2.0, 3.0]
        const %c3: f32[3,1] = [1.0, 2.0, 3.0]
        %mul = Mul(%x, %c1) : f32[2,3]
        %exp = Exp(%mul) : f32[2,3]
        %transpose = Transpose(%exp) {perm=[1,0]} : f32[3,2]
        %add = Add(%transpose, %transpose) : f32[3,2]
        %out = Add(%add, %c3) : f32[3,2]
        return %out
      }"
    `);
    expect(cse(model)).toBe(false);
  });
});

describe('cse: what merges and what does not', () => {
  it('attributes compare by value: equal perms and equal tensor attributes merge, different ones do not', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3, 4]);
    const shape = b.i64([2, 3], [2], 'shape');
    const outs = [
      b.transpose(x, [2, 0, 1]), b.transpose(x, [2, 0, 1]), b.transpose(x, [1, 0, 2]),
      b.op('ConstantOfShape', [shape], { value: f32([0.5], [1]) }),
      b.op('ConstantOfShape', [shape], { value: f32([0.5], [1]) }), // another tensor object, equal content
      b.op('ConstantOfShape', [shape], { value: f32([0.25], [1]) }),
      b.op('ReduceSum', [x, b.i64([1], [1], 'ax')], { keepdims: 1 }),
      b.op('ReduceSum', [x, b.i64([1], [1], 'ax')], { keepdims: 0 }),
    ];
    outs.forEach((v, i) => output(model, b.op('Identity', [v]), `o${i}`));
    cseKeepsNumbers(model, { x: randomTensor([2, 3, 4], 1) });
    expect(opsOf(model).filter((o) => o !== 'Identity')).toEqual([
      'Transpose', 'Transpose', 'ConstantOfShape', 'ConstantOfShape', 'ReduceSum', 'ReduceSum',
    ]);
    // The merged ReduceSum axes constants leave one initializer per distinct content.
    expect(model.graph.initializers.map((v) => v.name)).toHaveLength(2);
  });

  it('constants merge by dtype, dims and exact bytes — large ones too', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [100_000]);
    const big = randomTensor([100_000], 7);
    const almost = f32(big.data as Float32Array, [100_000]);
    (almost.data as Float32Array)[99_999]! += 1; // differs in the last value only
    const consts = [
      b.initializer('big1', big), b.initializer('big2', f32(big.data as Float32Array, [100_000])), b.initializer('almost', almost),
    ];
    consts.forEach((c, i) => output(model, b.add(x, c), `big_out${i}`));
    // +0 and −0 differ in their bytes; an int32 and a float32 zero differ in dtype.
    const z = input(model, 'z', []);
    output(model, b.div(z, b.initializer('pzero', f32([0], []))), 'pos');
    output(model, b.div(z, b.initializer('nzero', f32([-0], []))), 'neg');
    b.initializer('izero', { dtype: 'int32', dims: [], data: new Int32Array(1) });
    cseKeepsNumbers(model, { x: randomTensor([100_000], 8), z: f32([1], []) });
    expect([...evalF64(model, { x: randomTensor([100_000], 8), z: f32([1], []) }).get('neg')!.data]).toEqual([-Infinity]);
    expect(model.graph.initializers.map((v) => v.name)).toEqual(['big1', 'almost', 'pzero', 'nzero', 'izero']);
  });

  it('duplicate graph outputs keep their public names', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [3]);
    const inner = b.neg(x); // not an output
    output(model, b.exp(inner), 'first');
    output(model, b.exp(b.neg(x)), 'second'); // same computation, another public name
    const hidden = b.op('Sin', [inner]); // not an output ...
    output(model, b.add(hidden, x), 'third');
    output(model, b.op('Sin', [b.neg(x)]), 'fourth'); // ... but its duplicate is
    cseKeepsNumbers(model, { x: randomTensor([3], 2) });
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['first', 'second', 'third', 'fourth']);
    expect(opsOf(model).filter((o) => o === 'Neg')).toHaveLength(1);
  });

  it('nodes of different ops, domains or inputs stay apart', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [3]), y = input(model, 'y', [3]);
    output(model, b.add(x, y), 'a');
    output(model, b.add(y, x), 'b'); // operands swapped: not recognised as equal
    output(model, b.sub(x, y), 'c');
    output(model, b.op('Identity', [b.ssm('Real', [b.ssm('Complex', [x, y])])]), 'd');
    cseKeepsNumbers(model, { x: randomTensor([3], 1), y: randomTensor([3], 2) });
    expect(opsOf(model)).toEqual(['Add', 'Add', 'Sub', 'ai.ssmc.Complex', 'ai.ssmc.Real', 'Identity']);
  });


  it('float attributes Infinity and −Infinity are different (JSON would print both as null)', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const up = b.op('LeakyRelu', [x], { alpha: { kind: 'float', value: Infinity } });
    const down = b.op('LeakyRelu', [x], { alpha: { kind: 'float', value: -Infinity } });
    output(model, b.add(up, down), 'out');
    cse(model);
    expect(opsOf(model)).toEqual(['LeakyRelu', 'LeakyRelu', 'Add']);
  });

  it('random ops are never merged (two draws are not one)', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const draw = () => model.graph.createNode('', 'RandomNormalLike', [x], {}, 1, { outputTypes: [tensorType('float32', [2])] }).outputs[0]!;
    output(model, b.sub(draw(), draw()), 'out');
    cse(model);
    expect(opsOf(model)).toEqual(['RandomNormalLike', 'RandomNormalLike', 'Sub']);
  });
});
