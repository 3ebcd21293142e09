/**
 * `ssmc/runtime`: running models in onnxruntime-node behind the backend interface (which
 * `ssmc/runtime/web` serves with onnxruntime-web's wasm).
 */
export * from './backend.js';
export { createSession, runOnnx } from './run.js';
export { createNodeSession, nodeBackend, runNode } from './node.js';
export { BACKEND_NAMES, backendNamed } from './select.js';
