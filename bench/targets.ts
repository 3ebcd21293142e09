/**
 * Per runtime target: the bundled gss-code model compiled for ort-cpu and for ort-webgpu, each run
 * on its own backend (onnxruntime-node's CPU provider; its WebGPU provider), with the conv
 * lowering `--lowering auto` chose, conv latency at a few lengths, step latency per token, and
 * onnxruntime's node placement of each graph on WebGPU (src/runtime/placement.ts) — the ort-cpu
 * plan too, to show what a CPU plan does on a GPU (its chunked lowering's Scan runs on the CPU,
 * with copies every iteration).
 *
 * On this machine WebGPU is SwiftShader, Chromium's Vulkan driver that runs shaders on the CPU:
 * its milliseconds say nothing about a real GPU, which runs the same graphs one to two orders of
 * magnitude faster with different ratios between kernels. The WebGPU columns here show that the
 * graphs run there and where their nodes go; the planning is by structure (passes/conv/webgpu-plan.ts).
 * `node dist/bench/targets.js [--quick]` runs it alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileModel, modelToBytes, parseModelFile, readSafetensors, readStates } from 'ssmc';
import { i64 } from 'ssmc/ir';
import { nodeBackend, placementProblems, prepareWebGpuEnvironment, readPlacement, summarizePlacement, webgpuBackend, type OrtBackend } from 'ssmc/runtime';
import { stepLatency, timeSession, tokenAt } from './timing.js';
import { printWhenMain } from './standalone.js';

const DIR = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));
const WARMUP_STEPS = 4;
const TIMED_STEPS = 16;
const CONV_REPEATS = 3;

interface Target {
  id: 'ort-cpu' | 'ort-webgpu';
  backend: OrtBackend;
  label: string;
}

export interface TargetRow {
  target: string;
  backend: string;
  graph: 'step' | 'conv';
  positions: number;
  ms: number | null;
  /** The lowering --lowering auto chose for each layer's convolution (conv graphs). */
  lowerings?: string[];
  /** onnxruntime's placement of the graph on WebGPU, summarized, and what falls back to the CPU. */
  placement: string;
  fallbacks: number;
  note?: string;
}

async function placementOnWebGpu(bytes: Uint8Array): Promise<{ placement: string; fallbacks: number }> {
  const p = await readPlacement(bytes, 'webgpu');
  return { placement: summarizePlacement(p), fallbacks: placementProblems(p).length };
}

export async function benchTargets(opts: { quick?: boolean } = {}): Promise<{ table: string; json: unknown }> {
  const env = prepareWebGpuEnvironment();
  const lengths = opts.quick ? [256] : [256, 1024];
  const file = parseModelFile(readFileSync(`${DIR}model.json`, 'utf8'), 'examples/gss-code/model.json');
  const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(`${DIR}gss_code.weights.safetensors`)), 'gss_code.weights.safetensors'), source: 'gss-code' };
  const targets: Target[] = [
    { id: 'ort-cpu', backend: nodeBackend, label: 'onnxruntime-node CPU' },
    { id: 'ort-webgpu', backend: webgpuBackend, label: 'onnxruntime-node WebGPU' },
  ];
  const rows: TargetRow[] = [];
  for (const t of targets) {
    const opts = { seqLen: null, opset: 17, runtime: t.id, threads: 1 } as const;
    const stepModel = compileModel(file, weights, { ...opts, mode: 'step' }).model;
    const stepBytes = modelToBytes(stepModel);
    const conv = compileModel(file, weights, opts);
    const convBytes = modelToBytes(conv.model);
    const gpuReady = env.missing.length === 0;
    const place = async (bytes: Uint8Array) => (gpuReady ? placementOnWebGpu(bytes) : { placement: `not read: ${env.missing.join('; ')}`, fallbacks: 0 });
    const runs = t.id === 'ort-cpu' || gpuReady;
    const why = runs ? undefined : `WebGPU not available: ${env.missing.join('; ')}`;
    rows.push({ target: t.id, backend: t.label, graph: 'step', positions: 1, ms: runs ? +(await stepLatency(t.backend, stepBytes, readStates(stepModel), { warmup: WARMUP_STEPS, timed: TIMED_STEPS })).toFixed(3) : null, ...(await place(stepBytes)), note: why });
    const convPlacement = await place(convBytes);
    for (const L of lengths) {
      const input = i64(Array.from({ length: L }, (_, i) => tokenAt(i)), [1, L]);
      const ms = runs ? await timeSession(t.backend, convBytes, new Map([['input', input]]), 1, { repeats: CONV_REPEATS, minRuns: CONV_REPEATS, budgetMs: 0 }) : null;
      rows.push({ target: t.id, backend: t.label, graph: 'conv', positions: L, ms: ms === null ? null : +ms.toFixed(2), lowerings: conv.decisions.map((d) => d.lowering), ...convPlacement, note: why });
    }
  }
  const lines = [
    'gss-code (6 GSS layers) compiled per target (--lowering auto, dynamic length), run on that target\'s backend, 1 thread; medians.',
    'WebGPU here is SwiftShader (a CPU Vulkan driver): its ms say nothing about a real GPU. Placement: onnxruntime\'s, on WebGPU.',
    '| target | backend | graph | positions | ms | auto lowering | placement on WebGPU | CPU fallbacks |',
    '|---|---|---|---:|---:|---|---|---:|',
    ...rows.map((r) => `| ${r.target} | ${r.backend} | ${r.graph === 'step' ? 'step (per token)' : 'conv (one pass)'} | ${r.positions} | ${r.ms === null ? '—' : r.ms.toFixed(r.graph === 'step' ? 3 : 2)} | ${r.lowerings ? [...new Set(r.lowerings)].join(', ') : ''} | ${r.placement} | ${r.fallbacks} |`),
  ];
  const json = {
    bench: 'targets', model: 'examples/gss-code', threads: 1, webgpu_device: env.icdSource === 'swiftshader' ? 'SwiftShader (CPU)' : env.icdSource,
    timing: { step: `median of ${TIMED_STEPS} steps after ${WARMUP_STEPS} warm-up steps`, conv: `median of ${CONV_REPEATS} runs after one warm-up run` },
    rows,
  };
  return { table: lines.join('\n'), json };
}

printWhenMain(import.meta.url, () => benchTargets({ quick: process.argv.includes('--quick') }));
