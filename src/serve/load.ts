import { basename, extname } from 'node:path';
import { modelToBytes } from '../../export/onnx-write.js';
import type { Model } from '../../ir/model.js';
import { Progress } from '../../ir/progress.js';
import { compileModel } from '../compile.js';
import { loadModelSource } from '../model-source.js';
import { UserError } from '../errors.js';
import { readModelFile } from '../external-data.js';
import { compileLmGraphs, lmFromModels, type LmGraphs } from './lm.js';
import type { TensorSpec } from './v2-tensors.js';

/** What `ssmc serve` serves: one graph for the v2 API, and the LM graphs when it is a language model. */
export interface ServedModel {
  name: string;
  /** The graph behind `/v2/models/<name>/infer`. */
  graph: Uint8Array;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** The graph's `ssmc.*` metadata, shown in the model metadata response. */
  metadata: Record<string, string>;
  lm: LmGraphs | null;
  /** Why `/v1/completions` is not served (when lm is null). */
  noLm: string;
}

export interface LoadOptions {
  weights?: string;
  name?: string;
  /** Threads the compile's cost model plans for (as `ssmc compile --threads`). */
  threads?: number;
  /** Where the compiles report their progress (default: nowhere). */
  progress?: Progress;
  /** The runtime target it plans for (as `ssmc compile --target`; default ort-cpu). */
  runtime?: string;
}

/**
 * A model file (with or without a checkpoint, compiled here exactly as `ssmc compile` and
 * `ssmc generate` compile it) or a compiled .onnx. A model file is served as its convolution
 * graph (dynamic length) on the v2 API and, when it maps token ids to logits and has a step mode,
 * as a language model (step + prefill graphs). A compiled step graph with token-id input is
 * served as a language model too (prompts fed through the step graph).
 */
export function loadServedModel(path: string, opts: LoadOptions): ServedModel {
  const name = opts.name ?? basename(path, extname(path));
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new UserError(`--name '${name}' cannot be a model name in a URL: use letters, digits, '_', '.' and '-', starting with a letter or digit`);
  }
  if (!path.endsWith('.onnx')) {
    // A model file (JSON or a Hydra config), compiled as `ssmc compile` would.
    const { file, weights } = loadModelSource(path, opts.weights);
    const progress = opts.progress ?? Progress.none;
    const conv = progress.run('compile conv graph', (task) => compileModel(file, weights, { seqLen: null, opset: 17, threads: opts.threads, runtime: opts.runtime, progress: task.progress }).model);
    const lm = compileLmGraphs(file, weights, { opset: 17, threads: opts.threads, runtime: opts.runtime, progress });
    return describe(name, conv, modelToBytes(conv), lm);
  }
  if (opts.weights) throw new UserError(`--weights applies to a model file (.json); '${path}' is a compiled graph that already holds its weights`);
  // onnxruntime gets the model with its external data inside, read from the model's own folder.
  const file = readModelFile(path);
  return describe(name, file.model, file.runnable(), lmFromModels(file.withData(), null));
}

function describe(name: string, model: Model, bytes: Uint8Array, lm: LmGraphs | string): ServedModel {
  const spec = (v: { name: string; type: { dtype: TensorSpec['dtype']; shape: TensorSpec['shape'] } }): TensorSpec => ({ name: v.name, dtype: v.type.dtype, shape: v.type.shape });
  return {
    name,
    graph: bytes,
    inputs: model.graph.inputs.filter((v) => !v.constant).map(spec),
    outputs: model.graph.outputs.map(spec),
    metadata: Object.fromEntries([...model.metadata].filter(([k]) => k.startsWith('ssmc.'))),
    lm: typeof lm === 'string' ? null : lm,
    noLm: typeof lm === 'string' ? lm : '',
  };
}
