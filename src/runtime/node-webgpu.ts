import * as ort from 'onnxruntime-node';
import { modelToBytes } from '../../export/onnx-write.js';
import { Model } from '../../ir/model.js';
import { f32 } from '../../ir/tensor.js';
import { tensorType } from '../../ir/types.js';
import { UserError } from '../errors.js';
import { ortBackend, type OrtBackend, type OrtModuleLike, type RunOptions } from './backend.js';
import { nodeBackend } from './node.js';
import { withF16Check } from './precision.js';
import { describeWebGpuEnvironment, prepareWebGpuEnvironment, type WebGpuEnvironment } from './webgpu-env.js';

/**
 * onnxruntime-node's WebGPU execution provider (Dawn: Vulkan on Linux, Metal on macOS, D3D12 on
 * Windows). Nodes without a WebGPU kernel run on onnxruntime's CPU provider beside it, with copies
 * between the two (`ssmc compile --target ort-webgpu` plans graphs that need none; see
 * placement.ts). Before the first session the environment is completed where it can be
 * (webgpu-env.ts); what cannot be is named in the error.
 */

function environment(): WebGpuEnvironment {
  const env = prepareWebGpuEnvironment();
  if (env.missing.length) throw new UserError(`WebGPU is not available: ${env.missing.join('; ')}`);
  return env;
}

function adapterFailure(e: unknown): Error | null {
  const msg = e instanceof Error ? e.message : String(e);
  if (!/Failed to get a WebGPU adapter|No supported adapters|vkCreateInstance|WebGPU device/i.test(msg)) return null;
  const detail = /Failed to get a WebGPU adapter:?\s*([^\n]*)/.exec(msg)?.[1]?.trim();
  return new UserError(
    `WebGPU is not available: onnxruntime found no WebGPU adapter${detail ? ` (${detail})` : ''} with ${describeWebGpuEnvironment(prepareWebGpuEnvironment())}; ` +
      'install the GPU\'s Vulkan driver (or Chromium, whose SwiftShader runs WebGPU on the CPU), or use --backend node',
    { cause: e },
  );
}

const plainWebGpu = ortBackend(
  'webgpu',
  ort as unknown as OrtModuleLike,
  (opts: RunOptions) => ({
    executionProviders: ['webgpu'],
    graphOptimizationLevel: opts.optimizations === 'disabled' ? 'disabled' : 'all',
    logSeverityLevel: 4,
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
  }),
  () => void environment(),
  'onnxruntime-node (WebGPU)',
  adapterFailure,
);

/** y = float32(float16(x) · 2): the smallest graph that needs float16 arithmetic in a shader. */
function float16Probe(): Uint8Array {
  const model = new Model(17);
  const g = model.graph;
  const x = g.addInput('x', tensorType('float32', [1]));
  const half = g.createNode('', 'Cast', [x], { to: { kind: 'int', value: 10 } }, 1, { outputTypes: [tensorType('float16', [1])] }).outputs[0]!;
  const twice = g.createNode('', 'Add', [half, half], {}, 1, { outputTypes: [tensorType('float16', [1])] }).outputs[0]!;
  g.outputs.push(g.createNode('', 'Cast', [twice], { to: { kind: 'int', value: 1 } }, 1, { outputNames: ['y'], outputTypes: [tensorType('float32', [1])] }).outputs[0]!);
  return modelToBytes(model);
}

let shaderF16: Promise<boolean> | null = null;

/**
 * Whether the WebGPU device onnxruntime-node opens has shader-f16. Node has no navigator.gpu and
 * onnxruntime does not report the device's features, so a float16 probe graph is run once per
 * process: a device without the feature fails it with the error an fp16 model would meet.
 */
export function nodeHasShaderF16(): Promise<boolean> {
  shaderF16 ??= (async () => {
    try {
      const out = await plainWebGpu.run(float16Probe(), new Map([['x', f32([1.5], [1])]]), { optimizations: 'disabled' });
      return (out.get('y')!.data as Float32Array)[0] === 3;
    } catch (e) {
      const text = `${e instanceof Error ? e.message : String(e)} ${e instanceof Error && e.cause instanceof Error ? e.cause.message : ''}`;
      if (/requires f16|shader-f16|ShaderF16/i.test(text)) return false;
      throw e;
    }
  })();
  return shaderF16;
}

function deviceWords(): string {
  const env = prepareWebGpuEnvironment();
  return env.icdSource === 'swiftshader' ? "the WebGPU device (SwiftShader, Chromium's CPU Vulkan driver)" : 'the WebGPU device';
}

export const webgpuBackend: OrtBackend = withF16Check(plainWebGpu, {
  hasShaderF16: nodeHasShaderF16,
  fallback: async () => nodeBackend,
  device: deviceWords,
});
