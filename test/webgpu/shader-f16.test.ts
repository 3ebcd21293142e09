import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, modelToBytes, precisionTolerance } from 'ssmc';
import { f32, Model, tensorType } from 'ssmc/ir';
import { ORT_CPU, ORT_WEBGPU } from 'ssmc/passes';
import { float16Use, graphPrecision, nodeBackend, nodeHasShaderF16, webgpuBackend, withF16Check, type OrtBackend } from 'ssmc/runtime';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { FLOAT16_DEVICE } from '../helpers/precision.js';
import { webgpuTestsRun } from '../helpers/webgpu.js';

/**
 * A float16 graph before WebGPU: the adapter's shader-f16 is checked first, and a device without it
 * runs the graph on the CPU backend (saying so) or refuses it with a message — never onnxruntime's
 * mid-run "Program Cast requires f16 but the device does not support it".
 */

/** y = float32(float16(x) + float16(x)), marked `ssmc.precision` as `precision` (or unmarked). */
function halfGraph(precision: string | null): Uint8Array {
  const model = new Model(17);
  const g = model.graph;
  const x = g.addInput('x', tensorType('float32', [2]));
  const half = g.createNode('', 'Cast', [x], { to: { kind: 'int', value: 10 } }, 1, { outputTypes: [tensorType('float16', [2])] }).outputs[0]!;
  const twice = g.createNode('', 'Add', [half, half], {}, 1, { outputTypes: [tensorType('float16', [2])] }).outputs[0]!;
  g.outputs.push(g.createNode('', 'Cast', [twice], { to: { kind: 'int', value: 1 } }, 1, { outputNames: ['y'], outputTypes: [tensorType('float32', [2])] }).outputs[0]!);
  if (precision !== null) model.metadata.set('ssmc.precision', precision);
  return modelToBytes(model);
}

/** y = x + float32(w) with w a float16 initializer [1.5, -0.25]: float16 storage only, marked fp16. */
function storedHalfGraph(): Uint8Array {
  const model = new Model(17);
  const g = model.graph;
  const x = g.addInput('x', tensorType('float32', [2]));
  const w = g.addInitializer('w', { dtype: 'float16', dims: [2], data: null, raw: new Uint8Array([0x00, 0x3e, 0x00, 0xb4]) });
  const wide = g.createNode('', 'Cast', [w], { to: { kind: 'int', value: 1 } }, 1, { outputTypes: [tensorType('float32', [2])] }).outputs[0]!;
  g.outputs.push(g.createNode('', 'Add', [x, wide], {}, 1, { outputNames: ['y'], outputTypes: [tensorType('float32', [2])] }).outputs[0]!);
  model.metadata.set('ssmc.precision', 'fp16');
  return modelToBytes(model);
}

const feeds = () => new Map([['x', f32([1.5, -0.25], [2])]]);

/** A golden case compiled at a precision for a target (its float16 use is what the check reads). */
function compiledGolden(name: string, precision: 'fp16' | 'bf16' | 'fp32', runtime: string) {
  const c = goldenCase(name);
  return compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: null, opset: 17, precision, runtime, targets: [ORT_CPU, ORT_WEBGPU, FLOAT16_DEVICE] });
}

describe('the shader-f16 check (withF16Check)', () => {
  /** A backend that records which graphs reach it and answers y = 2x. */
  const recorder = (name: 'webgpu' | 'node', seen: string[]): OrtBackend => ({
    name,
    description: name === 'node' ? 'the CPU' : 'the GPU',
    async run(bytes) {
      seen.push(`${name}:${graphPrecision(bytes)}`);
      return new Map([['y', f32([3, -0.5], [2])]]);
    },
    async createSession() {
      throw new Error('not used');
    },
  });

  it('reads ssmc.precision from the file (absent: fp32)', () => {
    expect(graphPrecision(halfGraph('fp16'))).toBe('fp16');
    expect(graphPrecision(halfGraph('bf16'))).toBe('bf16');
    expect(graphPrecision(halfGraph(null))).toBe('fp32');
    expect(graphPrecision(new Uint8Array([0xff, 0xff, 0xff]))).toBe('fp32'); // not ONNX: onnxruntime says why
  });

  it.each([
    [true, 'fp16', ['webgpu:fp16'], []],
    [false, 'fp16', ['node:fp16'], [/computes in float16 \(ssmc\.precision fp16\) and the test GPU has no 'shader-f16' feature: running it on the CPU instead/]],
    [false, 'bf16', ['webgpu:bf16'], []],
    [false, null, ['webgpu:fp32'], []],
  ] as const)('shader-f16 %s, precision %s: runs on %j', async (has, precision, where, notes) => {
    const seen: string[] = [], said: string[] = [];
    const gpu = withF16Check(recorder('webgpu', seen), { hasShaderF16: async () => has, fallback: async () => recorder('node', seen), device: () => 'the test GPU' });
    await gpu.run(halfGraph(precision), feeds(), { onNote: (l) => said.push(l) });
    expect(seen).toEqual(where);
    expect(said).toHaveLength(notes.length);
    notes.forEach((re, i) => expect(said[i]).toMatch(re));
  });

  it('tells float16 compute from float16 storage: a Cast to float16 of a run-time value computes, Casts of float16 initializers are folded at load', () => {
    expect(float16Use(halfGraph('fp16'))).toBe('compute');
    expect(float16Use(storedHalfGraph())).toBe('storage');
    expect(float16Use(halfGraph('bf16'))).toBe('none');
    expect(float16Use(halfGraph(null))).toBe('none'); // not marked: not checked (onnxruntime's own error, below)
    // ort-webgpu has no float16 kernels in its plan (passes/conv/targets.ts): its fp16 graphs store 16-bit weights only.
    expect(float16Use(modelToBytes(compiledGolden('gss_lm', 'fp16', 'ort-webgpu').model))).toBe('storage');
    expect(float16Use(modelToBytes(compiledGolden('gss_lm', 'fp16', FLOAT16_DEVICE.id).model))).toBe('compute');
    expect(float16Use(modelToBytes(compiledGolden('gss_lm', 'bf16', 'ort-webgpu').model))).toBe('none');
    expect(float16Use(modelToBytes(compiledGolden('gss_lm', 'fp32', 'ort-webgpu').model))).toBe('none');
  });

  it.each([
    ['all', ['webgpu:fp16'], []],
    ['disabled', ['node:fp16'], [/reads float16 weights on the device \(graph optimizations disabled, so their Casts are not folded at load\) \(ssmc\.precision fp16\) and the test GPU has no 'shader-f16' feature: running it on the CPU instead/]],
  ] as const)('float16 storage on a device without shader-f16, optimizations %s: runs on %j', async (optimizations, where, notes) => {
    const seen: string[] = [], said: string[] = [];
    const gpu = withF16Check(recorder('webgpu', seen), { hasShaderF16: async () => false, fallback: async () => recorder('node', seen), device: () => 'the test GPU' });
    await gpu.run(storedHalfGraph(), feeds(), { optimizations, onNote: (l) => said.push(l) });
    expect(seen).toEqual(where);
    expect(said).toHaveLength(notes.length);
    notes.forEach((re, i) => expect(said[i]).toMatch(re));
  });

  it('refuses an fp16 graph on a device without shader-f16 when no fallback is wanted, saying what to do', async () => {
    const seen: string[] = [];
    const gpu = withF16Check(recorder('webgpu', seen), { hasShaderF16: async () => false, fallback: async () => recorder('node', seen), device: () => 'the test GPU' });
    await expect(gpu.run(halfGraph('fp16'), feeds(), { f16Fallback: false })).rejects.toThrow(/has no 'shader-f16' feature, so it cannot run there; run it on another backend, or compile it with --precision fp32/);
    expect(seen).toEqual([]);
  });
});

describe.runIf(webgpuTestsRun('the WebGPU shader-f16 test'))('shader-f16 on this WebGPU device (onnxruntime-node)', () => {
  it('an fp16 graph runs where the device allows, with the right numbers and a note when it moved', async () => {
    const has = await nodeHasShaderF16();
    const said: string[] = [];
    const y = (await webgpuBackend.run(halfGraph('fp16'), feeds(), { onNote: (l) => said.push(l) })).get('y')!;
    expect(Array.from(y.data as Float32Array)).toEqual([3, -0.5]);
    if (has) expect(said).toEqual([]);
    else expect(said.join('\n')).toMatch(/no 'shader-f16' feature: running it on onnxruntime-node \(CPU\) instead/);
    if (!has) await expect(webgpuBackend.run(halfGraph('fp16'), feeds(), { f16Fallback: false })).rejects.toThrow(/no 'shader-f16' feature/);
  }, 60_000);

  it('a graph storing float16 weights runs on the device whatever its features (golden gss_lm, fp16 for ort-webgpu), within the fp16 bound', async () => {
    const c = goldenCase('gss_lm');
    const io = goldenIo(c);
    const said: string[] = [];
    const y = (await webgpuBackend.run(modelToBytes(compiledGolden('gss_lm', 'fp16', 'ort-webgpu').model), new Map([['input', io.get('input')!]]), { onNote: (l) => said.push(l) })).get('output')!;
    expect(said).toEqual([]);
    const cmp = compareToReference(y.data as Float32Array, Float64Array.from(io.get('output_f64')!.data as Float32Array), precisionTolerance('fp16'));
    expect(cmp.ok, describeComparison('gss_lm fp16 storage on WebGPU', cmp)).toBe(true);
  }, 60_000);

  it('an unmarked float16 graph on SwiftShader is what the check prevents: onnxruntime fails it mid-run', async () => {
    if (await nodeHasShaderF16()) return; // a real GPU with shader-f16 runs it
    await expect(webgpuBackend.run(halfGraph(null), feeds())).rejects.toThrow(/f16/);
    expect((await nodeBackend.run(halfGraph(null), feeds())).get('y')!.dims).toEqual([2]);
  }, 60_000);
});
