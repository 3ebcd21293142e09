import { PyGlobal, describePy, type PyValue } from './pickle.js';
import { TorchTensor, UnreadableTensor } from './torch-tensor.js';

/**
 * A checkpoint's contents as plain data: dicts are objects, lists and tuples arrays, tensors
 * {@link TorchTensor} views (materialised on demand), and anything else an {@link Opaque}
 * that only names what it was.
 */
export type CheckpointValue =
  | null | boolean | number | bigint | string | Uint8Array
  | TorchTensor | UnreadableTensor | Opaque
  | CheckpointValue[] | CheckpointObject;

export interface CheckpointObject {
  [key: string]: CheckpointValue;
}

/** Something in the pickle that is not plain data (an optimizer, a callback, a path…): only its description survives. */
export class Opaque {
  constructor(readonly what: string) {}
}

export function isCheckpointObject(v: CheckpointValue | undefined): v is CheckpointObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof TorchTensor) &&
    !(v instanceof UnreadableTensor) && !(v instanceof Opaque);
}

/** Python's str() of a dict key, for the keys a state_dict or config uses (str, int, bool, None). */
export function keyString(k: PyValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'True' : 'False';
  if (k === null) return 'None';
  if (k instanceof PyGlobal) return k.qualified;
  return `<${describePy(k)}>`;
}

/** Set a key without letting `__proto__` or friends reach the prototype. */
export function setKey(o: CheckpointObject, key: string, value: CheckpointValue): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
