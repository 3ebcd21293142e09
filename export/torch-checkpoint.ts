import type { DType } from '../ir/types.js';
import { CheckpointFormatError } from './checkpoint-error.js';
import { HostObject, PyDict, PyGlobal, PyObject, PySet, PyTuple, describePy, unpickle, type PyValue } from './pickle.js';
import { Opaque, setKey, keyString, type CheckpointObject, type CheckpointValue } from './checkpoint-value.js';
import { omegaConfToPlain } from './omegaconf.js';
import { ELEMENT_BYTES, TorchStorage, TorchTensor, UnreadableTensor, checkShape, type StorageSource } from './torch-tensor.js';
import { ZipReader } from './zip.js';

export { TorchStorage, TorchTensor, UnreadableTensor } from './torch-tensor.js';
export { Opaque, isCheckpointObject, type CheckpointObject, type CheckpointValue } from './checkpoint-value.js';

/**
 * A torch.save file (`.pt`, `.pth`, `.ckpt`: the zip format PyTorch writes since 1.6) read as
 * plain data: dicts become objects, lists and tuples arrays, tensors {@link TorchTensor} views
 * (materialised on demand), omegaconf configs plain objects, and any other object an inert
 * {@link Opaque} that names its class.
 */
export interface TorchCheckpoint {
  /** The archive's folder (`archive` in `archive/data.pkl`). */
  archive: string;
  root: CheckpointValue;
}

/** Containers nested deeper than this are refused (a genuine checkpoint nests a few dozen levels at most). */
export const MAX_NESTING = 1000;

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64', ComplexDoubleStorage: 'complex128',
};
const UNTYPED_STORAGES = new Set(['torch.UntypedStorage', 'torch._UntypedStorage', 'torch.storage.UntypedStorage', 'torch.storage._UntypedStorage']);

/** torch dtype globals (as `_rebuild_tensor_v3` names them) → IR dtypes. */
const TORCH_DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', short: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64',
  complex64: 'complex64', cfloat: 'complex64', complex128: 'complex128', cdouble: 'complex128',
  float8_e4m3fn: 'float8e4m3fn', float8_e5m2: 'float8e5m2', float8_e4m3fnuz: 'float8e4m3fnuz', float8_e5m2fnuz: 'float8e5m2fnuz',
};

/** Tensor kinds PyTorch can save that hold no plain dense storage: what they are and how to save them plainly. */
const UNREADABLE_REBUILDS: Record<string, [string, string]> = {
  _rebuild_qtensor: ['a quantized tensor', 'dequantize it before saving (tensor.dequantize())'],
  _rebuild_sparse_tensor: ['a sparse tensor', 'save it dense (tensor.to_dense())'],
  _rebuild_sparse_csr_tensor: ['a sparse CSR tensor', 'save it dense (tensor.to_dense())'],
  _rebuild_nested_tensor: ['a nested tensor', 'save its components as plain tensors'],
  _rebuild_meta_tensor_no_storage: ['a meta tensor (no data)', 'save the tensor after it has real data'],
  _rebuild_wrapper_subclass: ['a tensor subclass without storage', 'save a plain tensor (torch.Tensor(t) or t.detach().clone())'],
  _rebuild_device_tensor_from_numpy: ['a device tensor saved through numpy', "move it to the CPU before saving (tensor.cpu())"],
  _rebuild_xla_tensor: ['an XLA tensor', "move it to the CPU before saving (tensor.cpu())"],
  _rebuild_mps_tensor: ['an MPS tensor saved in the old format', "move it to the CPU before saving (tensor.cpu())"],
};

export function readTorchCheckpoint(bytes: Uint8Array, source: string): TorchCheckpoint {
  const zip = ZipReader.open(bytes, source);
  const names = [...zip.entries.keys()];
  const pkls = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new CheckpointFormatError(
      pkls.length === 0
        ? `${source}: a zip archive without '<archive>/data.pkl': it is not a torch.save file; ssmc reads checkpoints saved with torch.save(model.state_dict(), path) or safetensors`
        : `${source}: the archive holds ${pkls.length} pickles (${pkls.join(', ')}); a torch.save file has one '<archive>/data.pkl' — re-save the checkpoint`,
    );
  }
  const archive = pkls[0]!.slice(0, -'/data.pkl'.length);
  if (zip.has(`${archive}/constants.pkl`) || names.some((n) => n.startsWith(`${archive}/code/`))) {
    throw new CheckpointFormatError(
      `${source}: a TorchScript archive (torch.jit.save), not a state_dict; save the weights with torch.save: torch.save(torch.jit.load('${source}').state_dict(), 'weights.pt')`,
    );
  }
  let bigEndian = false;
  if (zip.has(`${archive}/byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${archive}/byteorder`)).trim();
    if (order !== 'little' && order !== 'big') throw new CheckpointFormatError(`${source}: '${archive}/byteorder' says '${order}', not 'little' or 'big'; re-save the checkpoint`);
    bigEndian = order === 'big';
  }
  const storages = new Map<string, TorchStorage>();
  const cache = new Map<string, Uint8Array>();
  const sourceOf = (key: string): StorageSource => {
    const entry = `${archive}/data/${key}`;
    return {
      bigEndian,
      declaredBytes: () => zip.entries.get(entry)?.size ?? null,
      read: () => {
        let b = cache.get(entry);
        if (!b) cache.set(entry, (b = zip.read(entry)));
        return b;
      },
    };
  };
  const fail = (at: number, rule: string): never => {
    throw new CheckpointFormatError(`${source}: pickle opcode at byte ${at}: ${rule}; the checkpoint is damaged or was not written by torch.save — re-save it`);
  };

  const persistentLoad = (pid: PyValue, at: number): PyValue => {
    const t = pid instanceof PyTuple ? pid.items : null;
    if (!t || t[0] !== 'storage') return new PyObject(new PyGlobal('torch.serialization', 'persistent_load'), t ?? [pid]);
    if (t.length !== 5) fail(at, `a storage reference has ${t.length} fields, not 5 ('storage', type, key, location, size)`);
    const [, type, key, location, numel] = t;
    if (!(type instanceof PyGlobal)) return fail(at, `a storage reference names ${describePy(type)} as its type`);
    if (typeof key !== 'string' || key.length === 0) return fail(at, `a storage reference has the key ${describePy(key)}`);
    if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail(at, `storage '${key}' claims ${describePy(numel)} elements`);
    const untyped = UNTYPED_STORAGES.has(type.qualified);
    const typedDtype = (type.module === 'torch' || type.module === 'torch.cuda') ? STORAGE_DTYPES[type.name] : undefined;
    if (!untyped && !typedDtype) {
      return new UnreadableTensor(`a tensor on a ${type.qualified} (a storage type ssmc does not read)`, 'convert it to float32 before saving');
    }
    const dtype: DType = untyped ? 'uint8' : typedDtype!;
    const id = `${key}\u0000${dtype}`;
    let s = storages.get(id);
    if (!s) storages.set(id, (s = new TorchStorage(key, dtype, !untyped, numel, typeof location === 'string' ? location : '?', sourceOf(key))));
    else if (s.numel !== numel) fail(at, `storage '${key}' is referenced with ${s.numel} and with ${numel} elements`);
    return s;
  };

  const rebuild = (storage: PyValue, offset: PyValue, size: PyValue, stride: PyValue, dtype: DType | null, at: number): PyValue => {
    if (storage instanceof UnreadableTensor) return storage;
    if (!(storage instanceof TorchStorage)) return fail(at, `a tensor is rebuilt from ${describePy(storage)}, not a storage`);
    const shape = intList(size), strides = intList(stride);
    if (!shape || !strides || typeof offset !== 'number') return fail(at, 'a tensor has a size, stride or offset that is not made of integers');
    checkShape(shape, strides, offset, (rule) => fail(at, rule));
    let tdtype = storage.dtype;
    if (dtype) {
      if (storage.typed && storage.dtype !== dtype) fail(at, `a ${dtype} tensor sits on a ${storage.dtype} storage`);
      tdtype = dtype;
    }
    if (!storage.typed && !dtype) fail(at, `a tensor on the untyped storage '${storage.key}' has no dtype`);
    if (ELEMENT_BYTES[tdtype] === undefined) return fail(at, `a tensor of dtype ${tdtype}`);
    return new TorchTensor(storage, tdtype, offset, shape, strides, source);
  };

  const call = (fn: PyGlobal, args: readonly PyValue[], at: number): PyValue | undefined => {
    if (fn.module === 'torch._utils') {
      switch (fn.name) {
        case '_rebuild_tensor': // (storage, offset, size, stride): PyTorch before 0.4
        case '_rebuild_tensor_v2': // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
          if (args.length < 4) fail(at, `${fn.name} has ${args.length} arguments`);
          return rebuild(args[0]!, args[1]!, args[2]!, args[3]!, null, at);
        case '_rebuild_tensor_v3': { // (storage, offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
          if (args.length < 7) fail(at, `${fn.name} has ${args.length} arguments`);
          const d = args[6];
          const dtype = d instanceof PyGlobal && d.module === 'torch' ? TORCH_DTYPES[d.name] : undefined;
          if (!dtype) return new UnreadableTensor(`a tensor of dtype ${describePy(d)}`, 'convert it to float32 before saving');
          return rebuild(args[0]!, args[1]!, args[2]!, args[3]!, dtype, at);
        }
        case '_rebuild_parameter': // (data, requires_grad, backward_hooks)
        case '_rebuild_parameter_with_state': // (data, requires_grad, backward_hooks, state)
          return args[0] ?? null;
      }
      const unreadable = UNREADABLE_REBUILDS[fn.name];
      if (unreadable) return new UnreadableTensor(unreadable[0], unreadable[1]);
    }
    if (fn.qualified === 'torch.nn.parameter._rebuild_parameter') return args[0] ?? null;
    if (fn.qualified === 'torch._tensor._rebuild_from_type_v2' || fn.qualified === 'torch._tensor._rebuild_from_type') {
      // (func, type, args, state): a plain tensor or Parameter (or subclass) made by func(*args).
      const [inner, , innerArgs] = args;
      if (inner instanceof PyGlobal && innerArgs instanceof PyTuple) return call(inner, innerArgs.items, at);
      return undefined;
    }
    if (fn.qualified === 'torch.Size' && args[0] instanceof PyTuple) return args[0];
    return undefined;
  };

  const root = unpickle(zip.read(pkls[0]!), `${source} (${pkls[0]})`, { persistentLoad, call });
  return { archive, root: toPlain(root, source) };
}

function intList(v: PyValue): number[] | null {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items || items.some((x) => typeof x !== 'number')) return null;
  return items as number[];
}

/**
 * Unpickled values → plain data. Shared references stay shared (each container is converted once,
 * so a pickle cannot blow up by referencing one list twice at every level); a reference back to
 * an enclosing container becomes an {@link Opaque}; nesting is bounded.
 */
export function toPlain(root: PyValue, source: string): CheckpointValue {
  const done = new Map<object, CheckpointValue>();
  const open = new Set<object>();
  const convert = (v: PyValue, depth: number): CheckpointValue => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
    if (depth > MAX_NESTING) {
      throw new CheckpointFormatError(`${source}: the pickle nests containers more than ${MAX_NESTING} levels deep; it is not a genuine checkpoint — re-save the weights with torch.save(model.state_dict(), path)`);
    }
    if (done.has(v)) return done.get(v)!;
    if (open.has(v)) return new Opaque('a reference back to a container that encloses it');
    open.add(v);
    const out = convertFresh(v, depth);
    open.delete(v);
    done.set(v, out);
    return out;
  };
  const convertFresh = (v: Exclude<PyValue, null | boolean | number | bigint | string | Uint8Array>, depth: number): CheckpointValue => {
    if (Array.isArray(v)) return v.map((x) => convert(x, depth + 1));
    if (v instanceof PyTuple) return v.items.map((x) => convert(x, depth + 1));
    if (v instanceof PySet) return v.items.map((x) => convert(x, depth + 1));
    if (v instanceof PyDict) {
      const o: CheckpointObject = {};
      for (const [k, x] of v.entries.values()) setKey(o, keyString(k), convert(x, depth + 1));
      return o;
    }
    if (v instanceof PyGlobal) return new Opaque(`the global ${v.qualified}`);
    if (v instanceof PyObject) {
      const config = omegaConfToPlain(v, (x, d) => convert(x, d), depth);
      return config === undefined ? new Opaque(`an object of ${v.what}`) : config;
    }
    if (v instanceof TorchTensor || v instanceof UnreadableTensor) return v;
    if (v instanceof HostObject) return new Opaque(v.describe());
    return new Opaque('an unknown value');
  };
  return convert(root, 0);
}
