import { describe, expect, it } from 'vitest';
import { c64, f32, i64, type Model, printModel, tensorType, type Value, verifyModel } from 'ssmc/ir';
import { dcePass, foldConstantsPass } from 'ssmc/passes';
import { evalF64, input, maxAbsDiff, newModel, opsOf, randomTensor, runOrt } from '../helpers/graphs.js';

const target = { opset: 17 };

function fold(model: Model): boolean {
  const changed = foldConstantsPass.run(model, target).changed;
  verifyModel(model);
  return changed;
}

function output(model: Model, v: Value, name: string): void {
  model.graph.renameValue(v, name);
  model.graph.outputs.push(v);
}

/** The initializer feeding input `slot` of the node producing output `name`. */
function constantInput(model: Model, name: string, slot: number): Float32Array {
  const node = model.graph.outputs.find((v) => v.name === name)!.producer!;
  const c = node.input(slot).constant;
  expect(c, `input ${slot} of '${node.name}' is folded`).not.toBeNull();
  return c!.data as Float32Array;
}

describe('fold-constants: IR before and after', () => {
  it('a view of a stored weight (Reshape, Unsqueeze) folds to the same data under the new shape, without a float64 round trip', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [3, 4]);
    const w = b.initializer('w', f32([1, 2, 3, 4, 5, 6, 7, 8, 1e-45, 16777217, -0, 0.1], [4, 3, 1]));
    const r = b.reshape(w, [4, 3]);
    output(model, b.matmul(x, b.unsqueeze(r, [0])), 'out');
    const data = w.constant!.data;
    expect(fold(model)).toBe(true);
    dcePass.run(model, target);
    expect(opsOf(model)).toEqual(['MatMul']);
    const folded = model.graph.outputs[0]!.producer!.input(1).constant!;
    expect(folded.dims).toEqual([1, 4, 3]);
    // The same array: nothing copied, every bit kept (a denormal, −0).
    expect(folded.data).toBe(data);
  });

  it('a static Shape → Gather → Range → Cast chain becomes one float32 initializer', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 5]);
    const n = b.dim(x, 1); // Shape → Gather: 5
    const r = b.cast(b.op('Range', [b.i64(0, [], 'start'), n, b.i64(1, [], 'step')]), 1);
    output(model, b.add(x, r), 'out');
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,5]) -> (%out: f32[2,5]) {
        const %axis_1_1: i64[] = [1]
        const %start_1_1: i64[] = [0]
        const %step_1_1: i64[] = [1]
        %shape = Shape(%x) : i64[2]
        %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]
        %range = Range(%start_1_1, %gather, %step_1_1) : i64[5]
        %cast = Cast(%range) {to=1} : f32[5]
        %out = Add(%x, %cast) : f32[2,5]
        return %out
      }"
    `);
    expect(fold(model)).toBe(true);
    dcePass.run(model, target);
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,5]) -> (%out: f32[2,5]) {
        const %cast.folded: f32[5] = [0.0, 1.0, 2.0, 3.0, 4.0]
        %out = Add(%x, %cast.folded) : f32[2,5]
        return %out
      }"
    `);
    // A second run finds nothing more: the first one reached the fixpoint.
    expect(foldConstantsPass.run(model, target).changed).toBe(false);
  });

  it('Shape of a symbolic input stays; a static dim taken from it folds', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', ['batch', 5]);
    const rows = b.op('Shape', [x]);
    const cols = b.dim(x, 1);
    output(model, b.reshape(x, b.concat([b.op('Gather', [rows, b.i64([0])], { axis: 0 }), b.i64([1]), b.unsqueeze(cols, [0])], 0)), 'out');
    fold(model);
    dcePass.run(model, target);
    expect(opsOf(model)).toEqual(['Shape', 'Gather', 'Concat', 'Reshape']);
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[batch,5]) -> (%out: f32[batch,1,5]) {
        const %const_1_1: i64[1] = [0]
        const %const_2_1: i64[1] = [1]
        const %unsqueeze.folded: i64[1] = [5]
        %shape = Shape(%x) : i64[2]
        %gather_1 = Gather(%shape, %const_1_1) {axis=0} : i64[1]
        %concat = Concat(%gather_1, %const_2_1, %unsqueeze.folded) {axis=0} : i64[3]
        %out = Reshape(%x, %concat) : f32[batch,1,5]
        return %out
      }"
    `);
  });
});

describe('fold-constants: numbers', () => {
  /** out = x + C, where C is a chain of float ops (and ai.ssmc ops) on initializers only. */
  function chainModel(): Model {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [3, 2]);
    const a = b.initializer('a', randomTensor([3, 4], 1));
    const m = b.initializer('m', randomTensor([4, 2], 2));
    const e = b.div(b.exp(b.matmul(a, m)), b.f32(3));
    const z = b.ssm('Complex', [e, b.op('Sin', [e])]);
    const w = b.initializer('w', c64([0.5, -1.25], [2, 0.75], [2]));
    const c = b.add(b.ssm('Real', [b.mul(z, w)]), b.ssm('Imag', [b.exp(b.mul(z, b.f32(0.1)))]));
    output(model, b.add(x, c), 'out');
    return model;
  }

  /** out = x + ((2^24 + 1) − 2^24) with float32 constants. */
  function bigPlusOne(): Model {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [1]);
    const big = b.initializer('big', f32([16777216], [1]));
    output(model, b.add(x, b.sub(b.add(big, b.initializer('one', f32([1], [1]))), big)), 'out');
    return model;
  }

  it('one node folds to its float64 result rounded to float32; a chain stays within float32 rounding', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [3, 2]);
    const a = randomTensor([3, 4], 1), m = randomTensor([4, 2], 2);
    output(model, b.add(x, b.matmul(b.initializer('a', a), b.initializer('m', m))), 'out');
    const ref = evalF64(model, { x: f32(new Array(6).fill(0), [3, 2]) }).get('out')!.data;
    fold(model);
    expect(opsOf(model)).toEqual(['Add']);
    expect(Array.from(constantInput(model, 'out', 1))).toEqual(Array.from(ref, Math.fround));

    const chain = chainModel();
    const zeros = { x: f32(new Array(6).fill(0), [3, 2]) };
    const chainRef = evalF64(chain, zeros).get('out')!.data; // x = 0: out = C exactly
    expect(fold(chain)).toBe(true);
    expect(opsOf(chain)).toEqual(['Add']);
    expect(chain.graph.initializers).toHaveLength(1); // a, m, w and the scalars are gone
    const peak = Math.max(...Array.from(chainRef, Math.abs));
    // Each folded node is rounded to float32 today (see the known bug below): a few ulps.
    expect(maxAbsDiff(constantInput(chain, 'out', 1), chainRef)).toBeLessThanOrEqual(8 * peak * 2 ** -24);
  });

  it('the float32 graph loses (2^24 + 1) − 2^24 = 1 to rounding', async () => {
    const feeds = { x: f32([0], [1]) };
    const inFloat32 = (await runOrt(bigPlusOne(), feeds)).get('out')!.data as Float32Array;
    expect(inFloat32[0]).toBe(0); // 2^24 + 1 rounds to 2^24 in float32
  });

  // Each folded node hands the next one its float64 result; only what is stored as an initializer
  // is rounded to its dtype, so a constant chain is rounded once, not at every step.
  it('a constant chain is folded in float64 and rounded once', () => {
    const chain = chainModel();
    const chainRef = evalF64(chain, { x: f32(new Array(6).fill(0), [3, 2]) }).get('out')!.data;
    fold(chain);
    expect(Array.from(constantInput(chain, 'out', 1))).toEqual(Array.from(chainRef, Math.fround));
  });

  it('folding computes (2^24 + 1) − 2^24 = 1, where the float32 graph gives 0', () => {
    const model = bigPlusOne();
    fold(model);
    expect(Array.from(constantInput(model, 'out', 1))).toEqual([1]);
  });
});

describe('fold-constants: what stays', () => {
  it('nodes of a custom domain are not evaluated, nor what depends on them', () => {
    const { model, b } = newModel(17);
    model.opsetImports.set('com.example', 1);
    const x = input(model, 'x', [2]);
    const c = b.initializer('c', f32([1, 2], [2]));
    const custom = model.graph.createNode('com.example', 'Mystery', [c], {}, 1, { outputTypes: [tensorType('float32', [2])] });
    const y = b.exp(custom.outputs[0]!);
    output(model, b.add(x, b.add(y, b.exp(c))), 'out');
    fold(model);
    expect(opsOf(model)).toEqual(['com.example.Mystery', 'Exp', 'Add', 'Add']);
    expect(model.graph.initializers.map((v) => v.name)).toEqual(['c', 'exp_1.folded']);
  });

  it('a result over 256 MiB is left as a node', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', []);
    // 68·10^6 float32 zeros = 272 MB (never allocated: the size is known before evaluating).
    const big = b.op('ConstantOfShape', [b.i64([68_000_000], [1], 'n')], { value: f32([0], [1]) });
    output(model, b.add(x, b.op('ReduceSum', [big], { keepdims: 0 })), 'out');
    fold(model);
    expect(opsOf(model)).toEqual(['ConstantOfShape', 'ReduceSum', 'Add']);
    expect(model.graph.nodes[0]!.docString).toMatch(/kept, its result would be 259\.4 MiB \(limit 256 MiB\)/);
  });

  it('a folded graph output keeps its public name (not "<name>.folded")', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3]);
    output(model, b.op('Shape', [x]), 'shape');
    output(model, b.exp(b.f32([1, 2], [2])), 'e');
    fold(model);
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['shape', 'e']);
  });

  it('a dtype the interpreter cannot produce (float16) is left alone, its float32 neighbours still fold', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const rem = b.op('Mod', [b.i64([5, 7]), b.i64([3, 3])]); // folds: [2, 1]
    const half = b.cast(b.f32([1, 2]), 10); // float16
    output(model, b.add(x, b.add(b.cast(rem, 1), b.cast(half, 1))), 'out');
    fold(model);
    expect(opsOf(model)).not.toContain('Mod');
    expect(opsOf(model)).toEqual(expect.arrayContaining(['Cast']));
  });

  it('the 256 MiB limit counts bytes, not elements (37.7·10^6 int64 = 288 MiB)', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', []);
    const big = b.op('ConstantOfShape', [b.i64([37_748_736], [1], 'n')], { value: i64([1], [1]) });
    output(model, b.add(x, b.cast(b.op('ReduceSum', [big], { keepdims: 0 }), 1)), 'out');
    fold(model);
    expect(opsOf(model)).toContain('ConstantOfShape');
  });
});
