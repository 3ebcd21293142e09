/**
 * Layers as the unit of composition (src/models/layer.ts): `sequential` and `positionwise` on toy
 * layers, then a model made of existing layers under prefixes — two S4D blocks in residual blocks
 * with a LayerNorm (post- and pre-norm), as the official backbones stack them, with a layer whose
 * state is real (the previous input) between them — compiled in every mode by the same
 * driver, with no arch code that asks which mode it is in: conv matches the float64 reference,
 * step by step matches conv, and prefill + steps continue it.
 */
import { describe, expect, it } from 'vitest';
import { ARCHS, type ArgSchema, buildModel, compareToReference, compileModel, type CompileOptions, defineArch, describeComparison, hasRecurrence, initialWeights, type Layer, type LayerContext, modelToBytes, positionwise, readStates, residual, resolveArgs, Rng, runSteps, sequential, zeroStates } from 'ssmc';
import { evaluateModel, f32, fromTensor, type Tensor, type Value } from 'ssmc/ir';
import { createSession, runOnnx } from 'ssmc/runtime';
import { s4BlockLayer, s4BlockSchema } from '../../src/models/s4-block.js';
import { randomTensor } from '../helpers/graphs.js';

/** A toy stateless layer: adds `c` (its one parameter) to every feature. */
function addConstant(name: string, c: number): Layer {
  return positionwise({
    params: () => [{ name, shape: [], dtype: 'float32' }],
    init: () => [[name, f32([c], [])]],
    apply: ({ b, params }: LayerContext, x: Value) => b.add(x, params.real(name)),
  });
}

describe('sequential and positionwise', () => {
  const stateless = sequential([addConstant('a', 1), addConstant('b', 2)]);

  it('concatenate parameters and initialisations in order', () => {
    expect(stateless.params().map((p) => p.name)).toEqual(['a', 'b']);
    expect(stateless.init(new Rng(0)).map(([n, t]) => [n, Array.from(t.data as Float32Array)])).toEqual([['a', [1]], ['b', [2]]]);
  });

  it('a stateless layer steps with its one function; a chain without state has a recurrence', () => {
    expect(hasRecurrence(stateless.recurrence)).toBe(true);
  });

  it('a chain has no recurrence when one layer has none, and says which reason', () => {
    const bidirectional: Layer = { ...addConstant('c', 3), recurrence: { none: 'needs the future of the sequence' } };
    const chain = sequential([addConstant('a', 1), bidirectional, addConstant('b', 2)]);
    expect(chain.recurrence).toEqual({ none: 'needs the future of the sequence' });
  });

  it('residual: the norm’s parameters first; a recurrence exactly when the inner layer and the norm have one', () => {
    const block = residual(addConstant('inner', 1), { norm: addConstant('norm', 2) });
    expect(block.params().map((p) => p.name)).toEqual(['norm', 'inner']);
    expect(hasRecurrence(block.recurrence)).toBe(true);
    const noState: Layer = { ...addConstant('c', 3), recurrence: { none: 'needs the future of the sequence' } };
    expect(residual(noState, { norm: addConstant('n', 1) }).recurrence).toEqual({ none: 'needs the future of the sequence' });
  });
});

/**
 * Two diagonal S4 blocks under prefixes, each in a residual with a LayerNorm as the official
 * backbones wrap them: the first post-norm, the second pre-norm.
 */
const H = 3;
const blockArgs = resolveArgs('s4-block', s4BlockSchema, { d_model: H, d_state: 8, mode: 'diag', init: 'diag-inv', disc: 'bilinear', transposed: false });
function layerNormLayer(prefix: string): Layer {
  const [w, bias] = [`${prefix}weight`, `${prefix}bias`];
  return positionwise({
    params: () => [{ name: w, shape: [H], dtype: 'float32' }, { name: bias, shape: [H], dtype: 'float32' }],
    init: (rng) => [[w, f32(Array.from({ length: H }, () => 1 + 0.2 * rng.normal()), [H])], [bias, f32(Array.from({ length: H }, () => 0.1 * rng.normal()), [H])]],
    apply: ({ b, params }, x) => b.op('LayerNormalization', [x, params.real(w), params.real(bias)], { axis: -1, epsilon: { kind: 'float', value: 1e-5 } }),
  });
}
/**
 * A layer with a real state: y_t = x_t + a ⊙ x_{t−1} (a two-tap causal filter per feature), whose
 * step form keeps the previous input as float32 [batch, H].
 */
function previousInputLayer(name: string): Layer {
  const a = `${name}.a`;
  const meaning = 'the previous input position';
  return {
    params: () => [{ name: a, shape: [H], dtype: 'float32' }],
    init: (rng) => [[a, f32(Array.from({ length: H }, () => rng.normal()), [H])]],
    conv: ({ b, params }, x) => b.add(x, b.mul(params.real(a), b.slice(b.op('Pad', [x, b.i64([0, 1, 0, 0, 0, 0])]), [0], [-1], [1]))),
    recurrence: {
      step: ({ b, params }, x, states) => {
        const y = b.add(x, b.mul(params.real(a), states.tensor(name, [H], meaning)));
        states.setOut(name, x);
        return y;
      },
      prefill: ({ b, params }, x, final) => {
        final.setTensor(name, [H], b.squeeze(b.slice(x, [-1], [Number.MAX_SAFE_INTEGER], [1]), [1]), meaning);
        return b.add(x, b.mul(params.real(a), b.slice(b.op('Pad', [x, b.i64([0, 1, 0, 0, 0, 0])]), [0], [-1], [1])));
      },
    },
  };
}

const twoBlocks = defineArch({
  id: 'two-s4d-blocks',
  official: 'test: two S4Blocks in residual blocks with LayerNorm, post- and pre-norm',
  schema: {} as const satisfies ArgSchema,
  layer: () => sequential([
    residual(s4BlockLayer(blockArgs, 'layers.0.'), { norm: layerNormLayer('layers.0.norm.'), placement: 'post' }),
    previousInputLayer('mix'),
    residual(s4BlockLayer(blockArgs, 'layers.1.'), { norm: layerNormLayer('layers.1.norm.'), placement: 'pre' }),
  ]),
  io: () => ({ inputDtype: 'float32', inputShape: (L) => ['batch', L, H], outputShape: (L) => ['batch', L, H], step: { input: ['batch', H], output: ['batch', H] }, layout: 'BLH' }),
});
const archs = [...ARCHS, twoBlocks];

describe('a model composed of layers under prefixes, in every mode', () => {
  const file = { arch: 'two-s4d-blocks', args: {}, seed: 4 };
  const weights = { tensors: initialWeights(file, archs), source: 'init' };
  const opts: CompileOptions = { seqLen: null, opset: 17, archs };
  const B = 2, L = 40, PREFIX = 25;
  const x = randomTensor([B, L, H], 9);
  const slice = (from: number, to: number): Tensor => {
    const d = x.data as Float32Array, out = new Float32Array(B * (to - from) * H);
    for (let b = 0; b < B; b++) for (let t = from; t < to; t++) for (let h = 0; h < H; h++) out[(b * (to - from) + t - from) * H + h] = d[(b * L + t) * H + h]!;
    return f32(out, [B, to - from, H]);
  };

  it('parameters carry their prefixes; every SSM core is a layer with a state of its own', () => {
    expect([...weights.tensors.keys()].filter((k) => k.endsWith('.D') || k.includes('norm'))).toEqual(['layers.0.norm.weight', 'layers.0.norm.bias', 'layers.0.layer.D', 'layers.1.norm.weight', 'layers.1.norm.bias', 'layers.1.layer.D']);
    const conv = compileModel(file, weights, opts);
    expect(conv.layers.map((l) => [l.name, l.family, l.kernel])).toEqual([['layers.0.layer', 'two-s4d-blocks', 'diag-bilinear'], ['layers.1.layer', 'two-s4d-blocks', 'diag-bilinear']]);
    const step = compileModel(file, weights, { ...opts, mode: 'step' }).model;
    expect(readStates(step).map((s) => [s.input, s.output, s.shape])).toEqual([
      ['state.layers.0.layer', 'state_out.layers.0.layer', ['batch', H, 2, 4]],
      ['state.mix', 'state_out.mix', ['batch', H]],
      ['state.layers.1.layer', 'state_out.layers.1.layer', ['batch', H, 2, 4]],
    ]);
    expect(readStates(step)[1]!.meaning).toBe('the previous input position; zeros at the start of a sequence');
  });

  it('conv matches the float64 reference; steps from zero match conv; prefill + steps continue it', async () => {
    const built = compileModel(file, weights, { ...opts, lowering: 'chunked' }).model;
    const full = (await runOnnx(modelToBytes(built), new Map([['input', x]]))).get('output')!;
    const highLevel = buildModel(file, weights, opts).model;
    const ref = evaluateModel(highLevel, { input: fromTensor(x) }).get('output')!;
    const cmp = compareToReference(full.data as Float32Array, ref.data);
    expect(cmp.ok, describeComparison('conv vs float64', cmp)).toBe(true);

    const step = compileModel(file, weights, { ...opts, mode: 'step' }).model;
    const specs = readStates(step);
    const session = await createSession(modelToBytes(step));
    const at = (t: number) => f32(slice(t, t + 1).data as Float32Array, [B, H]);
    const positionsOf = (y: Tensor, from: number, to: number) => Array.from({ length: B * (to - from) * H }, (_, i) => {
      const b = Math.floor(i / ((to - from) * H)), t = Math.floor(i / H) % (to - from), h = i % H;
      return (y.data as Float32Array)[(b * L + from + t) * H + h]!;
    });
    const gather = (outs: Tensor[]) => Array.from({ length: B * outs.length * H }, (_, i) => {
      const b = Math.floor(i / (outs.length * H)), t = Math.floor(i / H) % outs.length, h = i % H;
      return (outs[t]!.data as Float32Array)[b * H + h]!;
    });
    const stepped = await runSteps(session, specs, L, at, zeroStates(specs, B));
    const cmpStep = compareToReference(gather(stepped.outputs), positionsOf(full, 0, L));
    expect(cmpStep.ok, describeComparison('steps vs conv', cmpStep)).toBe(true);

    const prefill = compileModel(file, weights, { ...opts, mode: 'prefill' }).model;
    const pre = await runOnnx(modelToBytes(prefill), new Map([['input', slice(0, PREFIX)]]));
    const rest = await runSteps(session, specs, L - PREFIX, (t) => at(PREFIX + t), new Map(specs.map((s) => [s.input, pre.get(s.output)!])));
    await session.release();
    const cmpRest = compareToReference(gather(rest.outputs), positionsOf(full, PREFIX, L));
    expect(cmpRest.ok, describeComparison('prefill + steps vs conv', cmpRest)).toBe(true);
  });
});
