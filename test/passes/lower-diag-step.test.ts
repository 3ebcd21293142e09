/**
 * lower-diag-step on a state read from a planar interface tensor [batch, H, 2, N] (how step graphs
 * lay out their states, src/state-layout.ts): whole-tensor real ops on the state as it comes, the
 * new state returned as the tensor the update made (simplify-views removes the split-and-repack
 * round trip), every op counted — in standard ops (--portable) and with onnxruntime's
 * RotaryEmbedding (every onnxruntime target); numbers against the float64 interpreter on the unlowered
 * op, from onnxruntime and from the interpreter on the lowered graph.
 * And simplify-views on its own: what it folds and what it must leave alone.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, Rng } from 'ssmc';
import { c64, type Model, MS_DOMAIN, printModel, type Tensor, type Value } from 'ssmc/ir';
import type { CompileTarget } from 'ssmc/passes';
import { defaultPipeline, runPipeline, simplifyViewsPass } from 'ssmc/passes';
import { vandermondeStep } from '../../src/models/step.js';
import { evalF64, input, maxAbsDiff, newModel, opsOf, randomTensor, runOrt } from '../helpers/graphs.js';

function randomComplex(dims: number[], seed: number, shift = 0): Tensor {
  const rng = new Rng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return c64(Array.from({ length: n }, () => shift - Math.abs(0.3 * rng.normal())), Array.from({ length: n }, () => rng.normal()), dims);
}

function histogram(model: Model): Record<string, number> {
  const h: Record<string, number> = {};
  for (const op of opsOf(model)) h[op] = (h[op] ?? 0) + 1;
  return h;
}

const B = 2, H = 3, N = 5;

/** One step with the state as StateIo lays it out: planar [batch,H,2,N] or interleaved [batch,H,N,2]. */
function stepModel(layout: 'planar' | 'interleaved', C: number, sharedLambda: boolean) {
  return () => {
    const { model, b } = newModel(17);
    const axis = layout === 'planar' ? 2 : 3;
    const state = input(model, 'state', layout === 'planar' ? ['batch', H, 2, N] : ['batch', H, N, 2]);
    const u = input(model, 'u', ['batch', H]);
    const part = (v: Value, i: number) => b.op('Gather', [v, b.i64(i, [], 'part')], { axis });
    const x = b.ssm('Complex', [part(state, 0), part(state, 1)]);
    const lambda = b.initializer('lambda', randomComplex(sharedLambda ? [N] : [H, N], 3));
    const coef = b.initializer('coef', randomComplex([C, H, N], 4, 0.5));
    const { y, next } = vandermondeStep(b, lambda, coef, 2, u, x);
    const packed = b.concat([b.unsqueeze(b.ssm('Real', [next]), [axis]), b.unsqueeze(b.ssm('Imag', [next]), [axis])], axis);
    model.graph.renameValue(y, 'y');
    model.graph.renameValue(packed, 'state_out');
    model.graph.outputs.push(y, packed);
    return model;
  };
}

const STANDARD: CompileTarget = { opset: 17, portable: true };

async function lowerAndCompare(build: () => Model, layout: 'planar' | 'interleaved', target: CompileTarget = STANDARD): Promise<Model> {
  const feeds = { state: randomTensor(layout === 'planar' ? [B, H, 2, N] : [B, H, N, 2], 11), u: randomTensor([B, H], 12) };
  const reference = evalF64(build(), feeds);
  const model = build();
  runPipeline(model, target, defaultPipeline());
  const ort = await runOrt(model, feeds);
  const lowered = evalF64(model, feeds);
  for (const [name, ref] of reference) {
    const cmp = compareToReference(ort.get(name)!.data as Float32Array, ref.data);
    expect(cmp.ok, describeComparison(`${name} (onnxruntime-node)`, cmp)).toBe(true);
    // The lowered graph in float64: the same function, only float32 constants apart.
    expect(maxAbsDiff(lowered.get(name)!.data, ref.data)).toBeLessThan(1e-5);
  }
  return model;
}

describe('lower-diag-step on a planar state', () => {
  it.each([
    ['one output channel, λ shared by the channels (GSS, DSS)', 1, true],
    ['one output channel, λ per channel (S4D)', 1, false],
  ] as const)('%s: ten ops, the new state straight from the update', async (_name, C, shared) => {
    const model = await lowerAndCompare(stepModel('planar', C, shared), 'planar');
    // exchange the planes (a Gather of [1, 0]), s⊙P + swap(s)⊙Q, (u, 0) added; y = Σ s'⊙W over planes and modes
    expect(histogram(model)).toEqual({ Gather: 1, Mul: 3, Add: 2, Unsqueeze: 2, Pad: 1, ReduceSum: 1 });
    expect(model.graph.outputs[1]!.producer!.op).toBe('Add');
    expect(model.graph.outputs[1]!.producer!.inputs.some((v) => v?.producer?.op === 'Pad')).toBe(true);
    expect(model.graph.outputs[1]!.producer!.inputs.some((v) => v?.producer?.op === 'Pad')).toBe(true);
  });

  it('two output channels: the coefficients [C,H,2,N] against the state unsqueezed once', async () => {
    const model = await lowerAndCompare(stepModel('planar', 2, true), 'planar');
    expect(histogram(model)).toEqual({ Gather: 1, Mul: 3, Add: 2, Unsqueeze: 2, Pad: 1, ReduceSum: 1 });
    expect(model.graph.outputs[0]!.type.shape).toEqual(['batch', 2, H]);
  });

  it.each([
    ['λ shared by the channels (GSS, DSS): the caches repeat it per channel', true],
    ['λ per channel (S4D): the caches are λ itself', false],
  ] as const)('onnxruntime targets, %s: s⊙P + swap(s)⊙Q is one RotaryEmbedding', async (_name, shared) => {
    for (const runtime of [undefined, 'ort-cpu', 'ort-wasm', 'ort-webgpu']) {
      const model = await lowerAndCompare(stepModel('planar', 1, shared), 'planar', { opset: 17, runtime });
      // the state viewed as [1, batch, H, 2N] and back, rotated, (u, 0) added; y as before
      expect(histogram(model)).toEqual({ 'com.microsoft.RotaryEmbedding': 1, Reshape: 2, Mul: 1, Add: 1, Unsqueeze: 2, Pad: 1, ReduceSum: 1 });
      expect(model.opsetImports.get(MS_DOMAIN)).toBe(1);
      const rotary = model.graph.nodes.find((n) => n.domain === MS_DOMAIN)!;
      expect(rotary.inputs.slice(2).map((v) => v!.type.shape)).toEqual([[H, N], [H, N]]);
    }
  });

  it('--portable keeps standard ops, for every runtime', async () => {
    for (const target of [{ opset: 17, portable: true }, { opset: 17, runtime: 'ort-webgpu', portable: true }] satisfies CompileTarget[]) {
      const model = await lowerAndCompare(stepModel('planar', 1, true), 'planar', target);
      expect(histogram(model)).toEqual({ Gather: 1, Mul: 3, Add: 2, Unsqueeze: 2, Pad: 1, ReduceSum: 1 });
      expect(model.opsetImports.has(MS_DOMAIN)).toBe(false);
    }
  });

  it('an interleaved state keeps the complex form: parts split, updated and concatenated back', async () => {
    const model = await lowerAndCompare(stepModel('interleaved', 1, true), 'interleaved');
    const h = histogram(model);
    expect(h.Gather).toBe(2);
    expect(h.Concat).toBe(1);
    expect(h.Slice).toBeUndefined();
    // Also for onnxruntime targets: no RotaryEmbedding, and no contrib domain imported for nothing.
    const onnxruntime = await lowerAndCompare(stepModel('interleaved', 1, true), 'interleaved', { opset: 17, runtime: 'ort-cpu' });
    expect(histogram(onnxruntime)).toEqual(h);
    expect(onnxruntime.opsetImports.has(MS_DOMAIN)).toBe(false);
  });
});

describe('simplify-views', () => {
  it('folds a view of a view back to its source when the shapes agree, and a packed tensor split and concatenated back', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', ['batch', 3, 2, 4]);
    const round = b.squeeze(b.unsqueeze(x, [1]), [1]); // = x
    const parts = [0, 1].map((i) => b.unsqueeze(b.op('Gather', [round, b.i64(i, [], 'part')], { axis: 2 }), [2]));
    const repacked = b.concat(parts, 2); // = x
    const y = b.mul(repacked, b.f32(2));
    model.graph.renameValue(y, 'y');
    model.graph.outputs.push(y);
    expect(simplifyViewsPass.run(model, { opset: 17 }).changed).toBe(true);
    runPipeline(model, { opset: 17 }, defaultPipeline().filter((p) => p.name === 'dce'));
    expect(printModel(model)).toContain('%y = Mul(%x, %const');
    expect(opsOf(model)).toEqual(['Mul']);
  });

  it('leaves parts in another order, parts of two tensors, and a view that changes the shape', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', ['batch', 3, 2, 4]);
    const z = input(model, 'z', ['batch', 3, 2, 4]);
    const part = (v: Value, i: number) => b.unsqueeze(b.op('Gather', [v, b.i64(i, [], 'part')], { axis: 2 }), [2]);
    const swapped = b.concat([part(x, 1), part(x, 0)], 2);
    const mixed = b.concat([part(x, 0), part(z, 1)], 2);
    const reshaped = b.reshape(b.unsqueeze(x, [1]), [0, 6, 4]);
    for (const [i, v] of [swapped, mixed, reshaped].entries()) {
      model.graph.renameValue(v, `out${i}`);
      model.graph.outputs.push(v);
    }
    const before = printModel(model);
    expect(simplifyViewsPass.run(model, { opset: 17 }).changed).toBe(false);
    expect(printModel(model)).toBe(before);
  });

  it('a graph output that becomes a graph input keeps its name through an Identity, and the numbers', async () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', ['batch', 3, 2, 4]);
    const back = b.concat([0, 1].map((i) => b.unsqueeze(b.op('Gather', [x, b.i64(i, [], 'part')], { axis: 2 }), [2])), 2);
    model.graph.renameValue(back, 'same');
    model.graph.outputs.push(back);
    simplifyViewsPass.run(model, { opset: 17 });
    runPipeline(model, { opset: 17 }, defaultPipeline().filter((p) => p.name === 'dce'));
    expect(opsOf(model)).toEqual(['Identity']);
    const feed = randomTensor([2, 3, 2, 4], 5);
    const got = (await runOrt(model, { x: feed })).get('same')!.data as Float32Array;
    expect(maxAbsDiff(got, feed.data as Float32Array)).toBe(0); // an Identity: the same bits
  });
});
