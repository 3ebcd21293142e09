/**
 * `ssmc/runtime`: running models in onnxruntime-node behind the backend interface (which
 * `ssmc/runtime/web` serves with onnxruntime-web's wasm).
 */
export * from './backend.js';
export { createSession, runOnnx } from './run.js';
export { createNodeSession, nodeBackend, runNode } from './node.js';
export { BACKEND_NAMES, backendNamed } from './select.js';
export { CPU_PROVIDER, parsePlacementLog, placementProblems, readPlacement, summarizePlacement, type PlacedNode, type Placement } from './placement.js';
export { nodeHasShaderF16, webgpuBackend } from './node-webgpu.js';
export { describeWebGpuEnvironment, prepareWebGpuEnvironment, SWIFTSHADER_ICDS, type WebGpuEnvironment } from './webgpu-env.js';
export { float16Use, graphPrecision, needsShaderF16, noShaderF16, withF16Check, type F16Policy, type Float16Use, type GraphPrecision } from './precision.js';
