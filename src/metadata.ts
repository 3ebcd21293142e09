import type { Model } from '../ir/model.js';
import { isPrecision, type Precision } from '../passes/precision/formats.js';
import { UserError } from './errors.js';
import type { ArgValues } from './models/args.js';
import { complexStateDims, layoutWords, type StateLayout } from './state-layout.js';

/**
 * The `ssmc.*` metadata of a model ssmc made: its one schema (types, writer, readers). The compile
 * driver writes it; the CLI, `ssmc inspect`, the step runner and the web page read it. Every
 * entry is a string (ONNX metadata_props); lists are JSON.
 */
export const METADATA_KEYS = {
  arch: 'ssmc.arch',
  official: 'ssmc.official',
  args: 'ssmc.args',
  mode: 'ssmc.mode',
  layout: 'ssmc.layout',
  seqLen: 'ssmc.seq_len',
  weights: 'ssmc.weights',
  precision: 'ssmc.precision',
  layers: 'ssmc.layers',
  states: 'ssmc.states',
  parameters: 'ssmc.parameters',
  scopes: 'ssmc.scopes',
} as const;

/** One SSM layer (`ssmc.layers`, a JSON array): what its long convolution is and how it was lowered. */
export interface LayerInfo {
  /** The module path of the layer's SSM core, e.g. 'layers.0.dss', 'layer' or 'kernel'. */
  name: string;
  /** The arch the layer belongs to (s4d-minimal, s4-block, dss, gss, gss-lm). */
  family: string;
  /** 'diag-zoh' | 'diag-bilinear' | 'vandermonde' (DSS-exp, GSS) | 'dplr' | 'dss-softmax' */
  kernel: string;
  /** The long-convolution lowering chosen. */
  lowering: string | null;
  H: number | null;
  /** Complex state modes per feature (a conjugate pair counts once where the kernel takes 2·Re). */
  N: number | null;
  /** Output channels of the convolution (C), two sides counted once. */
  channels: number | null;
  bidirectional: boolean;
}

/** One recurrent state of a step or prefill graph (`ssmc.states`, a JSON array). */
export interface StateInfo {
  /** The graph input that takes it (`state.<layer>`). */
  input: string;
  /** The graph output that returns its next value (`state_out.<layer>`). */
  output: string;
  /** [batch, H, 2, N] (or [batch, H, N, 2], state-layout.ts) with the symbolic 'batch'; a real state [batch, ...dims]. */
  shape: (string | number)[];
  dtype: 'float32';
  /** What the numbers mean: the basis, the layout, the value at the start of a sequence. */
  meaning: string;
}

export type CompileMode = 'conv' | 'step' | 'prefill';

export interface SsmcMetadata {
  arch: string;
  official: string;
  args: ArgValues;
  mode: CompileMode;
  /** The input layout ('BHL', 'BLH', 'BL', or with ' without L (one position)' for step graphs). */
  layout: string;
  /** The fixed length, 'dynamic', or null for step graphs (one position). */
  seqLen: number | 'dynamic' | null;
  /** 'checkpoint' or 'init(seed=N)'. */
  weights: string;
  /**
   * fp32, fp16 or bf16 (--precision): how the weights are stored and whether the graph computes
   * in float16 (only fp16 may; see readPrecision). The interface is float32 whatever it says.
   */
  precision: Precision;
  /** Empty for step graphs, which carry no long convolution. */
  layers: LayerInfo[];
  /** Empty for convolution graphs. */
  states: StateInfo[];
  /**
   * The model's parameters: elements of the floating-point tensors it was compiled from (a
   * checkpoint's or a fresh init's), a tensor tied to another counted once, and how many tensors.
   */
  parameters: { count: number; tensors: number } | null;
  /**
   * The top-level module scopes of the graph's nodes in graph order ('token_emb', 'layers.0', …,
   * 'to_logits'): a node's name is '<its scope>/<op>' ('layers.3/dss/conv/matmul'), so tools can
   * group the graph by the model's layers. Absent in files made before scopes existed.
   */
  scopes?: string[];
}

/** Write `meta` into the model's metadata (empty lists and a null length are left out). */
export function writeMetadata(model: Model, meta: SsmcMetadata): void {
  const m = model.metadata, K = METADATA_KEYS;
  m.set(K.arch, meta.arch);
  m.set(K.official, meta.official);
  m.set(K.args, JSON.stringify(meta.args));
  m.set(K.mode, meta.mode);
  m.set(K.layout, meta.layout);
  if (meta.seqLen !== null) m.set(K.seqLen, String(meta.seqLen));
  m.set(K.weights, meta.weights);
  m.set(K.precision, meta.precision);
  if (meta.layers.length > 0) m.set(K.layers, JSON.stringify(meta.layers));
  if (meta.states.length > 0) m.set(K.states, JSON.stringify(meta.states));
  if (meta.parameters) m.set(K.parameters, JSON.stringify(meta.parameters));
  if (meta.scopes && meta.scopes.length > 0) m.set(K.scopes, JSON.stringify(meta.scopes));
}

/** The state entry of a layer's complex state `name` with dims [H, N], as float32 in `layout`. */
export function stateInfo(name: string, H: number, N: number, meaning: string | undefined, layout: StateLayout = 'planar'): StateInfo {
  return {
    input: `state.${name}`, output: `state_out.${name}`, shape: ['batch', ...complexStateDims(layout, H, N)], dtype: 'float32',
    meaning: `${meaning ?? 'complex diagonal SSM state'}, ${layoutWords(layout)}; zeros at the start of a sequence`,
  };
}

/** The state entry of a real state `name`, float32 [batch, ...dims]. */
export function tensorStateInfo(name: string, dims: readonly number[], meaning: string, iface: 'state' | 'cache' = 'state'): StateInfo {
  return { input: `${iface}.${name}`, output: `${iface}_out.${name}`, shape: ['batch', ...dims], dtype: 'float32', meaning: `${meaning}; zeros at the start of a sequence` };
}

/** A layer entry as read from any file: what the file does not say is null. */
export type LayerEntry = { [K in keyof LayerInfo]: K extends 'name' ? string : LayerInfo[K] | null };
/** A state entry as read from any file: what the file does not say is null. */
export type StateEntry = { [K in keyof StateInfo]: K extends 'output' | 'shape' | 'dtype' ? StateInfo[K] : StateInfo[K] | null };

/** What a reader found: the entries it could read, and one line per entry it had to set aside. */
export interface MetadataReading {
  meta: Partial<Omit<SsmcMetadata, 'layers' | 'states'>> & { layers?: LayerEntry[]; states?: StateEntry[] };
  problems: string[];
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const intOrNull = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) ? x : null);

function parseList(text: string | undefined, key: string, problems: string[]): unknown[] | undefined {
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    problems.push(`metadata '${key}' is not valid JSON (${(e as Error).message}); ignored`);
    return undefined;
  }
  if (!Array.isArray(raw)) {
    problems.push(`metadata '${key}' is not a JSON array; ignored`);
    return undefined;
  }
  return raw;
}

function readLayers(model: Model, problems: string[]): LayerEntry[] | undefined {
  const key = METADATA_KEYS.layers;
  return parseList(model.metadata.get(key), key, problems)?.flatMap((l, i) => {
    const e = (typeof l === 'object' && l !== null ? l : {}) as Record<string, unknown>;
    if (!isStr(e.name)) {
      problems.push(`metadata '${key}'[${i}] has no string 'name'; ignored`);
      return [];
    }
    return [{
      name: e.name, family: isStr(e.family) ? e.family : null, kernel: isStr(e.kernel) ? e.kernel : null, lowering: isStr(e.lowering) ? e.lowering : null,
      H: intOrNull(e.H), N: intOrNull(e.N), channels: intOrNull(e.channels), bidirectional: typeof e.bidirectional === 'boolean' ? e.bidirectional : null,
    }];
  });
}

function readStateList(model: Model, problems: string[]): StateEntry[] | undefined {
  const key = METADATA_KEYS.states;
  return parseList(model.metadata.get(key), key, problems)?.flatMap((s, i) => {
    const e = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    if (!isStr(e.output)) {
      problems.push(`metadata '${key}'[${i}] has no string 'output'; ignored`);
      return [];
    }
    const shape = Array.isArray(e.shape) ? e.shape.filter((d): d is number | string => typeof d === 'number' || typeof d === 'string') : [];
    return [{ input: isStr(e.input) ? e.input : null, output: e.output, shape, dtype: 'float32' as const, meaning: isStr(e.meaning) ? e.meaning : null }];
  });
}

/**
 * Every ssmc.* entry a model has, for tools that read any file (`ssmc inspect`): what cannot be
 * read is left out and named in `problems`, never thrown.
 */
export function readMetadata(model: Model): MetadataReading {
  const problems: string[] = [];
  const get = (k: string) => model.metadata.get(k);
  const meta: MetadataReading['meta'] = {};
  const K = METADATA_KEYS;
  if (get(K.arch) !== undefined) meta.arch = get(K.arch);
  if (get(K.official) !== undefined) meta.official = get(K.official);
  const mode = get(K.mode);
  if (mode === 'conv' || mode === 'step' || mode === 'prefill') meta.mode = mode;
  else if (mode !== undefined) problems.push(`metadata '${K.mode}' is '${mode}', not conv, step or prefill; ignored`);
  if (get(K.layout) !== undefined) meta.layout = get(K.layout);
  const seqLen = get(K.seqLen);
  if (seqLen !== undefined) meta.seqLen = seqLen === 'dynamic' ? 'dynamic' : Number.isInteger(Number(seqLen)) && Number(seqLen) > 0 ? Number(seqLen) : null;
  if (get(K.weights) !== undefined) meta.weights = get(K.weights);
  const precision = get(K.precision);
  if (precision !== undefined && isPrecision(precision)) meta.precision = precision;
  else if (precision !== undefined) problems.push(`metadata '${K.precision}' is '${precision.slice(0, 40)}', not fp32, fp16 or bf16; ignored`);
  const layers = readLayers(model, problems);
  if (layers) meta.layers = layers;
  const states = readStateList(model, problems);
  if (states) meta.states = states;
  const parameters = readParameters(model, problems);
  if (parameters) meta.parameters = parameters;
  const scopes = parseList(get(K.scopes), K.scopes, problems);
  if (scopes) {
    if (scopes.every(isStr)) meta.scopes = scopes;
    else problems.push(`metadata '${K.scopes}' is not a list of strings; ignored`);
  }
  return { meta, problems };
}

function readParameters(model: Model, problems: string[]): { count: number; tensors: number } | undefined {
  const key = METADATA_KEYS.parameters, text = model.metadata.get(key);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as { count?: unknown; tensors?: unknown };
    if (Number.isSafeInteger(v.count) && (v.count as number) >= 0 && Number.isSafeInteger(v.tensors) && (v.tensors as number) >= 0) return { count: v.count as number, tensors: v.tensors as number };
  } catch {
    // reported below
  }
  problems.push(`metadata '${key}' is not {"count": n, "tensors": n}; ignored`);
  return undefined;
}

/**
 * The precision a graph was compiled for: the one thing a runtime reads before choosing where to
 * run it. 'fp16' may compute in float16 (a WebGPU adapter needs `shader-f16` for it); 'bf16' and
 * 'fp32' compute in float32 everywhere ('bf16' only stores its weights in bfloat16, cast to
 * float32 when the session loads). A graph without the entry (an older ssmc's, another
 * exporter's) is 'fp32'; an entry that is none of the three is refused.
 */
export function readPrecision(model: Model): Precision {
  const value = model.metadata.get(METADATA_KEYS.precision);
  if (value === undefined) return 'fp32';
  if (!isPrecision(value)) throw new UserError(`metadata ${METADATA_KEYS.precision} is '${value.slice(0, 40)}'; it must be fp32, fp16 or bf16`);
  return value;
}

/** The mode a model was compiled in, or null when it carries no (valid) ssmc.mode. */
export function compiledMode(model: Model): CompileMode | null {
  return readMetadata(model).meta.mode ?? null;
}

/** The most elements one state may hold per batch entry (1 GiB of float32): metadata claiming more is refused. */
export const MAX_STATE_ELEMENTS = 2 ** 28;

/**
 * A step or prefill graph's state interface, checked against the graph itself: a file's metadata
 * is data like any other, so every state must be a float32 graph input (a step graph reads it) or
 * output (a prefill graph returns it) of the declared shape, and its size is bounded before zeros
 * are allocated for it. Throws a UserError naming the entry and the rule (not a step graph, bad
 * JSON, a name the graph lacks, a shape it does not have).
 */
export function readStates(model: Model): StateInfo[] {
  const key = METADATA_KEYS.states;
  const text = model.metadata.get(key);
  if (!text) throw new UserError(`not a step graph: its metadata has no ${key}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UserError(`metadata ${key} is not valid JSON (${(e as Error).message.slice(0, 100)})`);
  }
  if (!Array.isArray(parsed)) throw new UserError(`metadata ${key} must be a JSON array of {input, output, shape}`);
  const inputs = new Map(model.graph.inputs.map((v) => [v.name, v]));
  const outputs = new Map(model.graph.outputs.map((v) => [v.name, v]));
  // A step graph reads each state as an input; a prefill graph only returns it.
  const stepGraph = model.metadata.get(METADATA_KEYS.mode) !== 'prefill';
  return parsed.map((entry: unknown, i): StateInfo => {
    const where = `metadata ${key}[${i}]`;
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (!isStr(e.input) || !isStr(e.output) || !Array.isArray(e.shape)) {
      throw new UserError(`${where} must be an object with "input", "output" (names) and "shape" (a list)`);
    }
    const shape = e.shape as unknown[];
    const output = outputs.get(e.output);
    const value = stepGraph ? inputs.get(e.input) : output;
    if (!output) throw new UserError(`${where}: '${e.output}' is not a graph output of the model`);
    if (!value) throw new UserError(`${where}: '${e.input}' is not a graph input of the model`);
    const role = stepGraph ? `graph input '${e.input}'` : `graph output '${e.output}'`;
    if (value.type.dtype !== 'float32') throw new UserError(`${where}: ${role} is ${value.type.dtype}, not float32`);
    const declared = value.type.shape;
    const same = declared !== null && declared.length === shape.length && shape.every((d, k) => (d === 'batch' ? declared[k] === 'batch' : d === declared[k]));
    if (!same || shape.some((d) => d !== 'batch' && !(Number.isSafeInteger(d) && (d as number) >= 0))) {
      throw new UserError(`${where}: shape ${JSON.stringify(shape).slice(0, 80)} does not match ${role} [${declared?.join(',') ?? '?'}]`);
    }
    const elements = shape.reduce<number>((n, d) => n * (d === 'batch' ? 1 : (d as number)), 1);
    if (elements > MAX_STATE_ELEMENTS) throw new UserError(`${where}: state '${e.input}' holds ${elements} elements per sequence, over the ${MAX_STATE_ELEMENTS} limit`);
    return { input: e.input, output: e.output, shape: shape as (string | number)[], dtype: 'float32', meaning: isStr(e.meaning) ? e.meaning : '' };
  });
}

/** A state's dims for a given batch size ('batch' → batch; a state has no other symbolic dim). */
export function stateDims(s: StateInfo, batch: number): number[] {
  return s.shape.map((d) => {
    if (d === 'batch') return batch;
    if (typeof d === 'number') return d;
    throw new Error(`state '${s.input}': dim '${d}' is neither 'batch' nor a number`);
  });
}
