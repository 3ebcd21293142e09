import { configureWasm, wasmBackend, webgpuWebBackend, type OrtBackend } from 'ssmc/runtime/web';

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

/** The part of WebGPU the probe uses (TypeScript's DOM library does not declare WebGPU). */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/** The adapter in words ('google swiftshader'), for the tooltip. */
function adapterText(adapter: GpuAdapterLike): string {
  const info = adapter.info;
  const words = [info?.vendor, info?.architecture, info?.description].filter((w) => w);
  return words.length > 0 ? words.join(' ') : 'an unnamed adapter';
}

/**
 * The one place the demo chooses its backend: the worker calls it once per load and reports what
 * it returns, so the page shows the backend that actually runs. WebGPU when the browser gives an
 * adapter (the worker then runs the step graph planned for ort-webgpu); otherwise the CPU wasm
 * backend (single-threaded: threads need cross-origin isolation, which a plain static server does
 * not give).
 */
export async function pickBackend(wasmDir: string): Promise<PickedBackend> {
  configureWasm({ wasmPaths: wasmDir });
  const gpu = (globalThis.navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (!gpu) return wasmFallback('this browser has no WebGPU (navigator.gpu)');
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return wasmFallback(`requesting a WebGPU adapter failed (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!adapter) return wasmFallback('the browser offers no WebGPU adapter');
  return { name: 'webgpu', backend: webgpuWebBackend, why: `onnxruntime-web on WebGPU (${adapterText(adapter)}), fp32 step graph planned for ort-webgpu` };
}
