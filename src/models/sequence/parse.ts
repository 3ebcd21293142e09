import { isConfigObject, type ConfigObject, type ConfigValue } from '../../config/types.js';
import { UserError } from '../../errors.js';
import { ConfigNode } from './config-reader.js';
import { DATASET_ATTR_NAMES, datasetPhrase, knownDatasetAttrs, type DatasetAttrName, type DatasetAttrs } from './dataset.js';
import { parseBackbone } from './parse-backbone.js';
import type { BackboneSpec, DecoderSpec, EncoderSpec, SequenceSpec } from './spec.js';

/** The s4-sequence model file's `args`: the Hydra config's sections, plus the dataset's attributes where given. */
export const SEQUENCE_ARG_KEYS = ['model', 'encoder', 'decoder', 'dataset', 'task', ...DATASET_ATTR_NAMES] as const;

export const SUPPORTED_ENCODERS = ['linear', 'embedding', 'id'];
export const SUPPORTED_DECODERS = ['sequence', 'linear', 'id'];
const SUPPORTED_TASKS = ['base', 'lm'];

type EncoderPlan =
  | { kind: 'linear'; index: number; bias: boolean }
  | { kind: 'embedding'; index: number; task: boolean }
  | { kind: 'scale'; index: number; factor: number }
  | { kind: 'id'; index: number };

type DecoderPlan =
  | { kind: 'sequence'; index: number; mode: 'last' | 'first' | 'pool' | 'sum'; useLengths: boolean }
  | { kind: 'linear'; index: number; bias: boolean }
  | { kind: 'task-linear'; index: number }
  | { kind: 'id'; index: number };

/** The pipeline's modules, before the dataset's attributes fill in their widths. */
export interface SequenceStructure {
  backbone: BackboneSpec;
  task: { name: 'base' | 'lm'; tied: boolean; rescale: boolean };
  encoders: EncoderPlan[];
  decoders: DecoderPlan[];
  dataset: { name: string | null; known: DatasetAttrs; phrase: string };
  /** Attributes the args give explicitly (a model file's "d_input", or --d-input). */
  explicit: DatasetAttrs;
  /** What the config means that a user should know (a layout read as the checkpoint has it, lengths ignored). */
  notes: string[];
}

/** Parse the args' sections into the pipeline's modules; every problem is a UserError naming the key. */
export function parseStructure(args: unknown): SequenceStructure {
  if (!isConfigObject(args as ConfigValue)) throw new UserError('s4-sequence: "args" must be an object with the config sections model, encoder, decoder, dataset, task');
  const root = new ConfigNode(args as ConfigObject, []);
  for (const k of root.keys()) {
    if (!(SEQUENCE_ARG_KEYS as readonly string[]).includes(k)) {
      root.child(k).fail('is not a section ssmc reads', `the model's args are ${SEQUENCE_ARG_KEYS.join(', ')} (training sections such as trainer, optimizer, loader are only in a full Hydra config, where they are ignored)`);
    }
  }
  if (root.child('model').isNull) root.child('model').fail('is required: the SequenceModel config (d_model, n_layers, layer, …)');
  const backbone = parseBackbone(root.child('model'));
  const notes: string[] = [];
  const task = parseTask(root.child('task'));
  const taskName = task.name;

  const configEncoders = [...root.child('encoder').items(), ...root.child('model').child('encoder').items()];
  // task lm + an embedding encoder cannot run in the official pipeline (the embedding would be
  // applied to the task's float embeddings); checkpoints saved with that config hold the base
  // task's layout (the config's embedding first, the sequence decoder's Linear last).
  const baseLayout = taskName === 'lm' && configEncoders.some((e) => !e.isNull && e.named().name === 'embedding');
  if (baseLayout) {
    notes.push("task 'lm' with encoder 'embedding' cannot run in the official pipeline (the task's own embedding would feed the config's); read as the checkpoint lays it out: the config's embedding (no √d_model scale) and decoders, no task modules");
  }
  const lmTask = taskName === 'lm' && !baseLayout;

  const encoders: EncoderPlan[] = [];
  if (lmTask) {
    encoders.push({ kind: 'embedding', index: 0, task: true });
    if (task.rescale) encoders.push({ kind: 'scale', index: 1, factor: Math.sqrt(backbone.dModel) });
  }
  for (const e of configEncoders) if (!e.isNull) encoders.push(parseEncoder(e, encoders.length));

  const decoders: DecoderPlan[] = [];
  const configDecoders = [...root.child('model').child('decoder').items(), ...root.child('decoder').items()];
  for (const d of configDecoders) if (!d.isNull) decoders.push(parseDecoder(d, decoders.length, notes));
  if (lmTask) decoders.push({ kind: 'task-linear', index: decoders.length });

  const ds = knownDatasetAttrs(root.child('dataset').value, taskName);
  const explicit: DatasetAttrs = {};
  for (const k of DATASET_ATTR_NAMES) {
    const node = root.child(k);
    if (node.isMissing) continue;
    if (k === 'l_output' || k === 'd_output') explicit[k] = node.optInt();
    else explicit[k] = node.int();
    const v = explicit[k];
    if (typeof v === 'number' && (v < 0 || (v === 0 && k !== 'l_output'))) node.fail(k === 'l_output' ? 'must be ≥ 0 or null' : 'must be a positive integer');
  }
  return { backbone, task: { ...task, tied: lmTask && task.tied }, encoders, decoders, dataset: { name: ds.name, known: ds.attrs, phrase: datasetPhrase(ds.name, taskName) }, explicit, notes };
}

function parseTask(node: ConfigNode): { name: 'base' | 'lm'; tied: boolean; rescale: boolean } {
  if (node.isNull) return { name: 'base', tied: false, rescale: true };
  const { name, kwargs } = node.named();
  if (name === 'base') return { name: 'base', tied: false, rescale: true };
  if (name === 'lm') return { name: 'lm', tied: kwargs.child('tied').bool(false), rescale: kwargs.child('rescale').bool(true) };
  return node.fail(`task '${name}' adds modules ssmc does not compile`, `supported tasks: ${SUPPORTED_TASKS.join(', ')} (base covers classification and regression)`);
}

function parseEncoder(node: ConfigNode, index: number): EncoderPlan {
  const { name, kwargs } = node.named();
  switch (name) {
    case 'linear':
      kwargs.onlyKeys(['_name_', 'bias'], 'the linear encoder (nn.Linear)');
      return { kind: 'linear', index, bias: kwargs.child('bias').bool(true) };
    case 'embedding':
      kwargs.onlyKeys(['_name_', 'padding_idx', 'scale_grad_by_freq', 'sparse'], 'the embedding encoder (nn.Embedding)');
      return { kind: 'embedding', index, task: false };
    case 'id':
      kwargs.onlyKeys(['_name_'], 'the id encoder');
      return { kind: 'id', index };
    default:
      return node.fail(`encoder '${name}' is not supported`, `supported encoders: ${SUPPORTED_ENCODERS.join(', ')}`);
  }
}

function parseDecoder(node: ConfigNode, index: number, notes: string[]): DecoderPlan {
  const { name, kwargs } = node.named();
  switch (name) {
    case 'sequence': {
      kwargs.onlyKeys(['_name_', 'mode', 'use_lengths'], 'SequenceDecoder');
      const mode = kwargs.child('mode').str('last');
      if (!['last', 'first', 'pool', 'sum'].includes(mode)) {
        kwargs.child('mode').fail(`decoder mode '${mode}' is not supported`, "supported modes: last, first, pool, sum ('ragged' needs the batch's lengths)");
      }
      const useLengths = kwargs.child('use_lengths').bool(false);
      if (useLengths) {
        notes.push(`decoder.${index} use_lengths: the graph has no lengths input; it computes every sequence at its full length (as the official code does for unpadded batches; pad-free batches or batch size 1 give the same result)`);
      }
      return { kind: 'sequence', index, mode: mode as 'last', useLengths };
    }
    case 'linear':
      kwargs.onlyKeys(['_name_', 'bias'], 'the linear decoder (nn.Linear)');
      return { kind: 'linear', index, bias: kwargs.child('bias').bool(true) };
    case 'id':
      kwargs.onlyKeys(['_name_'], 'the id decoder');
      return { kind: 'id', index };
    default:
      return node.fail(`decoder '${name}' is not supported`, `supported decoders: ${SUPPORTED_DECODERS.join(', ')}`);
  }
}

/** Where a checkpoint holds each dataset attribute: the tensor name and which of its dims. */
export function attrTensors(s: SequenceStructure): { attr: DatasetAttrName; tensor: string; dim: number; optional: boolean }[] {
  const out: { attr: DatasetAttrName; tensor: string; dim: number; optional: boolean }[] = [];
  for (const e of s.encoders) {
    if (e.kind === 'linear') out.push({ attr: 'd_input', tensor: `encoder.${e.index}.weight`, dim: 1, optional: false });
    if (e.kind === 'embedding') out.push({ attr: 'n_tokens', tensor: `encoder.${e.index}.weight`, dim: 0, optional: false });
  }
  for (const d of s.decoders) {
    // A dataset without d_output (language modelling) leaves the sequence decoder's output_transform the identity.
    if (d.kind === 'sequence') out.push({ attr: 'd_output', tensor: `decoder.${d.index}.output_transform.weight`, dim: 0, optional: true });
    if (d.kind === 'linear') out.push({ attr: 'd_output', tensor: `decoder.${d.index}.weight`, dim: 0, optional: false });
    if (d.kind === 'task-linear') out.push({ attr: 'n_tokens', tensor: `decoder.${d.index}.weight`, dim: 0, optional: false });
  }
  return out;
}

/** Which attributes the modules need. */
export function neededAttrs(s: SequenceStructure): DatasetAttrName[] {
  const need = new Set<DatasetAttrName>();
  for (const e of s.encoders) {
    if (e.kind === 'linear') need.add('d_input');
    if (e.kind === 'embedding') need.add('n_tokens');
  }
  for (const d of s.decoders) {
    if (d.kind === 'sequence') need.add('d_output').add('l_output');
    if (d.kind === 'linear') need.add('d_output');
    if (d.kind === 'task-linear') need.add('n_tokens');
  }
  return DATASET_ATTR_NAMES.filter((a) => need.has(a));
}

const ATTR_FLAGS: Record<DatasetAttrName, string> = { d_input: '--d-input N', d_output: '--d-output N|none', n_tokens: '--n-tokens N', l_output: '--l-output N|none' };
const ATTR_ROLES: Record<DatasetAttrName, string> = {
  d_input: 'the input width the linear encoder takes',
  d_output: "the decoder's output width",
  n_tokens: 'the vocabulary size of the embedding',
  l_output: 'how many positions the sequence decoder returns (0: one per sequence, none: every position)',
};

/** An attribute from the args, else the dataset's known value; a UserError with the flag to pass when neither has it. */
export function attrValue(s: SequenceStructure, attr: DatasetAttrName): number | null {
  if (attr in s.explicit) return s.explicit[attr] as number | null;
  if (attr in s.dataset.known) return s.dataset.known[attr] as number | null;
  const ds = s.dataset.name === null ? 'the config names no dataset' : `dataset '${s.dataset.name}' is not one whose attributes ssmc knows`;
  throw new UserError(`s4-sequence: ${attr} (${ATTR_ROLES[attr]}) is not known: ${ds}, and no checkpoint tensor gives it; pass ${ATTR_FLAGS[attr]} (or "${attr}" in the model file's args)`);
}

/** The whole model with every width known. */
export function buildSpec(s: SequenceStructure): SequenceSpec {
  const H = s.backbone.dModel;
  const encoders: EncoderSpec[] = [];
  // Widths flow through the encoders; the first one decides the input.
  let width: number | null = null;
  let input: SequenceSpec['input'] | null = null;
  const chain = (inWidth: number, what: string) => {
    if (width === null) {
      width = inWidth;
      input = { kind: 'float', dInput: inWidth };
    } else if (width !== inWidth) {
      throw new UserError(`s4-sequence: ${what} takes width ${inWidth}, but the encoder before it gives ${width}; check the encoder list`);
    }
  };
  for (const e of s.encoders) {
    switch (e.kind) {
      case 'linear': {
        const dIn = attrValue(s, 'd_input')!;
        chain(dIn, `encoder.${e.index} (linear)`);
        encoders.push({ kind: 'linear', index: e.index, dIn, dOut: H, bias: e.bias });
        width = H;
        break;
      }
      case 'embedding': {
        if (width !== null) throw new UserError(`s4-sequence: encoder.${e.index} (embedding) takes token ids, but an encoder before it gives floats; check the encoder list`);
        const n = attrValue(s, 'n_tokens')!;
        input = { kind: 'tokens', nTokens: n };
        encoders.push({ kind: 'embedding', index: e.index, nTokens: n, dOut: H });
        width = H;
        break;
      }
      case 'scale':
        encoders.push(e);
        break;
      case 'id':
        encoders.push(e);
        break;
    }
  }
  if (width === null) chain(H, 'the backbone');
  if (width !== H) throw new UserError(`s4-sequence: the encoders give width ${width}, but the backbone's d_model is ${H}; check the encoder and d_model`);

  const decoders: DecoderSpec[] = [];
  let w = H;
  for (const d of s.decoders) {
    switch (d.kind) {
      case 'sequence': {
        const dOut = attrValue(s, 'd_output');
        const lOutput = attrValue(s, 'l_output');
        if (d.mode === 'pool' && lOutput !== 0) {
          throw new UserError(`s4-sequence: decoder.${d.index} mode 'pool' with ${lOutput === null ? 'an output at every position (l_output none)' : `l_output ${lOutput}`} fails in the official code at e757cef (its running mean divides a [B, ℓ, H] tensor by a length-ℓ vector over H); only l_output 0 (one output per sequence) runs`);
        }
        if (dOut !== null && w !== H) throw new UserError(`s4-sequence: decoder.${d.index} (sequence) maps width ${H}, but the decoder before it gives ${w}`);
        decoders.push({ kind: 'sequence', index: d.index, mode: d.mode, lOutput, dIn: H, dOut, useLengths: d.useLengths });
        if (dOut !== null) w = dOut;
        break;
      }
      case 'linear':
      case 'task-linear': {
        const dOut = d.kind === 'linear' ? attrValue(s, 'd_output') : attrValue(s, 'n_tokens');
        if (dOut === null) throw new UserError(`s4-sequence: decoder.${d.index} (linear) needs d_output; pass --d-output N`);
        if (w !== H) throw new UserError(`s4-sequence: decoder.${d.index} (linear) maps width ${H} (the backbone's), but the decoder before it gives ${w}`);
        decoders.push({ kind: 'linear', index: d.index, dIn: H, dOut, bias: d.kind === 'linear' ? d.bias : true });
        w = dOut;
        break;
      }
      case 'id':
        decoders.push(d);
        break;
    }
  }
  return { dModel: H, input: input!, encoders, backbone: s.backbone, decoders, dOutput: w };
}
