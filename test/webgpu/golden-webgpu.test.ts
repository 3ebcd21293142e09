import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compareToReference, compileModel, describeComparison, modelToBytes, readSafetensors, readStates, runSteps, zeroStates, type ModelFile } from 'ssmc';
import { webgpuBackend } from 'ssmc/runtime';
import { goldenCase, goldenIo, goldenWeights, loadManifest, modelFileFor } from '../helpers/golden.js';
import { GOLDEN_STEP_CASES, runGoldenSteps } from '../helpers/golden-step.js';
import { webgpuTestsRun } from '../helpers/webgpu.js';
import { WHOLE_CASES, wholeIo } from '../helpers/whole.js';

/**
 * Every golden case compiled with `--target ort-webgpu` (loop-free lowerings, kernels formed on
 * the device) and run on onnxruntime-node's WebGPU provider — on this machine SwiftShader,
 * Chromium's Vulkan driver on the CPU — against the official float64 outputs with the usual
 * tolerance (compareToReference: src/verify/tolerances.ts). Step graphs likewise, the official
 * whole state-spaces/s4 models (../shared/golden/whole and test/fixtures/whole, attention included)
 * from their first file form at a dynamic length, and the GSS hybrids (test/fixtures/hybrid) at a
 * dynamic length and stepped from zero states.
 */
const CONV_CASES = ['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 's4d_bidirectional', 's4_dplr_legs', 'dss_exp', 'dss_softmax', 'gss_layer', 'gss_lm'];

describe.runIf(webgpuTestsRun('the WebGPU golden tests'))('golden cases on WebGPU (onnxruntime-node)', () => {
  it('covers every golden case of the manifest', () => {
    expect([...CONV_CASES].sort()).toEqual(loadManifest().map((c) => c.name).sort());
  });

  describe.each(CONV_CASES)('golden %s, --target ort-webgpu', (name) => {
    it.each([['fixed length', 'fixed'], ['dynamic length', 'dynamic']] as const)('%s', async (_label, length) => {
      const c = goldenCase(name);
      const io = goldenIo(c);
      const ref = Float64Array.from(io.get('output_f64')!.data as Float64Array | Float32Array);
      const L = c.input.layout === 'BHL' ? c.input.shape[2]! : c.input.shape[1]!;
      const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: length === 'fixed' ? L : null, opset: 17, runtime: 'ort-webgpu' });
      const ops = model.graph.nodes.map((n) => n.op);
      expect(ops.filter((o) => ['Scan', 'Loop', 'If'].includes(o))).toEqual([]);
      const y = (await webgpuBackend.run(modelToBytes(model), new Map([['input', io.get('input')!]]))).get('output')!;
      expect(y.dims).toEqual(c.outputs.output);
      const cmp = compareToReference(y.data as Float32Array, ref);
      expect(cmp.ok, describeComparison(`${name} (webgpu)`, cmp)).toBe(true);
    }, 120_000);
  });

  describe.each(GOLDEN_STEP_CASES)('step graph, golden %s, --target ort-webgpu', (name, stepKey) => {
    it('matches the official step outputs and the float64 conv output', async () => {
      const { y, io, backendName, model } = await runGoldenSteps(webgpuBackend, name, 17, 'ort-webgpu');
      expect(backendName).toBe('webgpu');
      expect(model.graph.nodes.filter((n) => ['Scan', 'Loop', 'If'].includes(n.op))).toEqual([]);
      for (const key of [stepKey, 'output_f64']) {
        const cmp = compareToReference(y, io.get(key)!.data as Float32Array);
        expect(cmp.ok, describeComparison(`webgpu steps vs ${key}`, cmp)).toBe(true);
      }
    }, 120_000);
  });

  // Every whole model, attention (mha) included: the official ones of ../shared/golden/whole and the
  // fixtures of test/fixtures/whole, from their first file form at a dynamic length. An S4 DPLR
  // kernel formed at run time takes its frequencies from folded constants, never from the device's
  // sin/cos (SwiftShader's put 8 fixtures 1.2–9.5× over the bound).
  describe.each(WHOLE_CASES.map((c) => [c.name, c] as const))('whole model %s, --target ort-webgpu', (_name, c) => {
    it(`${c.forms[0]!.label}, dynamic length`, async () => {
      const io = wholeIo(c);
      const src = c.forms[0]!.load();
      const { model } = compileModel(src.file, src.weights, { seqLen: null, opset: 17, runtime: 'ort-webgpu' });
      expect(model.graph.nodes.filter((n) => ['Scan', 'Loop', 'If'].includes(n.op))).toEqual([]);
      expect(model.graph.nodes.filter((n) => ['Sin', 'Cos'].includes(n.op) && n.name.includes('/kernel/')).map((n) => n.name)).toEqual([]);
      const y = (await webgpuBackend.run(modelToBytes(model), new Map([['input', io.input]]))).get('output')!;
      expect(y.dims).toEqual(io.outputF64.dims);
      const cmp = compareToReference(y.data as Float32Array, io.reference);
      expect(cmp.ok, describeComparison(`${c.name} (webgpu)`, cmp)).toBe(true);
    }, 180_000);
  });

  // gss-hybrid-lm (chunk-local, full and rotary attention beside GSS layers): the conv graph at a
  // dynamic length against output_f64, and the step graph (the key/value cache written by
  // ScatterElements on the device) from zero states against the same outputs.
  describe.each(['gss_hybrid_chunk16', 'gss_hybrid_full', 'gss_hybrid_rotary'])('gss-hybrid-lm %s, --target ort-webgpu', (name) => {
    const dir = fileURLToPath(new URL('../fixtures/hybrid/', import.meta.url));
    const load = () => {
      const io = readSafetensors(readFileSync(`${dir}${name}.io.safetensors`), `${name}.io.safetensors`);
      return {
        file: JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as ModelFile,
        weights: { tensors: readSafetensors(readFileSync(`${dir}${name}.weights.safetensors`), `${name}.weights.safetensors`), source: name },
        input: io.get('input')!, output: io.get('output')!, reference: io.get('output_f64')!.data as Float64Array,
      };
    };
    it('conv, dynamic length', async () => {
      const c = load();
      const { model } = compileModel(c.file, c.weights, { seqLen: null, opset: 17, runtime: 'ort-webgpu' });
      const y = (await webgpuBackend.run(modelToBytes(model), new Map([['input', c.input]]))).get('output')!;
      expect(y.dims).toEqual(c.output.dims);
      const cmp = compareToReference(y.data as Float32Array, c.reference);
      expect(cmp.ok, describeComparison(`${name} conv (webgpu)`, cmp)).toBe(true);
    }, 180_000);
    it('step from zero states, every position', async () => {
      const c = load();
      const { model } = compileModel(c.file, c.weights, { seqLen: null, opset: 17, runtime: 'ort-webgpu', mode: 'step', kvCache: c.input.dims[1]! });
      const specs = readStates(model);
      const [B, L] = c.input.dims as [number, number];
      const session = await webgpuBackend.createSession(modelToBytes(model));
      const ids = c.input.data as BigInt64Array;
      const { outputs } = await runSteps(session, specs, L, (t) => ({ dtype: 'int64', dims: [B], data: BigInt64Array.from({ length: B }, (_, r) => ids[r * L + t]!) }), zeroStates(specs, B));
      await session.release();
      const V = c.output.dims[2]!;
      const y = new Float32Array(B * L * V);
      outputs.forEach((o, t) => { for (let r = 0; r < B; r++) y.set((o.data as Float32Array).subarray(r * V, (r + 1) * V), (r * L + t) * V); });
      const cmp = compareToReference(y, c.reference);
      expect(cmp.ok, describeComparison(`${name} steps (webgpu)`, cmp)).toBe(true);
    }, 180_000);
  });
});
