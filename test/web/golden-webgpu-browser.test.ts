import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, modelToBytes, precisionTolerance, readStates, runSteps, StateBuffers, type CompileOptions } from 'ssmc';
import { i64, type Model, type Tensor } from 'ssmc/ir';
import { ORT_CPU, ORT_WEBGPU } from 'ssmc/passes';
import { float16Use, placementProblems, summarizePlacement } from 'ssmc/runtime';
import { browserWebGpuTestsRun, openBrowserWebGpu, type BrowserWebGpu } from '../helpers/browser-webgpu.js';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { GOLDEN_STEP_CASES, runGoldenSteps } from '../helpers/golden-step.js';
import { FLOAT16_DEVICE } from '../helpers/precision.js';
import { WHOLE_CASES, wholeIo } from '../helpers/whole.js';

/**
 * The browser half of the WebGPU tests (test/webgpu/ runs every golden case in onnxruntime-node's
 * WebGPU provider): a representative subset compiled with `--target ort-webgpu` and run by
 * onnxruntime-web's WebGPU provider in headless Chromium (SwiftShader's adapter), through the
 * library's webgpuWebBackend (src/runtime/web.ts). One family of each kind — S4 DPLR (its kernel
 * formed at run time from folded frequencies), S4D, DSS, the GSS layer, a whole state-spaces/s4
 * model from its example.py checkpoint — as conv graphs, an S4 DPLR step graph against the
 * official stepping outputs, and a GSS LM prefill continued by its step graph. Each graph's node
 * placement is onnxruntime-web's own (its verbose session log): every node on WebGPU except host
 * shape arithmetic, no copies — so a silent fallback to the CPU fails — and the numbers are
 * checked against the official float64 outputs with the bound the Node tests use
 * (compareToReference). Then 16-bit graphs against the adapter's shader-f16. One browser, one page.
 */
type Length = 'fixed' | 'dynamic';

function compileGolden(name: string, length: Length, extra: Partial<CompileOptions> = {}): { model: Model; input: Tensor; reference: Float64Array; dims: number[] } {
  const c = goldenCase(name);
  const io = goldenIo(c);
  const L = c.input.layout === 'BHL' ? c.input.shape[2]! : c.input.shape[1]!;
  const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: length === 'fixed' ? L : null, opset: 17, runtime: 'ort-webgpu', ...extra });
  return { model, input: io.get('input')!, reference: Float64Array.from(io.get('output_f64')!.data as Float64Array | Float32Array), dims: c.outputs.output! };
}

const CONV_CASES: [string, string, Length][] = [
  ['S4 DPLR', 's4_dplr_legs', 'dynamic'],
  ['S4D', 's4d_lin_zoh', 'fixed'],
  ['DSS', 'dss_exp', 'dynamic'],
  ['GSS layer', 'gss_layer', 'dynamic'],
];
const WHOLE = WHOLE_CASES.find((c) => c.name === 'golden/s4_example');

describe.runIf(browserWebGpuTestsRun('the browser WebGPU golden tests'))('golden cases on WebGPU in headless Chromium (onnxruntime-web)', () => {
  let gpu: BrowserWebGpu;

  beforeAll(async () => {
    gpu = await openBrowserWebGpu();
  }, 60_000);

  afterAll(async () => {
    await gpu?.close();
  });

  /** onnxruntime-web's placement of the graph: all on WebGPU but host shape arithmetic, and no copies. */
  async function expectOnWebGpu(model: Model): Promise<void> {
    const placement = await gpu.placement(modelToBytes(model));
    expect(placementProblems(placement), summarizePlacement(placement)).toEqual([]);
    expect(placement.groups.some((g) => g.provider === 'WebGpuExecutionProvider'), summarizePlacement(placement)).toBe(true);
  }

  /** Runs a graph in the page's WebGPU backend, checking the session stayed on WebGPU. */
  async function runOnWebGpu(model: Model, feeds: Map<string, Tensor>): Promise<Map<string, Tensor>> {
    const notes: string[] = [];
    const session = await gpu.backend.createSession(modelToBytes(model), { onNote: (l) => notes.push(l) });
    try {
      expect(session.backend).toBe('webgpu');
      expect(notes).toEqual([]);
      return await session.run(feeds);
    } finally {
      await session.release();
    }
  }

  it('has the adapter headless Chromium gives with --enable-unsafe-webgpu', () => {
    console.log(`browser WebGPU adapter: ${gpu.adapter.words}; shader-f16: ${gpu.adapter.shaderF16}`);
    expect(gpu.adapter.words.length).toBeGreaterThan(0);
  });

  it("the placement check fails a graph that loops: the chunked lowering's Scan (planned for the CPU) runs on the CPU", async () => {
    const { model } = compileGolden('s4d_lin_zoh', 'dynamic', { runtime: 'ort-cpu', lowering: 'chunked' });
    const placement = await gpu.placement(modelToBytes(model));
    const problems = placementProblems(placement);
    expect(problems.some((p) => /^Scan '.*' on CPUExecutionProvider: control flow/.test(p)), problems.join('\n')).toBe(true);
  }, 60_000);

  it.each(CONV_CASES)('%s (golden %s), conv graph at a %s length', async (_family, name, length) => {
    const { model, input, reference, dims } = compileGolden(name, length);
    await expectOnWebGpu(model);
    const y = (await runOnWebGpu(model, new Map([['input', input]]))).get('output')!;
    expect(y.dims).toEqual(dims);
    const cmp = compareToReference(y.data as Float32Array, reference);
    expect(cmp.ok, describeComparison(`${name} (browser WebGPU)`, cmp)).toBe(true);
  }, 60_000);

  it(`whole model ${WHOLE?.name} (example.py S4Model from ckpt.pth), dynamic length`, async () => {
    expect(WHOLE, 'the golden whole model s4_example is in ../shared/golden/whole').toBeDefined();
    const c = WHOLE!;
    const io = wholeIo(c);
    const src = c.forms.find((f) => f.label.startsWith('ckpt.pth'))!.load();
    const { model } = compileModel(src.file, src.weights, { seqLen: null, opset: 17, runtime: 'ort-webgpu' });
    await expectOnWebGpu(model);
    const y = (await runOnWebGpu(model, new Map([['input', io.input]]))).get('output')!;
    expect(y.dims).toEqual(io.outputF64.dims);
    const cmp = compareToReference(y.data as Float32Array, io.reference);
    expect(cmp.ok, describeComparison(`${c.name} (browser WebGPU)`, cmp)).toBe(true);
  }, 60_000);

  it('S4 DPLR step graph (golden s4_dplr_legs, linear stepper) over 32 positions: the official step outputs and the float64 conv output', async () => {
    const [name, stepKey] = GOLDEN_STEP_CASES.find(([n, k]) => n === 's4_dplr_legs' && k === 'output_step_linear')!;
    const step = compileModel(modelFileFor(goldenCase(name)), { tensors: goldenWeights(goldenCase(name)), source: name }, { seqLen: null, opset: 17, mode: 'step', runtime: 'ort-webgpu' }).model;
    await expectOnWebGpu(step);
    const { y, io, backendName } = await runGoldenSteps(gpu.backend, name, 17, 'ort-webgpu');
    expect(backendName).toBe('webgpu');
    for (const key of [stepKey, 'output_f64']) {
      const cmp = compareToReference(y, io.get(key)!.data as Float32Array);
      expect(cmp.ok, describeComparison(`browser WebGPU steps vs ${key}`, cmp)).toBe(true);
    }
  }, 60_000);

  it('GSS LM prefill (golden gss_lm, 28 positions) continued by its step graph (4): the official float64 logits at all 32', async () => {
    const c = goldenCase('gss_lm');
    const io = goldenIo(c);
    const [B, L] = c.input.shape as [number, number];
    const V = c.outputs.output![2]!;
    // Few steps: each is a run of ~300 nodes, and SwiftShader dispatches slowly.
    const P = L - 4;
    const opts = { seqLen: null, opset: 17, runtime: 'ort-webgpu' } as const;
    const weights = { tensors: goldenWeights(c), source: 'gss_lm' };
    const prefill = compileModel(modelFileFor(c), weights, { ...opts, mode: 'prefill' }).model;
    const step = compileModel(modelFileFor(c), weights, { ...opts, mode: 'step' }).model;
    await expectOnWebGpu(prefill);
    await expectOnWebGpu(step);
    const ids = io.get('input')!.data as BigInt64Array;
    const tokens = (from: number, to: number) => i64(Array.from({ length: B * (to - from) }, (_, i) => ids[Math.floor(i / (to - from)) * L + from + (i % (to - from))]!), [B, to - from]);
    const pre = await runOnWebGpu(prefill, new Map([['input', tokens(0, P)]]));
    const specs = readStates(step);
    expect(specs.length).toBeGreaterThan(0);
    const session = await gpu.backend.createSession(modelToBytes(step));
    expect(session.backend).toBe('webgpu');
    // The states carried in two alternating buffer sets, as ssmc generate carries them.
    const { outputs } = await runSteps(session, specs, L - P, (t) => i64(Array.from(tokens(P + t, P + t + 1).data as BigInt64Array), [B]), new Map(specs.map((s) => [s.input, pre.get(s.output)!])), new StateBuffers(specs));
    await session.release();
    // Positions [0, P) from the prefill output, [P, L) from the steps, laid out [B, L, V] as the reference.
    const y = new Float32Array(B * L * V);
    const preOut = pre.get('output')!.data as Float32Array;
    for (let b = 0; b < B; b++) for (let t = 0; t < L; t++) {
      const row = t < P ? preOut.subarray((b * P + t) * V, (b * P + t + 1) * V) : (outputs[t - P]!.data as Float32Array).subarray(b * V, (b + 1) * V);
      y.set(row, (b * L + t) * V);
    }
    const ref = io.get('output_f64')!.data as Float32Array | Float64Array;
    // The first P positions of each batch row of a [B, L, V] array.
    const prefix = (a: ArrayLike<number>) => Float64Array.from({ length: B * P * V }, (_, i) => a[Math.floor(i / (P * V)) * L * V + (i % (P * V))]!);
    const cmpPre = compareToReference(Float32Array.from(prefix(y)), prefix(ref));
    expect(cmpPre.ok, describeComparison('browser WebGPU prefill output vs official float64', cmpPre)).toBe(true);
    const cmp = compareToReference(y, Float64Array.from(ref));
    expect(cmp.ok, describeComparison('browser WebGPU prefill + steps vs official float64', cmp)).toBe(true);
  }, 90_000);

  // 16-bit graphs against the adapter's shader-f16 (src/runtime/precision.ts, checked by the web
  // backend from the adapter it hands onnxruntime-web). SwiftShader has none.
  it('an fp16 graph for ort-webgpu stores float16 weights only: it runs on WebGPU without shader-f16, within the fp16 bound', async () => {
    const { model, input, reference } = compileGolden('s4d_lin_zoh', 'fixed', { precision: 'fp16' });
    expect(float16Use(modelToBytes(model))).toBe('storage');
    await expectOnWebGpu(model);
    const y = (await runOnWebGpu(model, new Map([['input', input]]))).get('output')!;
    const cmp = compareToReference(y.data as Float32Array, reference, precisionTolerance('fp16'));
    expect(cmp.ok, describeComparison('s4d_lin_zoh fp16 storage (browser WebGPU)', cmp)).toBe(true);
  }, 60_000);

  it("a bf16 graph is refused with the fix: onnxruntime-web's WebGPU build cannot load one (no bfloat16 Cast)", async () => {
    const bytes = modelToBytes(compileGolden('s4d_lin_zoh', 'fixed', { precision: 'bf16' }).model);
    await expect(gpu.backend.createSession(bytes)).rejects.toThrow(/stores its weights in bfloat16 .* compile it with --precision fp16/);
    // What the refusal spares the user: onnxruntime-web's own load failure.
    await expect(gpu.placement(bytes)).rejects.toThrow(/Cast/);
  }, 60_000);

  it('a graph computing in float16 runs on WebGPU with shader-f16, else on wasm with a note, or is refused when asked not to fall back', async () => {
    const { model, input, reference } = compileGolden('s4d_lin_zoh', 'fixed', { precision: 'fp16', runtime: FLOAT16_DEVICE.id, targets: [ORT_CPU, ORT_WEBGPU, FLOAT16_DEVICE] });
    const bytes = modelToBytes(model);
    expect(float16Use(bytes)).toBe('compute');
    const notes: string[] = [];
    const session = await gpu.backend.createSession(bytes, { onNote: (l) => notes.push(l) });
    const y = (await session.run(new Map([['input', input]]))).get('output')!;
    await session.release();
    const cmp = compareToReference(y.data as Float32Array, reference, precisionTolerance('fp16', true));
    expect(cmp.ok, describeComparison('s4d_lin_zoh fp16 compute (browser)', cmp)).toBe(true);
    if (gpu.adapter.shaderF16) {
      expect(session.backend).toBe('webgpu');
      expect(notes).toEqual([]);
      return;
    }
    expect(session.backend).toBe('wasm');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^this graph computes in float16 \(ssmc\.precision fp16\) and the WebGPU adapter \(google swiftshader.*\) has no 'shader-f16' feature: running it on onnxruntime-web \(wasm\) instead/);
    await expect(gpu.backend.createSession(bytes, { f16Fallback: false })).rejects.toThrow(/has no 'shader-f16' feature, so it cannot run there; run it on another backend, or compile it with --precision fp32/);
    // Storage only, but with graph optimizations off the weights' Casts would run on the device: moved too.
    const stored = modelToBytes(compileGolden('s4d_lin_zoh', 'fixed', { precision: 'fp16' }).model);
    const moved: string[] = [];
    const off = await gpu.backend.createSession(stored, { optimizations: 'disabled', onNote: (l) => moved.push(l) });
    expect(off.backend).toBe('wasm');
    await off.release();
    expect(moved.join('\n')).toMatch(/reads float16 weights on the device \(graph optimizations disabled/);
  }, 60_000);

  it('threw nothing on the page outside the calls', () => {
    expect(gpu.pageErrors).toEqual([]);
  });
});
