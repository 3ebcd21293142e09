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

export const wasmBackend: OrtBackend = ortBackend(
  'wasm',
  ort as unknown as OrtModuleLike,
  (opts) => ({
    executionProviders: ['wasm'],
    graphOptimizationLevel: opts.optimizations === 'disabled' ? 'disabled' : 'all',
    logSeverityLevel: 4,
  }),
  (opts) => {
    if (initialised) return;
    ort.env.wasm.numThreads = opts.threads ?? 1;
    ort.env.wasm.proxy = false;
    initialised = true;
  },
  'onnxruntime-web (wasm)',
);
