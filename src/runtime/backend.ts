import type { Tensor, TensorData } from '../../ir/tensor.js';
import type { DType } from '../../ir/types.js';
import { UserError } from '../errors.js';
import { rejection } from './ort-errors.js';

/**
 * A runtime-neutral view of onnxruntime: the same interface over onnxruntime-node (native CPU, or
 * its WebGPU execution provider) and onnxruntime-web (wasm, or WebGPU in a browser). This module
 * imports neither package; `node.ts`, `node-webgpu.ts` and `web.ts` (wasm and WebGPU) hand their
 * module to `ortBackend`.
 */

export interface RunOptions {
  /** Intra-op threads (onnxruntime's default when unset). The wasm backend fixes this globally. */
  threads?: number;
  /** Graph optimisations: 'all' (default) or 'disabled' to run the graph exactly as written. */
  optimizations?: 'all' | 'disabled';
  /**
   * A float16 graph on a WebGPU device without shader-f16 (precision.ts): run it on the CPU
   * backend instead (true, the default) or refuse it (false).
   */
  f16Fallback?: boolean;
  /** Told, in one line, when a backend runs a graph somewhere other than asked (the fp16 fallback). */
  onNote?: (line: string) => void;
}

/** A loaded model for repeated runs (generation, benchmarks). Release it when done. */
export interface Session {
  readonly backend: BackendName;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Every graph input must be fed, and nothing else; returns every output by name. Outputs named
   * in `into` are written into those tensors (their dims must be the output's), so a loop that
   * runs the same shapes again and again (a decoding batch) allocates nothing per run.
   */
  run(feeds: Map<string, Tensor>, into?: Map<string, Tensor>): Promise<Map<string, Tensor>>;
  release(): Promise<void>;
}

/** 'node': onnxruntime-node's CPU provider; 'wasm': onnxruntime-web's wasm; 'webgpu': WebGPU (Node or browser). */
export type BackendName = 'node' | 'wasm' | 'webgpu';

export interface OrtBackend {
  readonly name: BackendName;
  /** The runtime in words ('onnxruntime-node (CPU)'), for messages and reports. */
  readonly description?: string;
  /** Load, run once, release. */
  run(modelBytes: Uint8Array, feeds: Map<string, Tensor>, opts?: RunOptions): Promise<Map<string, Tensor>>;
  createSession(modelBytes: Uint8Array, opts?: RunOptions): Promise<Session>;
}

// --- the part of the onnxruntime JS API (onnxruntime-common) the backends use ------------------

/** An onnxruntime tensor, structurally (onnxruntime-node and -web each have their own class). */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}

export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensorLike>, fetches?: Record<string, OrtTensorLike | null>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

export interface OrtModuleLike {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
}

/** IR dtypes onnxruntime's JS API can take and give back. */
const ORT_TYPES: Partial<Record<DType, string>> = {
  float32: 'float32', float64: 'float64', float16: 'float16', int64: 'int64', uint64: 'uint64', int32: 'int32',
  uint32: 'uint32', int16: 'int16', uint16: 'uint16', int8: 'int8', uint8: 'uint8', bool: 'bool', string: 'string',
  int4: 'int4', uint4: 'uint4',
};

/** The typed array onnxruntime expects for each type (bool travels as Uint8Array). */
const ORT_ARRAYS: Record<string, { new (n: number): unknown; readonly name: string } | undefined> = {
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, uint64: BigUint64Array, int32: Int32Array,
  uint32: Uint32Array, int16: Int16Array, uint16: Uint16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

function shapeText(dims: readonly (number | string)[]): string {
  return `[${dims.join(', ')}]`;
}

/** IR tensor → onnxruntime tensor, with the checks onnxruntime would report less clearly. */
export function toOrtTensor(ort: OrtModuleLike, name: string, t: Tensor): OrtTensorLike {
  const type = ORT_TYPES[t.dtype];
  if (!type) {
    const hint = t.dtype === 'complex64' || t.dtype === 'complex128' ? ' (feed the real and imaginary parts as float32 tensors)' : '';
    throw new UserError(`input '${name}': dtype ${t.dtype} cannot be fed to onnxruntime${hint}`);
  }
  if (t.dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new UserError(`input '${name}': dims ${shapeText(t.dims)} must be non-negative integers`);
  if (t.external) throw new UserError(`input '${name}': its data lives in an external file (${t.external.location}); load it first`);
  const count = elementCount(t.dims);
  if (t.dtype === 'float16') {
    if (!t.raw || t.raw.byteLength !== 2 * count) throw new UserError(`input '${name}': a float16 tensor of dims ${shapeText(t.dims)} needs ${2 * count} raw bytes`);
    return new ort.Tensor(type, new Uint16Array(t.raw.slice().buffer), [...t.dims]);
  }
  if (t.dtype === 'int4' || t.dtype === 'uint4') {
    if (!t.raw || t.raw.byteLength !== Math.ceil(count / 2)) throw new UserError(`input '${name}': a ${t.dtype} tensor of dims ${shapeText(t.dims)} needs ${Math.ceil(count / 2)} packed bytes`);
    return new ort.Tensor(type, t.raw.slice(), [...t.dims]);
  }
  const data = t.data;
  if (data === null) throw new UserError(`input '${name}' (${t.dtype}) has no data`);
  if (t.dtype === 'string') {
    if (!Array.isArray(data)) throw new UserError(`input '${name}': a string tensor must hold a list of strings`);
  } else {
    const ctor = ORT_ARRAYS[type]!;
    if (!(data instanceof ctor)) {
      throw new UserError(`input '${name}': a ${t.dtype} tensor must hold a ${ctor.name}, not ${(data as object).constructor.name}`);
    }
  }
  if (data.length !== count) {
    throw new UserError(`input '${name}': dims ${shapeText(t.dims)} need ${count} elements but the tensor holds ${data.length}`);
  }
  return new ort.Tensor(type, data, [...t.dims]);
}

/** onnxruntime tensor → IR tensor (float16 and 4-bit types come back as raw bytes). */
export function fromOrtTensor(name: string, t: OrtTensorLike): Tensor {
  const dims = [...t.dims].map(Number);
  const data = t.data;
  switch (t.type) {
    case 'float16': case 'int4': case 'uint4': {
      const v = data as ArrayBufferView;
      return { dtype: t.type as DType, dims, data: null, raw: new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice() };
    }
    case 'string':
      return { dtype: 'string', dims, data: [...(data as string[])] };
    default: {
      const ctor = ORT_ARRAYS[t.type];
      if (!ctor) throw new UserError(`output '${name}' has type ${t.type}, which ssmc cannot read back`);
      if (!(data instanceof ctor)) throw new Error(`internal: onnxruntime returned ${t.type} output '${name}' as ${(data as object)?.constructor?.name}`);
      return { dtype: t.type as DType, dims, data: data as TensorData };
    }
  }
}

/** Every input fed, nothing unknown, and dtypes/fixed dims as the model declares them. */
function checkFeeds(session: OrtSessionLike, feeds: Map<string, Tensor>): void {
  const inputs = session.inputNames;
  const list = inputs.length ? inputs.map((n) => `'${n}'`).join(', ') : '(none)';
  const unknown = [...feeds.keys()].filter((k) => !inputs.includes(k));
  if (unknown.length) {
    throw new UserError(`${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'is not an input' : 'are not inputs'} of the model; its inputs are ${list}`);
  }
  const missing = inputs.filter((n) => !feeds.has(n));
  if (missing.length) {
    throw new UserError(`no value for graph input${missing.length === 1 ? '' : 's'} ${missing.map((n) => `'${n}'`).join(', ')}; the model's inputs are ${list}`);
  }
  for (const meta of session.inputMetadata ?? []) {
    const t = feeds.get(meta.name);
    if (!t || !meta.isTensor || !ORT_TYPES[t.dtype]) continue; // unfeedable dtypes: toOrtTensor explains
    if (meta.type && ORT_TYPES[t.dtype] !== meta.type) {
      throw new UserError(`input '${meta.name}' is ${t.dtype} but the model takes ${meta.type}`);
    }
    const shape = meta.shape ?? [];
    if (shape.length === 0) continue; // unknown (onnxruntime reports scalars and unknown shapes alike)
    const fixedMismatch = shape.length !== t.dims.length || shape.some((d, i) => typeof d === 'number' && d >= 0 && d !== t.dims[i]);
    if (fixedMismatch) {
      throw new UserError(`input '${meta.name}' has dims ${shapeText(t.dims)} but the model takes ${shapeText(shape)}`);
    }
  }
}

/** The OrtBackend over one onnxruntime JS package. */
export function ortBackend(
  name: BackendName,
  ort: OrtModuleLike,
  sessionOptions: (opts: RunOptions) => Record<string, unknown>,
  prepare: (opts: RunOptions) => void | Promise<void> = () => {},
  description?: string,
  /** Turns a load failure into the backend's own message (a missing GPU adapter), or returns null. */
  explainLoadFailure: (e: unknown) => Error | null = () => null,
): OrtBackend {
  const createSession = async (modelBytes: Uint8Array, opts: RunOptions = {}): Promise<Session> => {
    await prepare(opts);
    const session = await ort.InferenceSession.create(modelBytes, sessionOptions(opts)).catch((e: unknown) => {
      throw explainLoadFailure(e) ?? rejection(e, 'load');
    });
    return {
      backend: name,
      inputNames: [...session.inputNames],
      outputNames: [...session.outputNames],
      async run(feeds, into) {
        checkFeeds(session, feeds);
        const inputs: Record<string, OrtTensorLike> = {};
        for (const input of session.inputNames) inputs[input] = toOrtTensor(ort, input, feeds.get(input)!);
        if (!into || into.size === 0 || name !== 'node') {
          let results: Record<string, OrtTensorLike>;
          try {
            results = await session.run(inputs);
          } catch (e) {
            throw rejection(e, 'run');
          }
          const outputs = new Map(session.outputNames.map((out) => [out, fromOrtTensor(out, results[out]!)]));
          // onnxruntime-web does not write CPU outputs into preallocated tensors: copy them there.
          for (const [out, t] of into ?? []) {
            (t.data as Float32Array).set(outputs.get(out)!.data as Float32Array);
            outputs.set(out, t);
          }
          return outputs;
        }
        const fetches: Record<string, OrtTensorLike | null> = {};
        for (const out of session.outputNames) fetches[out] = into.has(out) ? toOrtTensor(ort, out, into.get(out)!) : null;
        let results: Record<string, OrtTensorLike>;
        try {
          results = await session.run(inputs, fetches);
        } catch (e) {
          throw rejection(e, 'run');
        }
        return new Map(session.outputNames.map((out) => [out, into.get(out) ?? fromOrtTensor(out, results[out]!)]));
      },
      release: () => session.release(),
    };
  };
  return backendOfSessions(name, description, createSession);
}

/** A backend from its session factory: `run` loads the graph, runs it once and releases it. */
export function backendOfSessions(name: BackendName, description: string | undefined, createSession: OrtBackend['createSession']): OrtBackend {
  return {
    name,
    description,
    createSession,
    async run(modelBytes, feeds, opts = {}) {
      const session = await createSession(modelBytes, opts);
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    },
  };
}
