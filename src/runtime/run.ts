import * as ort from 'onnxruntime-node';
import type { Tensor } from '../../ir/tensor.js';
import type { DType } from '../../ir/types.js';
import { UserError } from '../errors.js';

export interface RunOptions {
  /** Intra-op threads (onnxruntime's default when unset). */
  threads?: number;
  /** Graph optimisations: 'all' (default) or 'disabled' to run the graph exactly as written. */
  optimizations?: 'all' | 'disabled';
}

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool', uint8: 'uint8',
};

function toOrt(name: string, t: Tensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type || t.data === null) throw new UserError(`input '${name}': dtype ${t.dtype} cannot be fed to onnxruntime`);
  return new ort.Tensor(type, t.data as never, [...t.dims]);
}

function fromOrt(t: ort.Tensor): Tensor {
  const dtype = t.type as DType;
  return { dtype, dims: [...t.dims], data: t.data as Float32Array };
}

/** Run an .onnx model once in onnxruntime-node (CPU) and return every output by name. */
export async function runOnnx(model: Uint8Array, feeds: Map<string, Tensor>, opts: RunOptions = {}): Promise<Map<string, Tensor>> {
  const session = await createSession(model, opts);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** A loaded model for repeated runs (generation, benchmarks). */
export interface Session {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Map<string, Tensor>): Promise<Map<string, Tensor>>;
  release(): Promise<void>;
}

export async function createSession(model: Uint8Array, opts: RunOptions = {}): Promise<Session> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: opts.optimizations === 'disabled' ? 'disabled' : 'all',
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
  });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const inputs: Record<string, ort.Tensor> = {};
      for (const name of session.inputNames) {
        const t = feeds.get(name);
        if (!t) throw new UserError(`no value for graph input '${name}'; the model's inputs are ${session.inputNames.join(', ')}`);
        inputs[name] = toOrt(name, t);
      }
      const results = await session.run(inputs);
      return new Map(session.outputNames.map((name) => [name, fromOrt(results[name]!)]));
    },
    release: () => session.release(),
  };
}
