import { build, type Plugin } from 'esbuild';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModel, modelToBytes, parseModelFile, readSafetensors, readStates } from 'ssmc';
import { writeAtomic } from '../src/files.js';
import { defaultWebDist, isMain, projectRoot } from './paths.js';
import type { DemoManifest } from './src/protocol.js';

/**
 * `npm run build:web`: everything the static demo page needs, in one folder —
 *  1. the bundled gss-code model compiled by the library to its step graph (what the worker runs;
 *     a second one planned for WebGPU) and its dynamic-length convolution graph (offered to the inspector), plus gss-code.json;
 *  2. the page and the worker bundled by esbuild (ESM, browser);
 *  3. the static HTML/CSS, onnxruntime-web's .wasm, and the model file and checkpoint (the page
 *     can also compile the step graph itself, with the same library, bundled).
 */

/** onnxruntime-web's WebGPU build: its wasm (both providers, 27 MB), the one it loads by default. */
export const ORT_WASM_FILES = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'];
/** The plain wasm build (the CPU provider alone, 14 MB): what the page loads where WebGPU is absent (web/src/backend.ts). */
export const ORT_PLAIN_WASM_FILES = { mjs: 'ort-wasm-simd-threaded.mjs', wasm: 'ort-wasm-simd-threaded.wasm' };

/**
 * The demo runs WebGPU where the browser has an adapter and the CPU wasm backend elsewhere, so it
 * imports onnxruntime-web's WebGPU build (both providers, one 27 MB .wasm), not the default entry
 * (which also carries WebGL and the JSEP build) nor the wasm-only one (which refuses WebGPU).
 */
export function webGpuOrt(root: string): Plugin {
  return {
    name: 'onnxruntime-web-webgpu',
    setup(b) {
      b.onResolve({ filter: /^onnxruntime-web$/ }, () => ({ path: join(root, 'node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs') }));
    },
  };
}

export interface WebBuild {
  outDir: string;
  manifest: DemoManifest;
  /** Milliseconds spent compiling the models and bundling. */
  compileMs: number;
  bundleMs: number;
}

export async function buildWeb(outDir = defaultWebDist(), log: (line: string) => void = () => {}): Promise<WebBuild> {
  const root = projectRoot();
  const example = join(root, 'examples/gss-code');
  for (const sub of ['ort', 'gss-code']) mkdirSync(join(outDir, sub), { recursive: true });

  const t0 = performance.now();
  const file = parseModelFile(readFileSync(join(example, 'model.json'), 'utf8'), 'examples/gss-code/model.json');
  const weightsPath = join(example, 'gss_code.weights.safetensors');
  const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(weightsPath)), weightsPath), source: 'gss_code.weights.safetensors' };
  const config = JSON.parse(readFileSync(join(example, 'gss_code.config.json'), 'utf8')) as { prompt: string };
  const step = compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step' }).model;
  const stepWebGpu = compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step', runtime: 'ort-webgpu' }).model;
  const [stepBytes, stepWebGpuBytes] = [modelToBytes(step), modelToBytes(stepWebGpu)];
  // gss-code's step graph has no loop and no convolution to plan, so both plans give the same bytes today: one file then.
  const sameStep = Buffer.from(stepBytes).equals(Buffer.from(stepWebGpuBytes));
  const conv = compileModel(file, weights, { seqLen: null, opset: 17 }).model;
  const vocab = step.graph.outputs[0]!.type.shape?.[1];
  if (typeof vocab !== 'number') throw new Error('internal: the gss-code step graph has no fixed vocabulary size');
  const manifest: DemoManifest = {
    stepModel: 'gss-code.step.onnx',
    stepModelWebGpu: sameStep ? 'gss-code.step.onnx' : 'gss-code.step.webgpu.onnx',
    convModel: 'gss-code.conv.onnx',
    vocab,
    states: readStates(step),
    statesWebGpu: readStates(stepWebGpu),
    prompt: config.prompt,
    checkpoint: { modelFile: 'gss-code/model.json', weights: 'gss-code/gss_code.weights.safetensors' },
    wasmDir: 'ort/',
    plainWasm: ORT_PLAIN_WASM_FILES,
  };
  await writeAtomic(join(outDir, manifest.stepModel), stepBytes);
  if (!sameStep) await writeAtomic(join(outDir, manifest.stepModelWebGpu), stepWebGpuBytes);
  await writeAtomic(join(outDir, manifest.convModel), modelToBytes(conv));
  await writeAtomic(join(outDir, 'gss-code.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const compileMs = performance.now() - t0;
  log(`compiled examples/gss-code: step (wasm, WebGPU) and conv graphs in ${(compileMs / 1000).toFixed(1)} s`);

  const t1 = performance.now();
  await build({
    entryPoints: { main: join(root, 'web/src/main.ts'), worker: join(root, 'web/src/worker.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    // web/src imports the library by its package name; 'source' resolves it to the TypeScript.
    conditions: ['source'],
    plugins: [webGpuOrt(root)],
  });
  const bundleMs = performance.now() - t1;
  const copy = (from: string, to: string) => writeAtomic(to, new Uint8Array(readFileSync(from)));
  for (const name of ['index.html', 'style.css']) await copy(join(root, 'web/static', name), join(outDir, name));
  for (const name of ['model.json', 'gss_code.weights.safetensors']) await copy(join(example, name), join(outDir, 'gss-code', name));
  for (const name of [...ORT_WASM_FILES, ...Object.values(ORT_PLAIN_WASM_FILES)]) await copy(join(root, 'node_modules/onnxruntime-web/dist', name), join(outDir, 'ort', name));
  log(`bundled page and worker in ${bundleMs.toFixed(0)} ms → ${outDir}`);
  return { outDir, manifest, compileMs, bundleMs };
}

if (isMain(import.meta.url)) {
  buildWeb(defaultWebDist(), (line) => console.log(line)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
