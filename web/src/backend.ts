import { configureWasm, wasmBackend, type OrtBackend } from 'ssmc/runtime/web';

/** The onnxruntime-web backend the demo runs its step graph on, and why it was chosen. */
export interface PickedBackend {
  /** Shown on the page and posted with 'loaded' ('wasm'). */
  name: string;
  backend: OrtBackend;
  /** One sentence for the page's tooltip: why this backend runs here. */
  why: string;
}

/**
 * The one place the demo chooses its backend: the worker calls it once per load and reports what
 * it returns, so the page shows the backend that actually runs. Today that is always the CPU wasm
 * backend (single-threaded: threads need cross-origin isolation, which a plain static server does
 * not give). Another backend (WebGPU) goes here: probe for it, fall back to wasm, say why.
 */
export async function pickBackend(wasmDir: string): Promise<PickedBackend> {
  configureWasm({ wasmPaths: wasmDir });
  return { name: 'wasm', backend: wasmBackend, why: 'onnxruntime-web on the CPU (WebAssembly, SIMD, one thread)' };
}
