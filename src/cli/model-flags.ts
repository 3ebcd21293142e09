import { describeWeights } from '../checkpoint-file.js';
import type { CheckpointMatch } from '../checkpoint.js';
import { UserError } from '../errors.js';
import { loadModelSource, type ModelSource } from '../model-source.js';
import type { DatasetAttrName } from '../models/sequence/dataset.js';
import { flag, type FlagSpec, type Parsed } from './argv.js';

/** The flags every command that builds a model takes: the checkpoint, and the dataset attributes a config leaves out. */
export const MODEL_SOURCE_FLAGS: Record<string, FlagSpec> = {
  weights: { value: true },
  'd-input': { value: true },
  'd-output': { value: true },
  'n-tokens': { value: true },
  'l-output': { value: true },
};

const ATTR_FLAGS: [string, DatasetAttrName, boolean][] = [['d-input', 'd_input', false], ['d-output', 'd_output', true], ['n-tokens', 'n_tokens', false], ['l-output', 'l_output', true]];

/** The model a command was given: `<model.json|config.yaml> [--weights ckpt]`, or `--weights ckpt` alone. */
export function modelSourceFrom(p: Parsed, command: string, usage: string): ModelSource {
  if (p.positionals.length > 1) throw new UserError(`ssmc ${command}: give at most one model file: ${usage}`);
  const attrs: Partial<Record<DatasetAttrName, number | null>> = {};
  for (const [name, attr, nullable] of ATTR_FLAGS) {
    const v = flag(p, name);
    if (v === undefined) continue;
    if (nullable && v === 'none') attrs[attr] = null;
    else {
      const n = Number(v);
      const min = attr === 'l_output' ? 0 : 1;
      if (!Number.isInteger(n) || n < min) throw new UserError(`ssmc ${command}: --${name} must be an integer ≥ ${min}${nullable ? ' or "none"' : ''}, got '${v}'`);
      attrs[attr] = n;
    }
  }
  const modelPath = p.positionals[0];
  if (modelPath === undefined && flag(p, 'weights') === undefined) throw new UserError(`ssmc ${command}: give a model file or --weights: ${usage}`);
  return loadModelSource(modelPath, flag(p, 'weights'), { attrs });
}

/** What a command says about the model it built: where it came from, the weights, the attributes taken. */
export function describeSource(src: ModelSource, match: CheckpointMatch | null | undefined): string[] {
  const lines = [`model: ${src.file.arch} from ${src.origin}`];
  for (const n of src.notes) lines.push(`  ${n}`);
  if (src.weights) lines.push(...describeWeights(src.weights, match));
  return lines;
}

/**
 * Said loudly (stderr) whenever a model is built without a checkpoint: its outputs are those of
 * a random initialisation, which is easy to mistake for a trained model.
 */
export function randomInitWarning(src: ModelSource, what: string): string | null {
  if (src.weights) return null;
  return [
    '',
    `WARNING: no --weights: ${what} is a RANDOMLY INITIALISED ${src.file.arch} model (seed ${src.file.seed ?? 0}), not a trained one;`,
    `WARNING: its outputs are meaningless. Pass the trained checkpoint with --weights (safetensors, .pt, .pth or Lightning .ckpt).`,
    '',
  ].join('\n');
}
