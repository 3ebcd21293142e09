/**
 * The runtime the CLI, the step runner, the benchmark and the tests use: onnxruntime-node through
 * the backend interface of backend.ts (which also serves onnxruntime-web).
 */
export type { RunOptions, Session } from './backend.js';
export { createNodeSession as createSession, runNode as runOnnx } from './node.js';
