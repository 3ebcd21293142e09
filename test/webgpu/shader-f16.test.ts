import { describe, expect, it } from 'vitest';
import { modelToBytes } from 'ssmc';
import { f32, Model, tensorType } from 'ssmc/ir';
import { graphPrecision, nodeBackend, nodeHasShaderF16, webgpuBackend, withF16Check, type OrtBackend } from 'ssmc/runtime';
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

const feeds = () => new Map([['x', f32([1.5, -0.25], [2])]]);

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

  it('an unmarked float16 graph on SwiftShader is what the check prevents: onnxruntime fails it mid-run', async () => {
    if (await nodeHasShaderF16()) return; // a real GPU with shader-f16 runs it
    await expect(webgpuBackend.run(halfGraph(null), feeds())).rejects.toThrow(/f16/);
    expect((await nodeBackend.run(halfGraph(null), feeds())).get('y')!.dims).toEqual([2]);
  }, 60_000);
});
