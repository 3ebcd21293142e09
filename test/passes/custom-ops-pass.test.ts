/**
 * outline-custom-ops / seal-custom-ops and lower-diag-step on small hand-built graphs: where the
 * passes sit in the pipeline, one body shared by call sites that differ only in `scale` (a
 * reference attribute), a function of its own for every other signature, the DiagSSMStep op
 * lowered or outlined, and the numbers of each against the high-level float64 interpreter.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, modelToBytes, Rng } from 'ssmc';
import { c64, longConv, type Model, SSMC_DOMAIN, type Tensor, typeToString, verifyModel } from 'ssmc/ir';
import { type CompileTarget, defaultPipeline, runPipeline } from 'ssmc/passes';
import { vandermondeStep } from '../../src/models/step.js';
import { evalF64, input, newModel, randomTensor, runOrt } from '../helpers/graphs.js';

function randomComplex(dims: number[], seed: number, shift = 0): Tensor {
  const rng = new Rng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return c64(Array.from({ length: n }, () => shift - Math.abs(0.3 * rng.normal())), Array.from({ length: n }, () => rng.normal()), dims);
}

/** Run the pipeline on `build()`'s model and check it against the float64 interpreter on the unlowered one. */
async function lowerAndCompare(build: () => Model, feeds: Record<string, Tensor>, target: CompileTarget): Promise<Model> {
  const reference = evalF64(build(), feeds);
  const model = build();
  runPipeline(model, target, defaultPipeline());
  verifyModel(model);
  const ort = await runOrt(model, feeds);
  const interp = evalF64(model, feeds);
  for (const [name, ref] of reference) {
    for (const [how, got] of [['onnxruntime-node', ort.get(name)!.data as Float32Array], ['float64 interpreter', interp.get(name)!.data]] as const) {
      const cmp = compareToReference(got, ref.data);
      expect(cmp.ok, describeComparison(`${name} (${how})`, cmp)).toBe(true);
    }
  }
  return model;
}

describe('the pipeline', () => {
  it('outlines after select-lowering (calls carry the chosen lowering) and before every lowering of a high-level op; seals last', () => {
    const names = defaultPipeline().map((p) => p.name);
    const outline = names.indexOf('outline-custom-ops');
    expect(outline).toBe(names.indexOf('select-lowering') + 1);
    for (const [i, n] of names.entries()) {
      if (/^lower-/.test(n) && n !== 'lower-discretize') expect(i, `${n} must come after outline-custom-ops`).toBeGreaterThan(outline);
    }
    expect(names.at(-1)).toBe('seal-custom-ops');
    expect(names.indexOf('lower-diag-step')).toBeLessThan(names.indexOf('lower-complex'));
  });
});

describe('outline-custom-ops', () => {
  const B = 2, H = 3, N = 4, L = 16;
  /** Two diagonal kernels, scale 2 and scale 1, each convolved with the input (the dft lowering forms their taps); the sum is returned. */
  const twoKernels = (opset: number) => () => {
    const { model, b } = newModel(opset);
    const u = input(model, 'u', ['batch', H, L]);
    const lambda = b.initializer('lambda', randomComplex([H, N], 1));
    const len = b.i64(L, [], 'L');
    const ys = [2, 1].map((scale, i) => {
      const coef = b.initializer(`coef${i}`, randomComplex([1, H, N], 2 + i));
      return longConv(b, { kernel: 'diagonal', u, length: len, scale, causal: { lambda, coef }, reverse: null });
    });
    const y = b.add(ys[0]!, ys[1]!);
    model.graph.renameValue(y, 'y');
    model.graph.outputs.push(y);
    return model;
  };

  it.each([17, 20])('call sites that differ only in scale share one body, which reads the caller\'s scale (opset %i)', async (opset) => {
    const model = await lowerAndCompare(twoKernels(opset), { u: randomTensor([B, H, L], 5) }, { opset, lowering: 'dft', customOps: true });
    const calls = model.graph.nodes.filter((n) => n.domain === SSMC_DOMAIN);
    expect(calls.map((n) => n.op)).toEqual(['Vandermonde', 'LongConv', 'Vandermonde', 'LongConv']);
    expect(calls.filter((n) => n.op === 'Vandermonde').map((n) => n.attrs.get('scale'))).toEqual([{ kind: 'float', value: 2 }, { kind: 'float', value: 1 }]);
    expect(calls.filter((n) => n.op === 'LongConv').map((n) => n.attrs.get('lowering'))).toEqual([{ kind: 'string', value: 'dft' }, { kind: 'string', value: 'dft' }]);
    // Complex operands travel as float32 [..., 2].
    const v = calls[0]!;
    expect(v.inputs.map((x) => typeToString(x!.type))).toEqual(['f32[3,4,2]', 'f32[1,3,4,2]', 'i64[]']);
    expect(model.functions.map((f) => f.name)).toEqual(['LongConv', 'Vandermonde']);
    const body = model.findFunction(SSMC_DOMAIN, 'Vandermonde')!;
    expect(body.attributes).toEqual(['scale']);
    const refs = body.body.nodes.filter((n) => n.op === 'Constant' && n.attrs.get('value_float')?.kind === 'ref');
    expect(refs.map((n) => n.attrs.get('value_float'))).toEqual([{ kind: 'ref', refName: 'scale', refKind: 'float' }]);
    expect(modelToBytes(model)).toEqual(modelToBytes((() => {
      const again = twoKernels(opset)();
      runPipeline(again, { opset, lowering: 'dft', customOps: true }, defaultPipeline());
      return again;
    })()));
  });

  it('call sites whose bodies differ get functions of their own: LongConv, LongConv_2', async () => {
    const build = () => {
      const { model, b } = newModel(17);
      const u = input(model, 'u', ['batch', H, L]);
      const ys = [L, 3 * L].map((len, i) => longConv(b, { kernel: 'taps', u, k: input(model, `k${i}`, [1, H, len]), kRev: null }));
      const y = b.add(ys[0]!, ys[1]!);
      model.graph.renameValue(y, 'y');
      model.graph.outputs.push(y);
      return model;
    };
    const feeds = { u: randomTensor([B, H, L], 7), k0: randomTensor([1, H, L], 8), k1: randomTensor([1, H, 3 * L], 9) };
    const model = await lowerAndCompare(build, feeds, { opset: 17, lowering: 'dft', customOps: true });
    expect(model.graph.nodes.filter((n) => n.domain === SSMC_DOMAIN).map((n) => n.op)).toEqual(['LongConv', 'LongConv_2']);
    expect(model.functions.map((f) => f.name)).toEqual(['LongConv', 'LongConv_2']);
  });

  it('does nothing without customOps: no functions, no calls', async () => {
    const model = await lowerAndCompare(twoKernels(17), { u: randomTensor([B, H, L], 5) }, { opset: 17, lowering: 'dft' });
    expect(model.functions).toEqual([]);
    expect(model.graph.nodes.filter((n) => n.domain !== '')).toEqual([]);
  });
});

describe('DiagSSMStep', () => {
  const B = 2, H = 3, N = 4, C = 2;
  /** One step of a shared-λ diagonal SSM (as GSS and DSS have) with the state as a float32 [B,H,N,2] input. */
  const step = () => {
    const { model, b } = newModel(17);
    const state = input(model, 'state', ['batch', H, N, 2]);
    const u = input(model, 'u', ['batch', H]);
    const part = (i: number) => b.op('Gather', [state, b.i64(i, [], 'part')], { axis: -1 });
    const x = b.ssm('Complex', [part(0), part(1)]);
    const lambda = b.initializer('lambda', randomComplex([N], 3));
    const coef = b.initializer('coef', randomComplex([C, H, N], 4, 0.5));
    const { y, next } = vandermondeStep(b, lambda, coef, 2, u, x);
    const packed = b.concat([b.unsqueeze(b.ssm('Real', [next]), [3]), b.unsqueeze(b.ssm('Imag', [next]), [3])], 3);
    model.graph.renameValue(y, 'y');
    model.graph.renameValue(packed, 'state_out');
    model.graph.outputs.push(y, packed);
    return model;
  };
  const feeds = { state: randomTensor([B, H, N, 2], 11), u: randomTensor([B, H], 12) };

  it('is one high-level node with its inferred types', () => {
    const model = step();
    const node = model.graph.nodes.find((n) => n.op === 'DiagSSMStep')!;
    expect(node.domain).toBe(SSMC_DOMAIN);
    expect(node.outputs.map((v) => typeToString(v.type))).toEqual(['f32[batch,2,3]', 'c64[batch,3,4]']);
  });

  it('lower-diag-step expands it into standard complex ops that match the float64 kernel', async () => {
    const model = await lowerAndCompare(step, feeds, { opset: 17 });
    expect(model.graph.nodes.filter((n) => n.domain !== '')).toEqual([]);
    expect(model.graph.nodes.map((n) => n.op)).toContain('ReduceSum');
  });

  it.each([17, 20])('--custom-ops keeps it as a call that reads the state input as is (opset %i)', async (opset) => {
    const model = await lowerAndCompare(step, feeds, { opset, customOps: true });
    const calls = model.graph.nodes.filter((n) => n.domain === SSMC_DOMAIN);
    expect(calls.map((n) => n.op)).toEqual(['DiagSSMStep']);
    expect(calls[0]!.inputs[0]).toBe(model.graph.inputs[0]); // no unpack-repack of the state
    expect(calls[0]!.outputs.map((v) => typeToString(v.type))).toEqual(['f32[batch,2,3]', 'f32[batch,3,4,2]']);
    expect(model.functions.map((f) => [f.name, f.attributes])).toEqual([['DiagSSMStep', ['scale']]]);
  });
});
