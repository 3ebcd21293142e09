import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../ir/tensor.js';
import { ortBackend, type OrtBackend, type OrtModuleLike, type RunOptions, type Session } from './backend.js';

/** onnxruntime-node: the native CPU execution provider. */
export const nodeBackend: OrtBackend = ortBackend('node', ort as unknown as OrtModuleLike, (opts) => ({
  executionProviders: ['cpu'],
  graphOptimizationLevel: opts.optimizations === 'disabled' ? 'disabled' : 'all',
  // Failures reach the caller as exceptions (translated in backend.ts); onnxruntime's own log
  // lines on stderr would make a second, raw message.
  logSeverityLevel: 4,
  ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
}), undefined, 'onnxruntime-node (CPU)');

/** Run an .onnx model once in onnxruntime-node (CPU) and return every output by name. */
export function runNode(modelBytes: Uint8Array, feeds: Map<string, Tensor>, opts: RunOptions = {}): Promise<Map<string, Tensor>> {
  return nodeBackend.run(modelBytes, feeds, opts);
}

/** A reusable onnxruntime-node session (generation loops, benchmarks). */
export function createNodeSession(modelBytes: Uint8Array, opts: RunOptions = {}): Promise<Session> {
  return nodeBackend.createSession(modelBytes, opts);
}
