import { metadataFromBytes } from '../../export/onnx-metadata.js';
import { isPrecision, type Precision } from '../../passes/precision/formats.js';
import { UserError } from '../errors.js';
import type { OrtBackend, RunOptions, Session } from './backend.js';

/**
 * 16-bit graphs on WebGPU. A graph compiled with `--precision fp16` computes in float16, which a
 * WebGPU device runs only with the `shader-f16` feature; onnxruntime places such a graph on WebGPU
 * whatever the adapter offers and fails in the middle of the first run ("Program Cast requires
 * f16 but the device does not support it"). So before a graph whose `ssmc.precision` is fp16 goes
 * to WebGPU, the adapter is asked; without shader-f16 the graph runs on the CPU backend instead
 * (saying so), or, when the caller asked for WebGPU or nothing, is refused with the reason.
 */

export type GraphPrecision = Precision;

/** The metadata key `ssmc compile --precision` writes (METADATA_KEYS.precision; read here from the bytes, before onnxruntime decodes them). */
const PRECISION_KEY = 'ssmc.precision';

/** The precision a graph was compiled for (`ssmc.precision`; graphs without it are float32). */
export function graphPrecision(modelBytes: Uint8Array): GraphPrecision {
  const value = metadataFromBytes(modelBytes).get(PRECISION_KEY);
  return value !== undefined && isPrecision(value) ? value : 'fp32';
}

/** Whether a graph of this precision computes in float16 on the GPU (bf16 is storage only: widened to float32). */
export function needsShaderF16(p: GraphPrecision): boolean {
  return p === 'fp16';
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
export function noShaderF16(device: string, fallback: string | null): string {
  const why = `this graph computes in float16 (ssmc.precision fp16) and ${device} has no 'shader-f16' feature`;
  return fallback
    ? `${why}: running it on ${fallback} instead (compile with --precision fp32 to run it on this GPU)`
    : `${why}, so it cannot run there; run it on another backend, or compile it with --precision fp32`;
}

/**
 * `gpu` with the shader-f16 check in front of every session: an fp16 graph goes to `policy.fallback()`
 * when the device lacks shader-f16 (RunOptions.onNote says so), or is refused with a UserError when
 * RunOptions.f16Fallback is false. Other graphs go to `gpu` unchanged.
 */
export function withF16Check(gpu: OrtBackend, policy: F16Policy): OrtBackend {
  const route = async (bytes: Uint8Array, opts: RunOptions): Promise<OrtBackend> => {
    if (!needsShaderF16(graphPrecision(bytes)) || (await policy.hasShaderF16())) return gpu;
    if (opts.f16Fallback === false) throw new UserError(noShaderF16(policy.device(), null));
    const fallback = await policy.fallback();
    opts.onNote?.(noShaderF16(policy.device(), fallback.description ?? fallback.name));
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
