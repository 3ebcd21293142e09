import { isConfigObject, type ConfigObject, type ConfigValue } from '../../config/types.js';

/**
 * What the official pipeline takes from the dataset object rather than the config (state-spaces/s4
 * `src/dataloaders/*`, tools/reference/sequence-model.md §5.5): the encoder's `d_input` /
 * `n_tokens`, the decoder's `d_output` and `l_output`. None of them is in a saved config.
 */
export interface DatasetAttrs {
  d_input?: number;
  d_output?: number | null;
  /** null: every position (language modelling); 0: one output per sequence; k: the last/first k. */
  l_output?: number | null;
  n_tokens?: number;
}

export const DATASET_ATTR_NAMES = ['d_input', 'd_output', 'n_tokens', 'l_output'] as const;
export type DatasetAttrName = (typeof DATASET_ATTR_NAMES)[number];

/** Language-modelling datasets: no d_output, every position is an output. */
const LM_DATASETS = ['wt2', 'wt103', 'ptb', 'enwik8', 'text8', 'lm1b'];

/**
 * The attributes the dataset class named by `dataset._name_` defines from its config (with the
 * class's defaults for keys the config leaves out); only those that do not need the data itself
 * (a vocabulary built from text is only known from the checkpoint's shapes).
 */
export function knownDatasetAttrs(dataset: ConfigValue | undefined, taskName: string): { attrs: DatasetAttrs; name: string | null } {
  const cfg: ConfigObject = isConfigObject(dataset) ? dataset : {};
  const name = typeof cfg._name_ === 'string' ? cfg._name_ : null;
  const flag = (k: string, dflt: boolean) => (typeof cfg[k] === 'boolean' ? (cfg[k] as boolean) : dflt);
  const num = (k: string, dflt: number) => (typeof cfg[k] === 'number' ? (cfg[k] as number) : dflt);
  switch (name) {
    case 'mnist':
      return { name, attrs: { d_input: 1, d_output: 10, l_output: 0 } };
    case 'cifar': {
      const gray = flag('grayscale', false), tok = flag('tokenize', false);
      return { name, attrs: { d_input: gray ? (tok ? 256 : 1) : 3, d_output: 10, l_output: 0 } };
    }
    case 'sc':
      return { name, attrs: { d_input: (flag('mfcc', false) ? 20 : 1) + (num('dropped_rate', 0) > 0 ? 1 : 0), d_output: flag('all_classes', false) ? 35 : 10, l_output: 0 } };
    case 'adding':
      return { name, attrs: { d_input: 2, d_output: 1, l_output: 0 } };
    case 'copying': {
      const n = num('n_tokens', 10);
      return { name, attrs: { d_input: n, d_output: n, n_tokens: n, l_output: flag('lag', false) ? num('l_noise', 100) : num('l_memorize', 10) } };
    }
    case 'imdb':
    case 'aan':
      return { name, attrs: { d_output: 2, l_output: 0 } };
    case 'listops':
      return { name, attrs: { d_output: 10, l_output: 0 } };
    case 'pathfinder':
      return { name, attrs: { d_input: 1, d_output: 2, l_output: 0, ...(flag('tokenize', false) ? { n_tokens: 256 } : {}) } };
    default:
      if ((name !== null && LM_DATASETS.includes(name)) || taskName === 'lm') return { name, attrs: { d_output: null, l_output: null } };
      return { name, attrs: {} };
  }
}

/** A phrase for where a value came from, e.g. "dataset 'mnist'". */
export function datasetPhrase(name: string | null, taskName: string): string {
  if (name !== null && !LM_DATASETS.includes(name) && taskName === 'lm') return `task 'lm' (dataset '${name}')`;
  return name === null ? 'the config' : `dataset '${name}'`;
}
