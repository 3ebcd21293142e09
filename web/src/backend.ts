import { adapterWords, configureWasm, wasmBackend, webgpuAdapter, WebGpuUnavailable, webgpuWebBackend, type OrtBackend } from 'ssmc/runtime/web';

/** The onnxruntime-web backend the demo runs its step graph on, and why it was chosen. */
export interface PickedBackend {
  /** Shown on the page and posted with 'loaded' ('webgpu' or 'wasm'). */
  name: 'webgpu' | 'wasm';
  backend: OrtBackend;
  /** One sentence for the page's tooltip: why this backend runs here. */
  why: string;
}

const WASM_WHY = 'onnxruntime-web on the CPU (WebAssembly, SIMD, one thread)';

/** The wasm fallback, saying why WebGPU does not run. */
export function wasmFallback(reason: string): PickedBackend {
  return { name: 'wasm', backend: wasmBackend, why: `${WASM_WHY}: ${reason}` };
}

/**
 * The one place the demo chooses its backend: the worker calls it once per load and reports what
 * it returns, so the page shows the backend that actually runs. WebGPU when the browser gives an
 * adapter (webgpuAdapter, which also hands that adapter to onnxruntime-web; the worker then runs
 * the step graph planned for ort-webgpu); otherwise the CPU wasm backend on the plain wasm build
 * (single-threaded: threads need cross-origin isolation, which a plain static server does not
 * give). Called before the first session: onnxruntime-web loads one wasm build per page.
 */
export async function pickBackend(wasmDir: string, plainWasm: { mjs: string; wasm: string }): Promise<PickedBackend> {
  configureWasm({ wasmPaths: wasmDir });
  let adapter;
  try {
    adapter = await webgpuAdapter();
  } catch (e) {
    const reason = e instanceof WebGpuUnavailable ? e.reason : `requesting a WebGPU adapter failed (${e instanceof Error ? e.message : String(e)})`;
    // No WebGPU: the plain wasm build (14 MB) serves the CPU provider, not the WebGPU build's 27 MB one.
    configureWasm({ wasmPaths: { mjs: wasmDir + plainWasm.mjs, wasm: wasmDir + plainWasm.wasm } });
    return wasmFallback(reason);
  }
  return { name: 'webgpu', backend: webgpuWebBackend, why: `onnxruntime-web on WebGPU (${adapterWords(adapter)}), fp32 step graph planned for ort-webgpu` };
}
