import { UserError } from '../errors.js';
import type { BackendName, OrtBackend } from './backend.js';

export const BACKEND_NAMES: readonly BackendName[] = ['node', 'wasm', 'webgpu'];

const WORDS: Record<BackendName, string> = {
  node: "onnxruntime-node's native CPU provider",
  wasm: "onnxruntime-web's wasm",
  webgpu: "onnxruntime-node's WebGPU provider",
};

/** The runtime target (`ssmc compile --target`) a model compiled to run on a backend is planned for. */
export const COMPILE_TARGET: Record<BackendName, string> = { node: 'ort-cpu', wasm: 'ort-wasm', webgpu: 'ort-webgpu' };

/** The name a `--backend` flag gives, checked. */
export function backendName(name: string, flagName = '--backend'): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new UserError(`${flagName} must be one of ${BACKEND_NAMES.join(', ')} (${BACKEND_NAMES.map((n) => `${n}: ${WORDS[n]}`).join('; ')}), got '${name}'`);
}

/**
 * Readies the process for a backend before anything loads it, where that matters: WebGPU reads its
 * environment (Vulkan driver, XDG_RUNTIME_DIR) from the process when its first device is made, and
 * a worker thread's process.env does not reach native code, so the server calls this on its main
 * thread. Throws a UserError naming what is missing.
 */
export async function prepareBackend(name: BackendName): Promise<void> {
  if (name !== 'webgpu') return;
  const { prepareWebGpuEnvironment } = await import('./webgpu-env.js');
  const env = prepareWebGpuEnvironment();
  if (env.missing.length) throw new UserError(`WebGPU is not available: ${env.missing.join('; ')}`);
}

/**
 * The backend a `--backend` flag names. Each onnxruntime package is imported only when asked for,
 * so the CLI does not pay for loading onnxruntime-web's wasm when it runs onnxruntime-node.
 */
export async function backendNamed(name: string, flagName = '--backend'): Promise<OrtBackend> {
  switch (backendName(name, flagName)) {
    case 'node': return (await import('./node.js')).nodeBackend;
    case 'wasm': return (await import('./web.js')).wasmBackend;
    case 'webgpu':
      await prepareBackend('webgpu');
      return (await import('./node-webgpu.js')).webgpuBackend;
  }
}
