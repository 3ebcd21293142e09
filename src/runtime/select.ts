import { UserError } from '../errors.js';
import type { BackendName, OrtBackend } from './backend.js';

export const BACKEND_NAMES: readonly BackendName[] = ['node', 'wasm'];

/**
 * The backend a `--backend` flag names. Each onnxruntime package is imported only when asked for,
 * so the CLI does not pay for loading onnxruntime-web's wasm when it runs onnxruntime-node.
 */
export async function backendNamed(name: string, flagName = '--backend'): Promise<OrtBackend> {
  switch (name) {
    case 'node': return (await import('./node.js')).nodeBackend;
    case 'wasm': return (await import('./web.js')).wasmBackend;
    default:
      throw new UserError(`${flagName} must be one of ${BACKEND_NAMES.join(', ')} (onnxruntime-node's native CPU provider, or onnxruntime-web's wasm), got '${name}'`);
  }
}
