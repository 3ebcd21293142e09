import * as ort from 'onnxruntime-web';
import { UserError } from '../errors.js';
import { ortBackend, type OrtBackend, type OrtModuleLike } from './backend.js';
import { graphPrecision, withF16Check } from './precision.js';

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
 * Where the browser fetches onnxruntime-web's .wasm from: a folder URL ending in '/' (the build's
 * own file names under it), or the two files by URL — a page bundling the WebGPU build can run its
 * wasm backend on the plain 14 MB ort-wasm-simd-threaded.{mjs,wasm} instead of the 27 MB asyncify
 * pair WebGPU needs (the JavaScript API is the same). A bundled page serves them itself. Call
 * before the first session: onnxruntime-web loads its wasm once. Node needs nothing: the package
 * finds them in node_modules.
 */
export function configureWasm(opts: { wasmPaths?: string | { mjs: string; wasm: string } }): void {
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

/** The part of WebGPU used here (TypeScript's DOM library does not declare WebGPU). */
interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly info?: { vendor?: string; architecture?: string; description?: string };
}
interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string; forceFallbackAdapter?: boolean }): Promise<GpuAdapterLike | null>;
}

/** This browser cannot run WebGPU; `reason` says why in words a tooltip can show. */
export class WebGpuUnavailable extends UserError {
  constructor(readonly reason: string) {
    super(`WebGPU is not available: ${reason}; use the wasm backend`);
  }
}

let adapterPromise: Promise<GpuAdapterLike> | null = null;

/**
 * The WebGPU adapter onnxruntime-web runs on: requested once, the way onnxruntime-web would
 * (its env.webgpu power preference), and handed to it (env.webgpu.adapter) so that the adapter
 * whose features were checked is the one its device comes from. A browser without one is told
 * so (WebGpuUnavailable). A failed request is asked again next time.
 */
export function webgpuAdapter(): Promise<GpuAdapterLike> {
  adapterPromise ??= (async () => {
    const webgpu = ort.env.webgpu as { adapter?: unknown; powerPreference?: string; forceFallbackAdapter?: boolean };
    if (webgpu.adapter) return webgpu.adapter as GpuAdapterLike;
    const gpu = (globalThis.navigator as (Navigator & { gpu?: GpuLike }) | undefined)?.gpu;
    if (!gpu) throw new WebGpuUnavailable('this browser has no WebGPU (navigator.gpu; headless Chromium needs --enable-unsafe-webgpu)');
    const adapter = await gpu.requestAdapter({ powerPreference: webgpu.powerPreference, forceFallbackAdapter: webgpu.forceFallbackAdapter });
    if (!adapter) throw new WebGpuUnavailable('the browser offers no WebGPU adapter');
    webgpu.adapter = adapter;
    return adapter;
  })();
  adapterPromise.catch(() => (adapterPromise = null));
  return adapterPromise;
}

/** The adapter in words ('google swiftshader'), for messages. */
export function adapterWords(adapter: GpuAdapterLike): string {
  const info = adapter.info;
  const words = [info?.vendor, info?.architecture, info?.description].filter((w) => w);
  return words.length > 0 ? words.join(' ') : 'an unnamed adapter';
}

let adapterName = 'the WebGPU adapter';

const plainWebGpuWeb: OrtBackend = ortBackend(
  'webgpu',
  ort as unknown as OrtModuleLike,
  (opts) => ({
    executionProviders: ['webgpu'],
    graphOptimizationLevel: opts.optimizations === 'disabled' ? 'disabled' : 'all',
    logSeverityLevel: 4,
  }),
  async (opts) => {
    initialise(opts);
    await webgpuAdapter();
  },
  'onnxruntime-web (WebGPU)',
);

/**
 * onnxruntime-web 1.30's WebGPU build (the asyncify wasm) has no bfloat16 Cast kernel, in its WebGPU
 * provider or its CPU one: a bf16 graph fails to load there ("Could not find an implementation for
 * Cast(13)", or "Provider type for Cast node … is not set" with WebGPU listed), while the plain
 * wasm build and onnxruntime-node's WebGPU provider run it. So it is refused up front, with the fix.
 */
export const BF16_ON_WEBGPU_BUILD =
  "this graph stores its weights in bfloat16 (ssmc.precision bf16), and onnxruntime-web's WebGPU build has no bfloat16 Cast to widen them (on WebGPU or on its CPU provider); " +
  'compile it with --precision fp16 (the same size, and it runs on WebGPU without shader-f16) or fp32, or run it on the wasm backend of the plain onnxruntime-web build';

function refusingBf16(backend: OrtBackend): OrtBackend {
  const check = (bytes: Uint8Array) => {
    if (graphPrecision(bytes) === 'bf16') throw new UserError(BF16_ON_WEBGPU_BUILD);
  };
  return {
    name: backend.name,
    description: backend.description,
    async createSession(bytes, opts) {
      check(bytes);
      return backend.createSession(bytes, opts);
    },
    async run(bytes, feeds, opts) {
      check(bytes);
      return backend.run(bytes, feeds, opts);
    },
  };
}

/**
 * onnxruntime-web's WebGPU execution provider, in a browser with a WebGPU adapter. It needs a build
 * of onnxruntime-web that carries WebGPU (ort.webgpu*.mjs: the demo's bundle points its import
 * there); the plain wasm build refuses the provider. Run graphs compiled for `ort-webgpu`
 * (loop-free). A graph that needs float16 in shaders (precision.ts) is checked against the
 * adapter's shader-f16 first and runs on the wasm backend when the adapter lacks it (or is refused
 * with the reason when RunOptions.f16Fallback is false); a bf16 graph is refused (BF16_ON_WEBGPU_BUILD).
 * Outputs come back to the CPU.
 */
export const webgpuWebBackend: OrtBackend = refusingBf16(withF16Check(plainWebGpuWeb, {
  hasShaderF16: async () => {
    const adapter = await webgpuAdapter();
    adapterName = `the WebGPU adapter (${adapterWords(adapter)})`;
    return adapter.features.has('shader-f16');
  },
  fallback: async () => wasmBackend,
  device: () => adapterName,
}));
