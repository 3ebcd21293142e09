import { CheckpointFormatError } from '../export/checkpoint-error.js';
import { sniffCheckpoint } from '../export/checkpoint-sniff.js';
import { SafetensorsError, readSafetensors } from '../export/safetensors.js';
import {
  Opaque, TorchTensor, UnreadableTensor, isCheckpointObject, readTorchCheckpoint, type CheckpointObject, type CheckpointValue,
} from '../export/torch-checkpoint.js';
import type { Tensor } from '../ir/tensor.js';
import { UserError } from './errors.js';

/** A checkpoint file's weights, found wherever the file keeps them, and what else it held. */
export interface CheckpointContents {
  /** The file name, for messages. */
  source: string;
  format: 'safetensors' | 'torch';
  /** Where the tensors were: `the top level`, `'state_dict'` (Lightning), `'model'` (state-spaces/s4 example.py)… */
  location: string;
  /** Every tensor found there, by its name in the file, dtype as stored (float16/bfloat16 as raw bytes). */
  tensors: Map<string, Tensor>;
  /** What the file held beside those tensors and was not read as weights, one short phrase each. */
  ignored: string[];
  /** Entries beside the tensors that are not tensors, by name: what they are (for "'x' is …, not a tensor"). */
  nonTensors: Map<string, string>;
  /** A torch file's whole contents as plain data (hyper_parameters, epoch…); null for safetensors. */
  root: CheckpointValue | null;
}

/** Where a torch.save file may keep its state_dict, in the order tried after the top level. */
export const STATE_DICT_KEYS = ['state_dict', 'model', 'model_state_dict', 'module'] as const;

/**
 * Read a checkpoint file of any supported format, recognised by its bytes: safetensors, or a
 * torch.save zip archive (`.pt`, `.pth`, `.ckpt`) whose state_dict sits at the top level, under
 * `state_dict` (PyTorch Lightning), `model` (as state-spaces/s4's example.py saves it),
 * `model_state_dict` or `module`. Every problem is a {@link UserError} naming the file and the fix.
 */
export function readCheckpoint(bytes: Uint8Array, source: string): CheckpointContents {
  try {
    return readUnchecked(bytes, source);
  } catch (e) {
    if (e instanceof CheckpointFormatError || e instanceof SafetensorsError) throw new UserError(e.message, { cause: e });
    throw e;
  }
}

function readUnchecked(bytes: Uint8Array, source: string): CheckpointContents {
  if (bytes.length === 0) throw new UserError(`checkpoint '${source}' is empty`);
  const kind = sniffCheckpoint(bytes);
  switch (kind) {
    case 'safetensors':
      return { source, format: 'safetensors', location: 'the top level', tensors: readSafetensors(bytes, source), ignored: [], nonTensors: new Map(), root: null };
    case 'torch-zip':
      return findStateDict(readTorchCheckpoint(bytes, source).root, source);
    case 'torch-legacy':
      throw new UserError(
        `checkpoint '${source}' is in torch.save's legacy format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), which ssmc does not read; ` +
          `re-save it in the zip format with one line of Python (for a file you trust: torch.load runs its pickle): ` +
          `import torch; torch.save(torch.load('${source}', map_location='cpu'), 'weights.pt')`,
      );
    case 'pickle':
      throw new UserError(`checkpoint '${source}' is a bare pickle (pickle.dump), not a torch.save or safetensors file; save the weights with torch.save(model.state_dict(), 'weights.pt')`);
    default: {
      const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new UserError(
        `checkpoint '${source}' is neither safetensors nor a torch.save file (it starts with bytes ${head}); ssmc reads safetensors and torch.save files (.pt, .pth, .ckpt), recognised by their contents`,
      );
    }
  }
}

/** The state_dict inside a torch.save file's contents, and a note for everything beside it. */
export function findStateDict(root: CheckpointValue, source: string): CheckpointContents {
  if (root instanceof Opaque) {
    throw new UserError(`checkpoint '${source}' holds ${root.what}, not a state_dict; save the weights instead: torch.save(model.state_dict(), 'weights.pt')`);
  }
  if (!isCheckpointObject(root)) {
    throw new UserError(`checkpoint '${source}' holds ${describeValue(root)}, not a dict of tensors; save the weights with torch.save(model.state_dict(), 'weights.pt')`);
  }
  let location = 'the top level', dict: CheckpointObject = root;
  // A state_dict under a known key wins over stray tensors beside it ({'model': sd, 'best_acc': tensor(0.9)}).
  const key = STATE_DICT_KEYS.find((k) => isCheckpointObject(root[k]) && hasTensors(root[k] as CheckpointObject));
  if (key !== undefined) {
    location = `'${key}'`;
    dict = root[key] as CheckpointObject;
  } else if (!hasTensors(root)) {
    const pickledModule = STATE_DICT_KEYS.map((k) => root[k]).find((v) => v instanceof Opaque);
    if (pickledModule instanceof Opaque) {
      throw new UserError(`checkpoint '${source}' holds ${pickledModule.what} where the weights should be, not a state_dict; save the weights instead: torch.save(model.state_dict(), 'weights.pt')`);
    }
    const keys = Object.keys(root).slice(0, 12).map((k) => `'${k}'`).join(', ');
    throw new UserError(
      `checkpoint '${source}' has no tensors at its top level or under ${STATE_DICT_KEYS.map((k) => `'${k}'`).join(', ')} (it holds ${keys || 'nothing'}); ` +
        `save the state_dict at the top level: torch.save(model.state_dict(), 'weights.pt')`,
    );
  }
  const tensors = new Map<string, Tensor>();
  const ignored: string[] = [];
  const nonTensors = new Map<string, string>();
  // Views identical to one already read (tied weights: one storage under two names) share its Tensor.
  const views = new Map<string, Tensor>();
  for (const [name, v] of Object.entries(dict)) {
    if (v instanceof TorchTensor) {
      const view = `${v.storage.key}|${v.dtype}|${v.offset}|${v.shape.join(',')}|${v.stride.join(',')}`;
      const t = views.get(view) ?? v.materialize(name);
      views.set(view, t);
      tensors.set(name, t);
    }
    else if (v instanceof UnreadableTensor) throw new UserError(`checkpoint '${source}': tensor '${name}' is ${v.why}, which ssmc does not read; ${v.fix}`);
    else {
      ignored.push(`'${name}' (${describeValue(v)})`);
      nonTensors.set(name, describeValue(v));
    }
  }
  if (dict !== root) for (const [k, v] of Object.entries(root)) if (v !== dict) ignored.push(`'${k}' (${describeValue(v)})`);
  return { source, format: 'torch', location, tensors, ignored, nonTensors, root };
}

function hasTensors(o: CheckpointObject): boolean {
  return Object.values(o).some((v) => v instanceof TorchTensor || v instanceof UnreadableTensor);
}

/** A short phrase for a value: "12", "a list of 1 with 72 tensors", "an object of pathlib.PosixPath". */
export function describeValue(v: CheckpointValue): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return v.length > 24 ? 'a string' : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (v instanceof TorchTensor) return v.describe();
  if (v instanceof UnreadableTensor) return v.why;
  if (v instanceof Opaque) return v.what;
  const n = countTensors(v);
  const what = Array.isArray(v) ? `a list of ${v.length}` : `a dict of ${Object.keys(v).length}`;
  return n > 0 ? `${what} with ${n} tensor${n === 1 ? '' : 's'}` : what;
}

/** Tensors anywhere inside a value (each container counted once: plain data may share them). */
function countTensors(root: CheckpointValue): number {
  const seen = new Set<object>();
  let n = 0;
  const stack: CheckpointValue[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v instanceof TorchTensor) n++;
    if (v === null || typeof v !== 'object' || seen.has(v) || v instanceof Uint8Array || v instanceof Opaque) continue;
    seen.add(v);
    if (Array.isArray(v)) stack.push(...v);
    else if (isCheckpointObject(v)) stack.push(...Object.values(v));
  }
  return n;
}

/** What `compile` prints about the weights: where they came from, what was stripped or converted, what was left. */
export function describeWeights(contents: CheckpointContents, match: { tensors: Map<string, Tensor>; prefix: string; conversions: string[] } | null | undefined): string[] {
  const n = match?.tensors.size ?? contents.tensors.size;
  const format = contents.format === 'torch' ? 'torch.save' : 'safetensors';
  const lines = [`weights: ${n} tensor${n === 1 ? '' : 's'} from ${contents.location} of ${contents.source} (${format})${match?.prefix ? `, wrapper prefix '${match.prefix}' stripped` : ''}`];
  for (const c of match?.conversions ?? []) lines.push(`  ${c}`);
  if (contents.ignored.length > 0) lines.push(`  ignored: ${contents.ignored.join(', ')}`);
  return lines;
}
