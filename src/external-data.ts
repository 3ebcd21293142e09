import { realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { externalLocationProblem, inlineExternalData, tensorFromExternalBytes } from '../export/external-data.js';
import { modelFromBytes } from '../export/onnx-read.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { UserError } from './errors.js';
import { MAX_INPUT_BYTES, readInput } from './files.js';

/**
 * Resolve a model's external data against the model file's own folder — never the working
 * directory, never outside the folder (symbolic links that lead out included) — and hand back
 * self-contained model bytes for onnxruntime.
 */
export function externalDataLoader(modelPath: string) {
  let folder: string;
  try {
    folder = realpathSync(dirname(resolve(modelPath)));
  } catch (e) {
    throw new UserError(`model '${modelPath}': its folder cannot be resolved (${(e as Error).message})`);
  }
  const files = new Map<string, Uint8Array>();
  let total = 0;
  return (location: string, offset: number, length: number | null, tensor: string): Uint8Array => {
    const where = `model '${modelPath}': initializer '${tensor}'`;
    const problem = externalLocationProblem(location);
    if (problem) throw new UserError(`${where}: external data location '${location}' is refused: ${problem}`);
    let real: string;
    try {
      real = realpathSync(join(folder, location));
    } catch {
      throw new UserError(`${where}: its external data file '${location}' does not exist in the model's folder ${folder}`);
    }
    const rel = relative(folder, real);
    if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) {
      throw new UserError(`${where}: external data location '${location}' leads out of the model's folder (to ${real}, through a symbolic link); external data must lie in the folder of the .onnx file`);
    }
    let data = files.get(real);
    if (!data) {
      data = readInput(real, `external data file of ${where}`);
      files.set(real, data);
    }
    const n = length ?? data.byteLength - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(n) || offset < 0 || n < 0 || offset + n > data.byteLength) {
      throw new UserError(`${where}: its external data claims bytes [${offset}, ${offset + n}) of '${location}', which has ${data.byteLength}`);
    }
    total += n;
    if (total > MAX_INPUT_BYTES) throw new UserError(`model '${modelPath}': its external data adds up to more than ${MAX_INPUT_BYTES} bytes, the most a model handed to onnxruntime in memory can hold`);
    return data.subarray(offset, offset + n);
  };
}

/**
 * An .onnx file read and validated; `runnable` is what onnxruntime is given: the file's bytes
 * with its external data (if any) moved inside, read on first use.
 */
export function readModelFile(path: string, what = 'model'): { model: Model; bytes: Uint8Array; runnable: () => Uint8Array; withData: () => Model } {
  const bytes = readInput(path, what);
  const model = modelFromBytes(bytes);
  let inlined: Uint8Array | null = null;
  const runnable = () => (inlined ??= hasExternalData(model) ? inlineExternalData(bytes, externalDataLoader(path)).bytes : bytes);
  let loaded: Model | null = null;
  const withData = () => (loaded ??= hasExternalData(model) ? loadExternalData(modelFromBytes(bytes), path) : model);
  return { model, bytes, runnable, withData };
}

/**
 * The model with every external tensor's data read into the IR (from the model's folder only),
 * for callers that write the model again (modelToBytes would otherwise keep references that the
 * next reader resolves against its own working directory).
 */
export function loadExternalData(model: Model, path: string): Model {
  const load = externalDataLoader(path);
  const read = (t: Tensor, name: string): Tensor => {
    const ext = t.external!;
    return tensorFromExternalBytes(t, load(ext.location, ext.offset, ext.length, name));
  };
  const graphs = [model.graph, ...model.functions.map((f) => f.body)];
  while (graphs.length) {
    const g = graphs.pop()!;
    for (const v of g.initializers) if (v.constant?.external) v.constant = read(v.constant, v.name);
    for (const n of g.nodes) {
      for (const [k, a] of n.attrs) {
        if (a.kind === 'tensor' && a.value.external) n.attrs.set(k, { kind: 'tensor', value: read(a.value, `${n.name}.${k}`) });
        if (a.kind === 'tensors' && a.value.some((t) => t.external)) n.attrs.set(k, { kind: 'tensors', value: a.value.map((t, i) => (t.external ? read(t, `${n.name}.${k}[${i}]`) : t)) });
        if (a.kind === 'graph') graphs.push(a.value);
        if (a.kind === 'graphs') for (const sub of a.value) graphs.push(sub);
      }
    }
  }
  return model;
}

function hasExternalData(model: Model): boolean {
  const graphs = [model.graph, ...model.functions.map((f) => f.body)];
  while (graphs.length) {
    const g = graphs.pop()!;
    if (g.initializers.some((v) => v.constant?.external)) return true;
    for (const n of g.nodes) {
      for (const a of n.attrs.values()) {
        if (a.kind === 'tensor' && a.value.external) return true;
        if (a.kind === 'tensors' && a.value.some((t) => t.external)) return true;
        if (a.kind === 'graph') graphs.push(a.value);
        if (a.kind === 'graphs') for (const sub of a.value) graphs.push(sub);
      }
    }
  }
  return false;
}
