import type { Tensor, TensorData } from '../ir/tensor.js';
import type { DType } from '../ir/types.js';
import { CheckpointFormatError } from './checkpoint-error.js';
import { HostObject } from './pickle.js';

/** Bytes per element of the dtypes a torch.save file can hold. */
export const ELEMENT_BYTES: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
  uint16: 2, uint32: 4, uint64: 8, complex64: 8, complex128: 16,
  float8e4m3fn: 1, float8e5m2: 1, float8e4m3fnuz: 1, float8e5m2fnuz: 1,
};

/** A broadcast view (stride 0) may be expanded to at most this many bytes beyond what its storage holds. */
export const MAX_EXPANDED_BYTES = 64 * 1024 * 1024;
const MAX_RANK = 64;

/** Where a storage's bytes come from: read once, on first use, shared by every tensor viewing it. */
export interface StorageSource {
  /** Bytes of the archive entry, as the central directory declares them (known before reading). */
  declaredBytes(): number | null;
  read(): Uint8Array;
  readonly bigEndian: boolean;
}

/** One `torch.*Storage` of the archive (`<archive>/data/<key>`), as a persistent id names it. */
export class TorchStorage extends HostObject {
  constructor(
    readonly key: string,
    /** The element type the storage class says (`uint8` for an UntypedStorage: raw bytes). */
    readonly dtype: DType,
    readonly typed: boolean,
    /** Elements the pickle claims: checked against the bytes present before use. */
    readonly numel: number,
    readonly location: string,
    readonly src: StorageSource,
  ) {
    super();
  }
  describe(): string {
    return `storage '${this.key}' (${this.typed ? `${this.numel} ${this.dtype} elements` : `untyped, ${this.numel} bytes`})`;
  }
}

/** A tensor view on a storage: dtype, offset, shape and strides, materialised on demand. */
export class TorchTensor extends HostObject {
  constructor(
    readonly storage: TorchStorage,
    readonly dtype: DType,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly source: string,
  ) {
    super();
  }

  describe(): string {
    return `a ${this.dtype} tensor [${this.shape.join(', ')}]`;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /**
   * The tensor's elements, contiguous and little-endian, in the IR's representation (float16,
   * bfloat16 and float8 keep their raw bytes). Everything the pickle claims is checked against the
   * storage's bytes first; nothing is allocated that those bytes do not back.
   */
  materialize(name: string): Tensor {
    const es = ELEMENT_BYTES[this.dtype]!;
    const fail = (rule: string): never => {
      throw new CheckpointFormatError(`${this.source}: tensor '${name}' ${rule}; the checkpoint is damaged or was not written by torch.save — re-save it`);
    };
    const storageBytes = this.storage.numel * ELEMENT_BYTES[this.storage.dtype]!;
    const declared = this.storage.src.declaredBytes();
    if (declared === null) fail(`uses storage '${this.storage.key}', which is missing from the archive`);
    if (declared! < storageBytes) fail(`uses storage '${this.storage.key}', which claims ${this.storage.numel} ${this.storage.dtype} elements (${storageBytes} bytes) but holds only ${declared} bytes`);
    const elements = this.numel;
    const bytes = elements * es;
    if (elements === 0) return fromLittleEndian(this.dtype, [...this.shape], new Uint8Array(0));
    let last = this.offset;
    for (let i = 0; i < this.shape.length; i++) last += (this.shape[i]! - 1) * this.stride[i]!;
    const endByte = (last + 1) * es;
    if (endByte > storageBytes) {
      fail(`(${this.describe()}, offset ${this.offset}, strides [${this.stride.join(', ')}]) reaches byte ${endByte} of its storage '${this.storage.key}', which holds ${storageBytes} bytes`);
    }
    if (bytes > storageBytes && bytes > MAX_EXPANDED_BYTES) {
      throw new CheckpointFormatError(
        `${this.source}: tensor '${name}' is a broadcast view of ${bytes} bytes on a ${storageBytes}-byte storage, over ssmc's ${MAX_EXPANDED_BYTES}-byte limit for expanding views; save it with .contiguous() if it is really meant to be that large`,
      );
    }
    const raw = this.storage.src.read();
    const out = new Uint8Array(bytes);
    if (isContiguous(this.shape, this.stride)) {
      out.set(raw.subarray(this.offset * es, this.offset * es + bytes));
    } else {
      gather(raw, out, this.offset, this.shape, this.stride, es);
    }
    if (this.storage.src.bigEndian) swapBytes(out, this.dtype.startsWith('complex') ? es / 2 : es);
    return fromLittleEndian(this.dtype, [...this.shape], out);
  }
}

/** A tensor ssmc cannot read (quantized, sparse, on a storage type it does not know): named when something needs it. */
export class UnreadableTensor extends HostObject {
  constructor(readonly why: string, readonly fix: string) {
    super();
  }
  describe(): string {
    return this.why;
  }
}

export function checkShape(shape: readonly number[], stride: readonly number[], offset: number, fail: (rule: string) => never): void {
  if (shape.length > MAX_RANK) fail(`a tensor of rank ${shape.length} (PyTorch allows ${MAX_RANK})`);
  if (shape.length !== stride.length) fail(`a tensor with ${shape.length} sizes and ${stride.length} strides`);
  if (!Number.isSafeInteger(offset) || offset < 0) fail(`a tensor at storage offset ${offset}`);
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    if (!Number.isSafeInteger(shape[i]) || shape[i]! < 0) fail(`a tensor with size ${shape[i]} in dim ${i}`);
    if (!Number.isSafeInteger(stride[i]) || stride[i]! < 0) fail(`a tensor with stride ${stride[i]} in dim ${i}`);
    n *= shape[i]!;
    if (!Number.isSafeInteger(n)) fail(`a tensor of shape [${shape.join(', ')}], too many elements`);
  }
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) return false;
    expect *= shape[i]!;
  }
  return true;
}

/**
 * Copy a strided view element by element, in row-major order of its shape (an odometer, no
 * recursion), through 1-, 2- or 4-byte words (an element of 8 or 16 bytes is 2 or 4 words: its
 * bits are copied, never read as a number).
 */
function gather(raw: Uint8Array, out: Uint8Array, offset: number, shape: readonly number[], stride: readonly number[], es: number): void {
  const word = raw.byteOffset % 4 === 0 && es % 4 === 0 ? 4 : raw.byteOffset % 2 === 0 && es % 2 === 0 ? 2 : 1;
  const per = es / word;
  const View = word === 4 ? Uint32Array : word === 2 ? Uint16Array : Uint8Array;
  const src = new View(raw.buffer as ArrayBuffer, raw.byteOffset, Math.floor(raw.byteLength / word));
  const dst = new View(out.buffer as ArrayBuffer, out.byteOffset, out.byteLength / word);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let at = offset;
  const total = out.length / es;
  for (let k = 0; k < total; k++) {
    const from = at * per, to = k * per;
    for (let w = 0; w < per; w++) dst[to + w] = src[from + w]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      at += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      at -= shape[d]! * stride[d]!;
      idx[d] = 0;
    }
  }
}

function swapBytes(b: Uint8Array, width: number): void {
  if (width <= 1) return;
  for (let i = 0; i < b.length; i += width) b.subarray(i, i + width).reverse();
}

/** Little-endian bytes (freshly allocated, so aligned) as the dtype's typed array. */
export function fromLittleEndian(dtype: DType, dims: number[], bytes: Uint8Array): Tensor {
  const buf = bytes.buffer.byteLength === bytes.byteLength && bytes.byteOffset === 0 ? bytes.buffer : bytes.slice().buffer;
  let data: TensorData | null;
  switch (dtype) {
    case 'float32': case 'complex64': data = new Float32Array(buf); break;
    case 'float64': case 'complex128': data = new Float64Array(buf); break;
    case 'int64': data = new BigInt64Array(buf); break;
    case 'uint64': data = new BigUint64Array(buf); break;
    case 'int32': data = new Int32Array(buf); break;
    case 'uint32': data = new Uint32Array(buf); break;
    case 'int16': data = new Int16Array(buf); break;
    case 'uint16': data = new Uint16Array(buf); break;
    case 'int8': data = new Int8Array(buf); break;
    case 'uint8': case 'bool': data = new Uint8Array(buf); break;
    default: return { dtype, dims, data: null, raw: new Uint8Array(buf) };
  }
  return { dtype, dims, data };
}
