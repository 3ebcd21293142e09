import type { Tensor } from '../../ir/tensor.js';
import { bfloat16BytesToFloat32, halfBytesToFloat32 } from '../../ir/half.js';
import { readCheckpoint } from '../checkpoint-file.js';
import { UserError } from '../errors.js';
import type { ModelIo } from '../models/arch.js';

/** Inputs and outputs a user saved from PyTorch, read for `ssmc verify --against`. */
export interface AgainstData {
  inputName: string;
  /** The model input as the graph takes it (float32, or int64 token ids). */
  input: Tensor;
  /** Each reference output, widened to float64. */
  outputs: { name: string; dims: readonly number[]; values: Float64Array }[];
  /** Conversions made (float64 input narrowed, int32 ids widened), one phrase each. */
  notes: string[];
}

/** Extra forward arguments the official pipeline may pass (not outputs). */
const FORWARD_ARGS = ['lengths'];

/**
 * A safetensors file or a torch.save'd dict of tensors ({'input': x, 'output': y}): the input
 * under `names.input` ('input'), the references under `names.outputs` (default: every other
 * floating-point tensor). The input must fit the model's interface.
 */
export function readAgainstFile(bytes: Uint8Array, path: string, io: ModelIo, names: { input?: string; outputs?: string[] }): AgainstData {
  const { tensors } = readCheckpoint(bytes, path);
  const inputName = names.input ?? 'input';
  const raw = tensors.get(inputName);
  const have = () => [...tensors.keys()].map((k) => `'${k}'`).join(', ');
  if (!raw) throw new UserError(`${path}: no tensor '${inputName}' (it holds ${have()}); save the model input under that name or pass --input-name`);
  const notes: string[] = [];
  const input = modelInput(raw, inputName, path, io, notes);
  const lengths = tensors.get('lengths');
  if (lengths) checkFullLengths(lengths, input, path, io);
  const outputNames = names.outputs ?? [...tensors.keys()].filter((k) => k !== inputName && !FORWARD_ARGS.includes(k) && isFloat(tensors.get(k)!));
  if (outputNames.length === 0) throw new UserError(`${path}: no output to compare against besides '${inputName}' (it holds ${have()}); save the model's output beside its input`);
  const outputs = outputNames.map((name) => {
    const t = tensors.get(name);
    if (!t) throw new UserError(`${path}: no tensor '${name}' (--output-names; it holds ${have()})`);
    if (!isFloat(t)) throw new UserError(`${path}: '${name}' is ${t.dtype}; a reference output must be floating-point`);
    return { name, dims: t.dims, values: floatValues(t) };
  });
  return { inputName, input, outputs, notes };
}

function isFloat(t: Tensor): boolean {
  return ['float32', 'float64', 'float16', 'bfloat16'].includes(t.dtype);
}

function floatValues(t: Tensor): Float64Array {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
    const raw = t.raw ?? new Uint8Array((t.data as Uint16Array).buffer, (t.data as Uint16Array).byteOffset, (t.data as Uint16Array).byteLength);
    return Float64Array.from(t.dtype === 'float16' ? halfBytesToFloat32(raw) : bfloat16BytesToFloat32(raw));
  }
  return Float64Array.from(t.data as Float32Array | Float64Array);
}

function modelInput(t: Tensor, name: string, path: string, io: ModelIo, notes: string[]): Tensor {
  const want = io.inputShape('L');
  const fits = t.dims.length === want.length && want.every((d, i) => typeof d !== 'number' || d === t.dims[i]);
  if (!fits) throw new UserError(`${path}: '${name}' has shape [${t.dims.join(', ')}], but the model takes input [${want.join(', ')}] (${io.layout})`);
  if (t.dims.some((d) => d === 0)) throw new UserError(`${path}: '${name}' is empty ([${t.dims.join(', ')}])`);
  if (io.inputDtype === 'int64') {
    if (!['int64', 'int32', 'int16', 'uint8', 'int8'].includes(t.dtype)) throw new UserError(`${path}: '${name}' is ${t.dtype}, but the model takes int64 token ids`);
    const ids = Array.from(t.data as ArrayLike<number | bigint>, (v) => BigInt(v));
    const bad = ids.findIndex((v) => v < 0n || (io.vocab !== undefined && v >= BigInt(io.vocab)));
    if (bad >= 0) throw new UserError(`${path}: '${name}' holds token id ${ids[bad]} at index ${bad}, outside the model's vocabulary (0 to ${(io.vocab ?? 0) - 1})`);
    if (t.dtype !== 'int64') notes.push(`${t.dtype} ids read as int64`);
    return { dtype: 'int64', dims: t.dims, data: BigInt64Array.from(ids) };
  }
  if (!isFloat(t)) throw new UserError(`${path}: '${name}' is ${t.dtype}, but the model takes float32 input`);
  if (t.dtype !== 'float32') notes.push(`${t.dtype} input read as float32`);
  return { dtype: 'float32', dims: t.dims, data: Float32Array.from(floatValues(t)) };
}

/** The graph has no lengths input: a saved batch with padding (a length below L) cannot be reproduced. */
function checkFullLengths(lengths: Tensor, input: Tensor, path: string, io: ModelIo): void {
  const L = io.layout === 'BHL' ? input.dims[2]! : input.dims[1]!;
  const short = Array.from(lengths.data as ArrayLike<number | bigint>, Number).findIndex((l) => l !== L);
  if (short >= 0) {
    throw new UserError(`${path}: 'lengths' says sequence ${short} has ${Number((lengths.data as ArrayLike<number | bigint>)[short])} positions of ${L}; the compiled graph has no lengths input and computes every sequence at full length; save an unpadded batch (every length = L)`);
  }
}
