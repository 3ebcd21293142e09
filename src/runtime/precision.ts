import { metadataFromBytes } from '../../export/onnx-metadata.js';
import { modelFromBytes } from '../../export/onnx-read.js';
import type { Graph } from '../../ir/graph.js';
import type { Value } from '../../ir/value.js';
import { isPrecision, type Precision } from '../../passes/precision/formats.js';
import { UserError } from '../errors.js';
import type { OrtBackend, RunOptions, Session } from './backend.js';

/**
 * 16-bit graphs on WebGPU. A WebGPU device runs float16 in a shader only with the `shader-f16`
 * feature; onnxruntime places a float16 graph on WebGPU whatever the adapter offers and fails in
 * the middle of the first run ("Program Cast requires f16 but the device does not support it").
 * A graph compiled with `--precision fp16` uses float16 one of two ways (float16Use): it computes
 * in float16 (planned for a runtime with float16 kernels), or it only stores its weights in
 * float16, each cast to float32 by a Cast of the initializer that onnxruntime folds when the
 * session loads, so no float16 value reaches the device (measured on SwiftShader, which has no
 * shader-f16: such graphs run; with graph optimizations disabled the Cast runs on the device and
 * fails). Before a graph that needs the feature goes to WebGPU, the adapter is asked; without
 * shader-f16 the graph runs on the CPU backend instead (saying so), or, when the caller asked for
 * WebGPU or nothing, is refused with the reason.
 */

export type GraphPrecision = Precision;

/** The metadata key `ssmc compile --precision` writes (METADATA_KEYS.precision; read here from the bytes, before onnxruntime decodes them). */
const PRECISION_KEY = 'ssmc.precision';

/** The precision a graph was compiled for (`ssmc.precision`; graphs without it are float32). */
export function graphPrecision(modelBytes: Uint8Array): GraphPrecision {
  const value = metadataFromBytes(modelBytes).get(PRECISION_KEY);
  return value !== undefined && isPrecision(value) ? value : 'fp32';
}

/**
 * How a graph uses float16: 'compute' — some value computed at run time is float16 (a Cast to
 * float16 of a run-time value, or a float16 graph input: every float16 region of a graph starts
 * at one); 'storage' — float16 weights only, each read through a Cast that onnxruntime folds at
 * load; 'none' — not an fp16 graph (bf16 stores bfloat16, which no WebGPU shader reads: its Casts
 * fold on the CPU the same way). Only graphs marked `ssmc.precision` fp16 are decoded; one that
 * cannot be decoded counts as 'compute' (onnxruntime then says what is wrong with it).
 */
export type Float16Use = 'compute' | 'storage' | 'none';

const FLOAT16 = 10;

export function float16Use(modelBytes: Uint8Array): Float16Use {
  if (graphPrecision(modelBytes) !== 'fp16') return 'none';
  let model;
  try {
    model = modelFromBytes(modelBytes);
  } catch {
    return 'compute';
  }
  const graphs = [model.graph, ...model.functions.map((f) => f.body)];
  return graphs.some(computesInFloat16) ? 'compute' : 'storage';
}

/** A value known when the session loads: an initializer, or a Constant node's output. */
function loadTimeConstant(v: Value | null): boolean {
  return v === null || v.constant !== null || v.producer?.op === 'Constant';
}

function computesInFloat16(g: Graph): boolean {
  if (g.inputs.some((v) => v.type.dtype === 'float16')) return true;
  for (const node of g.nodes) {
    const to = node.attrs.get('to');
    if (node.op === 'Cast' && to?.kind === 'int' && to.value === FLOAT16 && !loadTimeConstant(node.inputs[0] ?? null)) return true;
    for (const a of node.attrs.values()) {
      if ((a.kind === 'graph' && computesInFloat16(a.value)) || (a.kind === 'graphs' && a.value.some(computesInFloat16))) return true;
    }
  }
  return false;
}

/**
 * Whether running the graph on WebGPU needs the shader-f16 feature: float16 compute does, and so
 * does float16 storage when graph optimizations are disabled (the weights' Casts then run on the device).
 */
export function needsShaderF16(use: Float16Use, opts: Pick<RunOptions, 'optimizations'> = {}): boolean {
  return use === 'compute' || (use === 'storage' && opts.optimizations === 'disabled');
}

export interface F16Policy {
  /** Whether the WebGPU device has shader-f16 (asked once; the answer is cached by the caller). */
  hasShaderF16(): Promise<boolean>;
  /** The backend an fp16 graph runs on when the device cannot (onnxruntime-node CPU, or wasm in a browser). */
  fallback(): Promise<OrtBackend>;
  /** Words for the device in messages ('the WebGPU adapter (SwiftShader)'). */
  device(): string;
}

/** The message an fp16 graph gets on a device without shader-f16. */
export function noShaderF16(device: string, fallback: string | null, use: Float16Use = 'compute'): string {
  const what = use === 'compute' ? 'computes in float16' : 'reads float16 weights on the device (graph optimizations disabled, so their Casts are not folded at load)';
  const why = `this graph ${what} (ssmc.precision fp16) and ${device} has no 'shader-f16' feature`;
  return fallback
    ? `${why}: running it on ${fallback} instead (compile with --precision fp32 to run it on this GPU)`
    : `${why}, so it cannot run there; run it on another backend, or compile it with --precision fp32`;
}

/**
 * `gpu` with the shader-f16 check in front of every session: a graph that needs shader-f16 goes to `policy.fallback()`
 * when the device lacks shader-f16 (RunOptions.onNote says so), or is refused with a UserError when
 * RunOptions.f16Fallback is false. Other graphs go to `gpu` unchanged.
 */
export function withF16Check(gpu: OrtBackend, policy: F16Policy): OrtBackend {
  const route = async (bytes: Uint8Array, opts: RunOptions): Promise<OrtBackend> => {
    const use = float16Use(bytes);
    if (!needsShaderF16(use, opts) || (await policy.hasShaderF16())) return gpu;
    if (opts.f16Fallback === false) throw new UserError(noShaderF16(policy.device(), null, use));
    const fallback = await policy.fallback();
    opts.onNote?.(noShaderF16(policy.device(), fallback.description ?? fallback.name, use));
    return fallback;
  };
  return {
    name: gpu.name,
    description: gpu.description,
    async createSession(bytes, opts = {}): Promise<Session> {
      return (await route(bytes, opts)).createSession(bytes, opts);
    },
    async run(bytes, feeds, opts = {}) {
      return (await route(bytes, opts)).run(bytes, feeds, opts);
    },
  };
}
