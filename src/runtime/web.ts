import * as ort from 'onnxruntime-web';
import { ortBackend, type OrtBackend, type OrtModuleLike } from './backend.js';

// The types a page needs, from here: `ssmc/runtime` also holds Node-only code (WebGPU set-up, placement).
export type { OrtBackend, RunOptions, Session } from './backend.js';

/**
 * onnxruntime-web's wasm backend. It runs in browsers and in Node (the package's Node build loads
 * its .wasm from node_modules). Threads: wasm threading needs workers and cross-origin isolation,
 * so this backend runs single-threaded unless `threads` asks otherwise before the first session
 * (the wasm module reads `env.wasm.numThreads` once, when it initialises).
 */
let initialised = false;

/**
 * Where the browser fetches onnxruntime-web's .wasm from (a folder URL ending in '/'): a bundled
 * page serves them itself. Call before the first session. Node needs nothing: the package finds
 * them in node_modules.
 */
export function configureWasm(opts: { wasmPaths?: string }): void {
  if (opts.wasmPaths !== undefined) ort.env.wasm.wasmPaths = opts.wasmPaths;
}

function initialise(opts: { threads?: number }): void {
  if (initialised) return;
  ort.env.wasm.numThreads = opts.threads ?? 1;
  ort.env.wasm.proxy = false;
  initialised = true;
}

export const wasmBackend: OrtBackend = ortBackend(
  'wasm',
  ort as unknown as OrtModuleLike,
  (opts) => ({
    executionProviders: ['wasm'],
    graphOptimizationLevel: opts.optimizations === 'disabled' ? 'disabled' : 'all',
    logSeverityLevel: 4,
  }),
  initialise,
  'onnxruntime-web (wasm)',
);

/**
 * onnxruntime-web's WebGPU execution provider, in a browser with a WebGPU adapter. It needs a build
 * of onnxruntime-web that carries WebGPU (ort.webgpu*.mjs: the demo's bundle points its import
 * there); the plain wasm build refuses the provider. Run graphs compiled for `ort-webgpu`
 * (loop-free; fp32 unless the adapter has shader-f16). Outputs come back to the CPU.
 */
export const webgpuWebBackend: OrtBackend = ortBackend(
  'webgpu',
  ort as unknown as OrtModuleLike,
  (opts) => ({
    executionProviders: ['webgpu'],
    graphOptimizationLevel: opts.optimizations === 'disabled' ? 'disabled' : 'all',
    logSeverityLevel: 4,
  }),
  initialise,
  'onnxruntime-web (WebGPU)',
);
