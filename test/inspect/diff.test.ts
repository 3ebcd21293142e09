import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from 'ssmc';
import { f32, type Model, tensorType } from 'ssmc/ir';
import { diffModels, formatDiff, valueDelta } from 'ssmc/inspect';
import { runDiff } from '../../src/cli/diff-command.js';
import { mlpModel, W } from '../export/fixtures.js';
import { convModel, loopModel, scanModel } from './models.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const viaBytes = (m: Model) => modelFromBytes(modelToBytes(m));

/** The mlp with W[k] moved by `delta`. */
function perturbed(k: number, delta: number): Model {
  const m = mlpModel();
  const w = m.graph.initializers.find((v) => v.name === 'W')!;
  const data = Float32Array.from(W);
  data[k]! += delta;
  w.constant = f32(data, [4, 3]);
  return viaBytes(m);
}

describe('diffModels', () => {
  it('finds nothing between a model and itself read back', () => {
    for (const make of [mlpModel, convModel, loopModel]) {
      const d = diffModels(viaBytes(make()), viaBytes(make()));
      expect(d.identical).toBe(true);
      expect(formatDiff(d)).toBe('no structural or initializer differences');
    }
  });

  it('reports initializer value differences as max abs and max rel', () => {
    const d = diffModels(viaBytes(mlpModel()), perturbed(4, 0.5));
    expect(d.identical).toBe(false);
    expect(d.initializers.values).toHaveLength(1);
    const v = d.initializers.values[0]!;
    expect(v.name).toBe('W');
    expect(v.count).toBe(12);
    expect(v.maxAbs).toBeCloseTo(0.5, TOL.F32_DIGITS);
    expect(v.maxRel).toBeCloseTo(0.5 / Math.abs(W[4]! + 0.5), TOL.F32_DIGITS);
    expect(formatDiff(d)).toMatch(/initializer values \(max abs \/ max rel difference\):\n\s+W\s+5\.000e-1/);
  });

  it('reports changed attributes, shapes, added and removed nodes and op counts', () => {
    const a = viaBytes(convModel());
    const b = convModel();
    const conv = b.graph.nodes.find((n) => n.op === 'Conv')!;
    conv.attrs.set('pads', { kind: 'ints', value: [0, 0, 0, 0] });
    b.graph.inputs[0]!.type = tensorType('float32', ['batch', 3, 32, 32]);
    const relu = b.graph.nodes.find((n) => n.op === 'Relu')!;
    relu.op = 'Sigmoid';
    const d = diffModels(a, viaBytes(b));
    expect(d.interface).toEqual(['input x: f32[batch,3,16,16] → f32[batch,3,32,32]']);
    expect(d.nodes.changed.find((c) => c.node === "Conv '/features/features.0/Conv'")!.changes).toContain('attribute pads: [1,1,1,1] → [0,0,0,0]');
    expect(d.ops).toEqual([{ op: 'Relu', a: 1, b: 0 }, { op: 'Sigmoid', a: 0, b: 1 }]);
    expect(d.nodes.changed.find((c) => c.node === "Relu '/features/features.1/Relu'")!.changes).toContain('op Relu → Sigmoid');

    const c = convModel();
    const g = c.graph;
    const y = g.outputs[0]!;
    const extra = g.createNode('', 'Relu', [y], {}, 1, { name: 'extra_relu', outputNames: ['y2'], outputTypes: [y.type] }).outputs[0]!;
    g.outputs[0] = extra;
    const e = diffModels(a, viaBytes(c));
    expect(e.nodes.added).toEqual(["Relu 'extra_relu'"]);
    expect(e.interface).toEqual(['output y removed', 'output y2 added: f32[batch,10]']);
  });

  it('reports subgraph and initializer changes inside Loop bodies and added or removed initializers', () => {
    const b = loopModel();
    const loop = b.graph.nodes[0]!;
    const body = (loop.attrs.get('body') as { kind: 'graph'; value: Model['graph'] }).value;
    body.nodes[1]!.op = 'Sub';
    b.graph.addInitializer('unused', f32([1], [1]));
    const d = diffModels(viaBytes(loopModel()), viaBytes(b));
    expect(d.nodes.changed).toEqual([{ node: "Loop 'y'", changes: ['subgraph body differs'] }]);
    expect(d.initializers.added).toEqual(['unused']);
    expect(d.ops).toEqual([{ op: 'Add', a: 1, b: 0 }, { op: 'Sub', a: 0, b: 1 }]);
  });

  it('counts NaN against a number as an infinite difference', () => {
    expect(valueDelta([1, NaN, 3], [1, 2, 3]).maxAbs).toBe(Infinity);
    expect(valueDelta([NaN], [NaN]).maxAbs).toBe(0);
    expect(valueDelta([0, -2], [0, -1])).toEqual({ maxAbs: 1, maxRel: 0.5, count: 2 });
  });
});

describe('runDiff (ssmc diff --run)', () => {
  it('runs both models in onnxruntime on the same random inputs and compares the outputs', async () => {
    const a = viaBytes(mlpModel());
    const same = await runDiff(a, modelToBytes(a), a, modelToBytes(a), {}, 1);
    expect(same.dims).toEqual({ batch: 1 });
    expect(same.outputs).toEqual([{ name: 'y', problem: null, maxAbs: 0, maxRel: 0, count: 3 }]);
    const b = perturbed(4, 0.5);
    const diff = await runDiff(a, modelToBytes(a), b, modelToBytes(b), { batch: 7 }, 1);
    expect(diff.dims).toEqual({ batch: 7 });
    const y = diff.outputs[0]!;
    expect(y.count).toBe(21);
    // Only W[1][1] moved by 0.5: each output moves by at most 0.5·|x[:,1]| (Relu can only shrink it).
    expect(y.maxAbs).toBeGreaterThan(0);
    expect(y.maxAbs).toBeLessThan(0.5 * 5);
  });

  it('needs the same input names in both models, and explains what onnxruntime refused', async () => {
    const a = viaBytes(mlpModel());
    const s = viaBytes(scanModel());
    await expect(runDiff(a, modelToBytes(a), s, modelToBytes(s), {}, 1)).rejects.toThrow(/input 'x' of the first model is not an input of the second/);
    const c = viaBytes(convModel());
    await expect(runDiff(a, modelToBytes(a), c, modelToBytes(c), {}, 1)).rejects.toThrow(/input 'x' is f32\[batch,4\] in the first model but f32\[batch,3,16,16\] in the second/);
    // Same declared interface, but the second model's graph cannot take the tensor: onnxruntime says why.
    const bad = mlpModel();
    bad.graph.initializers.find((v) => v.name === 'W')!.constant = f32(Array.from({ length: 15 }, () => 1), [5, 3]);
    const badBytes = modelToBytes(bad);
    await expect(runDiff(a, modelToBytes(a), modelFromBytes(badBytes), badBytes, {}, 1)).rejects.toThrow(/onnxruntime could not run the second model on the random inputs \(x \[1,4\]\)/);
  });
});
