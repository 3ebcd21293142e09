import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, modelToBytes } from 'ssmc';
import { evaluateModel, f32, fromTensor, type Model, printModel, verifyModel } from 'ssmc/ir';
import { classifyNodes, lowerPrecisionPass, ORT_CPU, PRECISION_POLICY, withClasses, type CompileTarget, type NumericClass } from 'ssmc/passes';
import { runOnnx } from 'ssmc/runtime';
import { input, newModel } from '../helpers/graphs.js';
import { FLOAT16_DEVICE, goldenAccuracyCase } from '../helpers/precision.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const TARGETS = [ORT_CPU, FLOAT16_DEVICE];
const pass = lowerPrecisionPass({ targets: TARGETS });

/**
 * y = (MatMul(x, W) + b) ⊙ k · 0.5, where the product by k stands for a long convolution's
 * lowering (its node made under the origin ai.ssmc.LongConv): dense, long-conv, dense again.
 */
function smallModel(): Model {
  const { model, b } = newModel(17);
  const x = input(model, 'x', [2, 4]);
  const W = b.initializer('W', f32([1, 2, 1 / 3, 0.25, -3, 1e-3, 1.1, -7], [4, 2]));
  const bias = b.initializer('b', f32([0.1, 0.2], [2]));
  const k = b.initializer('k', f32([1 / 3, 4 / 3], [2]));
  const h = b.add(b.matmul(x, W), bias);
  const g = model.graph.withOrigin('ai.ssmc.LongConv', () => b.mul(h, k));
  const y = b.mul(g, b.f32(0.5, [], 'half'));
  model.graph.renameValue(y, 'y');
  model.graph.outputs.push(y);
  return model;
}

function lower(model: Model, target: CompileTarget): void {
  const r = pass.run(model, target);
  expect(r.changed).toBe(true);
  expect(pass.ensures!(model, target)).toBeNull();
  verifyModel(model, { checkOpsets: true, noComplex: true });
}

const feeds = { x: f32([0.5, -1, 2, 0.25, 3, 1 / 7, -0.5, 8], [2, 4]) };
const evaluate = (m: Model, roundResults = false) => evaluateModel(m, { x: fromTensor(feeds.x) }, { roundResults }).get('y')!.data;

describe('lower-precision: IR before and after', () => {
  it('fp16 on onnxruntime\'s CPU: weights stored in float16 and cast up, the scalar kept, compute in float32', () => {
    const model = smallModel();
    const before = evaluate(model);
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,4]) -> (%y: f32[2,2]) {
        const %W: f32[4,2] = [1.0, 2.0, 0.333333343, 0.25, -3.0, 0.00100000005, 1.10000002, -7.0]
        const %b: f32[2] = [0.100000001, 0.200000003]
        const %k: f32[2] = [0.333333343, 1.33333337]
        const %half_1_1: f32[] = [0.5]
        %matmul = MatMul(%x, %W) : f32[2,2]
        %add = Add(%matmul, %b) : f32[2,2]
        %mul = Mul(%add, %k) : f32[2,2]
        %y = Mul(%mul, %half_1_1) : f32[2,2]
        return %y
      }"
    `);
    lower(model, { opset: 17, precision: 'fp16', runtime: 'ort-cpu' });
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,4]) -> (%y: f32[2,2]) {
        const %half_1_1: f32[] = [0.5]
        const %W: f16[4,2] = [1.0, 2.0, 0.333251953, 0.25, -3.0, 0.00100040436, 1.09960938, -7.0]
        const %b: f16[2] = [0.0999755859, 0.199951172]
        const %k: f16[2] = [0.333251953, 1.33300781]
        %cast = Cast(%W) {to=1} : f32[4,2]
        %cast_1 = Cast(%b) {to=1} : f32[2]
        %cast_2 = Cast(%k) {to=1} : f32[2]
        %matmul = MatMul(%x, %cast) : f32[2,2]
        %add = Add(%matmul, %cast_1) : f32[2,2]
        %mul = Mul(%add, %cast_2) : f32[2,2]
        %y = Mul(%mul, %half_1_1) : f32[2,2]
        return %y
      }"
    `);
    // The graph means the float32 one with its weights rounded to float16.
    const after = evaluate(model);
    const cmp = compareToReference(after, before, TOL.F16_FEW_OPS);
    expect(cmp.ok, describeComparison('fp16 storage vs float32', cmp)).toBe(true);
    expect(cmp.maxAbs).toBeGreaterThan(0);
  });

  it('fp16 on a runtime with float16 kernels: the dense nodes compute in float16, the long convolution in float32, casts where they meet', async () => {
    const model = smallModel();
    const before = evaluate(model);
    lower(model, { opset: 17, precision: 'fp16', runtime: FLOAT16_DEVICE.id });
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,4]) -> (%y: f32[2,2]) {
        const %W: f16[4,2] = [1.0, 2.0, 0.333251953, 0.25, -3.0, 0.00100040436, 1.09960938, -7.0]
        const %b: f16[2] = [0.0999755859, 0.199951172]
        const %k: f16[2] = [0.333251953, 1.33300781]
        const %half_1_1: f16[] = [0.5]
        %cast_4 = Cast(%k) {to=1} : f32[2]
        %cast = Cast(%x) {to=10} : f16[2,4]
        %matmul = MatMul(%cast, %W) : f16[2,2]
        %add = Add(%matmul, %b) : f16[2,2]
        %cast_1 = Cast(%add) {to=1} : f32[2,2]
        %mul = Mul(%cast_1, %cast_4) : f32[2,2]
        %cast_2 = Cast(%mul) {to=10} : f16[2,2]
        %y_1 = Mul(%cast_2, %half_1_1) : f16[2,2]
        %y = Cast(%y_1) {to=1} : f32[2,2]
        return %y
      }"
    `);
    // The oracle of a float16 device: every op's result rounded to its dtype. A handful of
    // float16 roundings on values below 20: a few u of the peak.
    const device = evaluate(model, true);
    const cmp = compareToReference(device, before, TOL.F16_FEW_OPS);
    expect(cmp.ok, describeComparison('float16 compute vs float32', cmp)).toBe(true);
    // onnxruntime's CPU provider runs it, casting around the float16 ops it has no kernel for.
    const y = (await runOnnx(modelToBytes(model), new Map(Object.entries(feeds)))).get('y')!;
    expect(y.dtype).toBe('float32');
    const ort = compareToReference(y.data as Float32Array, device, TOL.F16_FEW_OPS);
    expect(ort.ok, describeComparison('onnxruntime vs the rounding interpreter', ort)).toBe(true);
  });

  it('bf16: bfloat16 storage, float32 compute even on a runtime with float16 kernels (no runtime computes in bfloat16)', () => {
    const model = smallModel();
    lower(model, { opset: 17, precision: 'bf16', runtime: FLOAT16_DEVICE.id });
    const dtypes = new Map(model.graph.initializers.map((v) => [v.name.replace(/_\d+$/, '').replace(/_\d+$/, ''), v.type.dtype]));
    expect(Object.fromEntries(dtypes)).toEqual({ W: 'bfloat16', b: 'bfloat16', k: 'bfloat16', half: 'float32' });
    expect(model.graph.nodes.flatMap((n) => n.outputs).filter((v) => v.type.dtype === 'float16')).toEqual([]);
  });

  it('fp32 changes nothing', () => {
    const model = smallModel();
    const text = printModel(model);
    expect(pass.run(model, { opset: 17, precision: 'fp32' }).changed).toBe(false);
    expect(pass.run(model, { opset: 17 }).changed).toBe(false);
    expect(printModel(model)).toBe(text);
  });

  it('a weight beyond float16\'s range stays float32, and its readers in float32', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const y = b.mul(x, b.initializer('big', f32([1, 7e4], [2])));
    model.graph.renameValue(y, 'y');
    model.graph.outputs.push(y);
    const r = pass.run(model, { opset: 17, precision: 'fp16', runtime: FLOAT16_DEVICE.id });
    expect(r.report!.kept).toEqual({ 'range (beyond ±65504)': { tensors: 1, bytes: 8 } });
    expect(model.graph.nodes.map((n) => `${n.op}:${n.outputs[0]!.type.dtype}`)).toEqual(['Mul:float32']);
  });
});

/** The class of each node of a compiled graph, as op:class lines (those of one class together). */
function classesOf(model: Model, states: { input: string | null; output: string }[]): Map<NumericClass, string[]> {
  const out = new Map<NumericClass, string[]>();
  for (const [node, c] of classifyNodes(model.graph, states)) out.set(c, [...(out.get(c) ?? []), node.op]);
  return out;
}

describe('lower-precision: the classes of compiled graphs', () => {
  it('S4D step graph: the state update is the recurrence, the readout SSM math, the output layer dense', () => {
    const c = goldenAccuracyCase('s4d_lin_zoh');
    const { model, meta } = compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode: 'step' });
    const classes = classesOf(model, meta.states.map((s) => ({ input: s.input, output: s.output })));
    // The planar state [re | im] is updated as one tensor: x' = μ⊙x + (u, 0), μ⊙x one RotaryEmbedding
    // on a [1, batch, H, 2N] view (the input u is real: it adds to the real half only) ...
    expect(classes.get('recurrence')!.sort()).toEqual(['Add', 'Reshape', 'Reshape', 'RotaryEmbedding']);
    // ... or, in standard ops (--portable), x⊙P + swap(x)⊙Q, swap a Gather of the planes [1, 0].
    const portable = compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode: 'step', portable: true });
    const portableClasses = classesOf(portable.model, portable.meta.states.map((s) => ({ input: s.input, output: s.output })));
    expect(portableClasses.get('recurrence')!.sort()).toEqual(['Add', 'Add', 'Gather', 'Mul', 'Mul']);
    // The interleaved layout keeps the complex form: gathered (re, im), multiplied and added, concatenated back.
    const interleaved = compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode: 'step', stateLayout: 'interleaved' });
    const interleavedClasses = classesOf(interleaved.model, interleaved.meta.states.map((s) => ({ input: s.input, output: s.output })));
    expect(interleavedClasses.get('recurrence')!.sort()).toEqual(['Add', 'Add', 'Concat', 'Gather', 'Gather', 'Mul', 'Mul', 'Mul', 'Mul', 'Sub', 'Unsqueeze', 'Unsqueeze']);
    expect(classes.get('ssm')).toContain('ReduceSum');
    expect(classes.get('dense')).toContain('MatMul');
    expect(classes.get('dense')).toContain('Erf');
    expect(classes.has('long-conv')).toBe(false);
  });

  it('S4 DPLR prefill: what only the final state needs (chunk end states, the Scan over chunks) is the recurrence', () => {
    const c = goldenAccuracyCase('s4_dplr_legs');
    // chunked (not what auto picks for the CPU): its output convolution is a Scan too.
    const { model, meta } = compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode: 'prefill', lowering: 'chunked' });
    const classes = classesOf(model, meta.states.map((s) => ({ input: null, output: s.output })));
    expect(classes.get('recurrence')).toContain('Scan');
    expect(classes.get('recurrence')).toContain('MatMul');
    expect(classes.get('long-conv')).toContain('Scan'); // the output's own chunked convolution
  });

  it('DSS-softmax at a dynamic length: its kernel is made at run time from the parameters (kernel), then convolved (long-conv)', () => {
    const c = goldenAccuracyCase('dss_softmax');
    const { model } = compileModel(c.file, c.weights(), { seqLen: null, opset: 17, lowering: 'dft' });
    const classes = classesOf(model, []);
    expect(classes.get('kernel')).toEqual(expect.arrayContaining(['Range', 'Exp', 'MatMul']));
    expect(classes.get('long-conv')).toContain('DFT');
  });

  it('a policy that stored the recurrence in 16 bits would round exp(λ) (recurrence policy keeps it float32)', () => {
    const c = goldenAccuracyCase('s4d_lin_zoh');
    const compile = (precisionPolicy = PRECISION_POLICY) => compileModel(c.file, c.weights(), { seqLen: null, opset: 17, mode: 'step', precision: 'fp16', precisionPolicy });
    expect(compile().precision!.kept['recurrence policy']!.tensors).toBe(2); // exp(λ): re, im
    const loose = compile(withClasses(PRECISION_POLICY, { recurrence: { store16: true } }));
    expect(loose.precision!.kept['recurrence policy']).toBeUndefined();
  });
});
