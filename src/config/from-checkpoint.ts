import { Opaque, TorchTensor, UnreadableTensor, isCheckpointObject, type CheckpointValue } from '../../export/torch-checkpoint.js';
import type { CheckpointContents } from '../checkpoint-file.js';
import { setConfigKey, type ConfigObject, type ConfigValue } from './types.js';

/**
 * The config a PyTorch Lightning checkpoint carries in `hyper_parameters` (state-spaces/s4 saves
 * the composed Hydra config there, pickled as an omegaconf DictConfig), as plain data, its
 * interpolations not yet resolved; null when the file has none.
 */
export function configFromCheckpoint(contents: Pick<CheckpointContents, 'root'>): ConfigObject | null {
  const root = contents.root;
  if (!isCheckpointObject(root)) return null;
  const hp = root.hyper_parameters ?? root.hparams;
  if (!isCheckpointObject(hp)) return null;
  return toConfig(hp) as ConfigObject;
}

/** Plain checkpoint data as config values; tensors, bytes and huge integers become placeholders that name themselves. */
function toConfig(v: CheckpointValue): ConfigValue {
  const done = new Map<object, ConfigValue>();
  const convert = (x: CheckpointValue): ConfigValue => {
    if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
    if (typeof x === 'bigint') return new Opaque(`the integer ${x}`);
    if (x instanceof Uint8Array) return new Opaque(`${x.length} bytes`);
    if (x instanceof TorchTensor || x instanceof UnreadableTensor) return new Opaque(x.describe());
    if (x instanceof Opaque) return x;
    if (done.has(x)) return done.get(x)!;
    // toPlain has already bounded the nesting and broken cycles; shared containers are converted once.
    if (Array.isArray(x)) {
      const out: ConfigValue[] = [];
      done.set(x, out);
      for (const y of x) out.push(convert(y));
      return out;
    }
    const o: ConfigObject = {};
    done.set(x, o);
    for (const [k, y] of Object.entries(x)) setConfigKey(o, k, convert(y));
    return o;
  };
  return convert(v);
}
