import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { sniffCheckpoint } from '../export/checkpoint-sniff.js';
import type { Tensor } from '../ir/tensor.js';
import { WRAPPER_PREFIXES } from './checkpoint.js';
import { readCheckpoint, type CheckpointContents } from './checkpoint-file.js';
import { parseModelFile, type ModelFile } from './compile.js';
import { configFromCheckpoint, parseYamlConfig, resolveConfig, isConfigObject, type ConfigObject } from './config/index.js';
import { UserError } from './errors.js';
import { MAX_MODEL_FILE_BYTES, readInput } from './files.js';
import { DATASET_ATTR_NAMES, type DatasetAttrName } from './models/sequence/dataset.js';
import { attrTensors, neededAttrs, parseStructure } from './models/sequence/parse.js';
import { exampleArgsFromTensors } from './models/sequence/s4-example.js';

/** A model to compile, from whichever files the user has, and what compile should say about it. */
export interface ModelSource {
  file: ModelFile;
  weights: CheckpointContents | null;
  /** Where the model definition came from ("config.yaml (Hydra config)", "hyper_parameters of last.ckpt"). */
  origin: string;
  /** What was read from where: dataset attributes and their sources, layouts, ignored options. */
  notes: string[];
  /** The files read (model file, checkpoint): an output must be none of them. */
  inputs: string[];
}

export interface SourceOptions {
  /** Dataset attributes given on the command line (--d-input 3, --l-output none): they win over everything. */
  attrs?: Partial<Record<DatasetAttrName, number | null>>;
}

/** The config sections the s4-sequence arch reads; the rest of a Hydra config is training. */
const SECTIONS = ['model', 'encoder', 'decoder', 'task'];
/** Dataset keys that decide the attributes the dataset class derives (resolved one by one: data paths may not resolve). */
const DATASET_KEYS = ['_name_', 'grayscale', 'tokenize', 'mfcc', 'dropped_rate', 'all_classes', 'n_tokens', 'l_noise', 'l_memorize', 'lag'];

/**
 * The three ways in: a model file (`{"arch", "args", "weights"?}` JSON, or a Hydra / experiment
 * YAML config) with or without `--weights`, or `--weights` alone when the checkpoint carries its
 * config (a Lightning checkpoint's `hyper_parameters`).
 */
export function loadModelSource(modelPath: string | undefined, weightsPath: string | undefined, opts: SourceOptions = {}): ModelSource {
  let file: ModelFile;
  let origin: string;
  let weightsFile = weightsPath;
  const notes: string[] = [];
  if (modelPath !== undefined && weightsFile === undefined && isCheckpointFile(modelPath)) {
    // `ssmc compile last.ckpt`: a checkpoint given where the model file goes is the weights (its config inside).
    const src = loadModelSource(undefined, modelPath, opts);
    src.notes.unshift(`${modelPath} is a checkpoint: read as --weights`);
    return src;
  }
  if (modelPath !== undefined) {
    if (isCheckpointFile(modelPath)) {
      throw new UserError(`model file '${modelPath}' is a checkpoint (weights), not a model file; give the checkpoint alone (ssmc compile --weights ${modelPath}) or a model file (model.json, config.yaml) with --weights`);
    }
    const text = new TextDecoder().decode(readInput(modelPath, 'model file', MAX_MODEL_FILE_BYTES));
    if (text.trimStart().startsWith('{')) {
      file = parseModelFile(text, modelPath);
      origin = modelPath;
      if (file.weights !== undefined) {
        const named = isAbsolute(file.weights) ? file.weights : join(dirname(modelPath), file.weights);
        if (weightsFile === undefined) weightsFile = named;
        else notes.push(`--weights ${weightsFile} used instead of the model file's "weights" (${file.weights})`);
      }
    } else {
      file = { arch: 's4-sequence', args: sequenceArgs(parseYamlConfig(text, modelPath), modelPath) };
      origin = `${modelPath} (Hydra config)`;
    }
  } else {
    if (weightsFile === undefined) throw new UserError('give a model file (model.json, or a Hydra config.yaml) or --weights with a checkpoint that carries its config (a Lightning last.ckpt)');
    const weights = readCheckpoint(readInput(weightsFile, 'checkpoint'), weightsFile);
    return finish(fromCheckpointAlone(weights, weightsFile), weights, `hyper_parameters of ${weightsFile}`, notes, opts, [weightsFile]);
  }
  const weights = weightsFile !== undefined ? readCheckpoint(readInput(weightsFile, 'checkpoint'), weightsFile) : null;
  return finish(file, weights, origin, notes, opts, [modelPath, ...(weightsFile !== undefined ? [weightsFile] : [])]);
}

/** Whether a file's first bytes are a checkpoint's (torch.save or safetensors), never its extension. */
function isCheckpointFile(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return false; // readInput then says what it is
    const head = new Uint8Array(512);
    const n = readSync(fd, head, 0, head.length, 0);
    return sniffCheckpoint(head.subarray(0, n)) !== 'unknown';
  } catch {
    return false; // readInput reports the problem with the file
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The model a checkpoint describes by itself: its `hyper_parameters` config, or (example.py) its tensors. */
function fromCheckpointAlone(weights: CheckpointContents, path: string): ModelFile {
  const config = configFromCheckpoint(weights);
  if (config) return { arch: 's4-sequence', args: sequenceArgs(config, `${path} hyper_parameters`) };
  if ([...weights.tensors.keys()].some((k) => /^(module\.)?s4_layers\.\d+\./.test(k))) {
    const args = exampleArgsFromTensors(weights.tensors);
    throw new UserError(
      `${path} is an example.py checkpoint ({'model': state_dict, …}), which records no config: whether the LayerNorms come before the S4D layers (prenorm) cannot be read from its tensors; ` +
        `write a model file such as {"arch": "s4-example", "args": {"prenorm": ${false}}, "weights": "${path}"} (the other arguments${args ? `, ${Object.entries(args).map(([k, v]) => `${k} ${v}`).join(', ')},` : ''} come from the tensors) and compile that`,
    );
  }
  throw new UserError(`${path} carries no config (no Lightning hyper_parameters); give the model file too: ssmc compile <model.json|config.yaml> --weights ${path}`);
}

/** A whole Hydra config (or hyper_parameters) → the s4-sequence args: its inference sections, interpolations resolved. */
export function sequenceArgs(config: ConfigObject, source: string): Record<string, unknown> {
  if (config.defaults !== undefined) {
    throw new UserError(
      `${source}: the config composes other files through "defaults" (${JSON.stringify(config.defaults).slice(0, 80)}), which ssmc does not do; ` +
        'use the composed config Hydra saves with every run (.hydra/config.yaml in the run folder) or a Lightning checkpoint (its hyper_parameters)',
    );
  }
  if (!isConfigObject(config.model)) throw new UserError(`${source}: the config has no "model" section; give the training run's composed config (.hydra/config.yaml)`);
  const only = [...SECTIONS.filter((k) => k in config), ...DATASET_KEYS.filter((k) => isConfigObject(config.dataset) && k in config.dataset).map((k) => `dataset.${k}`)];
  const resolved = resolveConfig(config, source, { only });
  const args: Record<string, unknown> = {};
  for (const k of SECTIONS) if (k in resolved) args[k] = resolved[k];
  if (isConfigObject(resolved.dataset)) args.dataset = Object.fromEntries(DATASET_KEYS.filter((k) => k in (resolved.dataset as ConfigObject)).map((k) => [k, (resolved.dataset as ConfigObject)[k]]));
  return args;
}

function finish(file: ModelFile, weights: CheckpointContents | null, origin: string, notes: string[], opts: SourceOptions, inputs: string[]): ModelSource {
  if (file.arch === 's4-sequence') file = { ...file, args: completeSequenceArgs(file.args, weights, notes, opts) };
  if (file.arch === 's4-example' && weights) file = { ...file, args: completeExampleArgs(file.args, weights, notes) };
  return { file, weights, origin, notes, inputs };
}

/** A tensor's dims by its name as the arch declares it, looking through wrapper prefixes. */
export function shapeOf(tensors: Map<string, Tensor>, name: string): readonly number[] | undefined {
  const direct = tensors.get(name);
  if (direct) return direct.dims;
  for (const a of WRAPPER_PREFIXES) {
    const t = tensors.get(a + name) ?? WRAPPER_PREFIXES.map((b) => tensors.get(a + b + name)).find((x) => x !== undefined);
    if (t) return t.dims;
  }
  return undefined;
}

/**
 * Fill in the dataset attributes the config leaves to the dataset (d_input, d_output, n_tokens,
 * l_output): a flag wins, then the model file's args, then the checkpoint's shapes, then what the
 * named dataset defines. Each value taken is noted with its source.
 */
function completeSequenceArgs(given: Record<string, unknown>, weights: CheckpointContents | null, notes: string[], opts: SourceOptions): Record<string, unknown> {
  const args: Record<string, unknown> = { ...given };
  for (const [k, v] of Object.entries(opts.attrs ?? {})) args[k] = v;
  const structure = parseStructure(args);
  notes.push(...structure.notes);
  const fromTensors = new Map<DatasetAttrName, { value: number | null; why: string }>();
  if (weights) {
    for (const t of attrTensors(structure)) {
      if (fromTensors.has(t.attr)) continue;
      const dims = shapeOf(weights.tensors, t.tensor);
      if (dims) fromTensors.set(t.attr, { value: dims[t.dim] ?? null, why: `${t.tensor} [${dims.join(', ')}]` });
      else if (t.optional) fromTensors.set(t.attr, { value: null, why: `no ${t.tensor} in the checkpoint: the decoder has no output Linear` });
    }
  }
  const parts: string[] = [];
  for (const attr of neededAttrs(structure)) {
    const show = (v: unknown) => (v === null ? 'none' : String(v));
    if (opts.attrs && attr in opts.attrs) parts.push(`${attr} ${show(args[attr])} (--${attr.replace('_', '-')})`);
    else if (attr in given) parts.push(`${attr} ${show(args[attr])} (model file)`);
    else if (fromTensors.has(attr)) {
      const f = fromTensors.get(attr)!;
      args[attr] = f.value;
      parts.push(`${attr} ${show(f.value)} (${f.why})`);
    } else if (attr in structure.dataset.known) {
      args[attr] = structure.dataset.known[attr];
      parts.push(`${attr} ${show(args[attr])} (${structure.dataset.phrase}${attr === 'l_output' ? describeLOutput(args[attr] as number | null) : ''})`);
    }
  }
  if (parts.length > 0) notes.unshift(`dataset attributes: ${parts.join(', ')}`);
  for (const k of DATASET_ATTR_NAMES) if (args[k] === undefined) delete args[k];
  return args;
}

function describeLOutput(l: number | null): string {
  return l === null ? ': an output at every position' : l === 0 ? ': one output per sequence' : `: the decoder's ${l} positions`;
}

/** example.py checkpoints: the arguments the tensors give, where the model file leaves them out. */
function completeExampleArgs(given: Record<string, unknown>, weights: CheckpointContents, notes: string[]): Record<string, unknown> {
  const derived = exampleArgsFromTensors(weights.tensors);
  if (!derived) return given;
  const args: Record<string, unknown> = { ...given };
  const taken: string[] = [];
  for (const [k, v] of Object.entries(derived)) {
    if (args[k] === undefined) {
      args[k] = v;
      taken.push(`${k} ${v}`);
    }
  }
  if (taken.length > 0) notes.push(`from the checkpoint's shapes: ${taken.join(', ')}`);
  return args;
}

