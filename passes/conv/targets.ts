import type { ConvFacts, LoweringEstimate } from './lowering.js';

/**
 * The runtimes the cost model plans for (`--target`), each with the throughputs it was measured
 * at. The figures come from ../shared/docs/lowering-notes.md (onnxruntime 1.30, a 2-core AVX2
 * machine, H = 256, batch 1) and the project's benchmarks (`npm run bench`). A new runtime is one
 * more entry in TARGETS (or in the `targets` a pipeline is built with):
 *  - its throughputs price every lowering through the lowering's own operation counts;
 *  - `lacks` names the ONNX ops it cannot run (a WebGPU runtime without Scan: every lowering whose
 *    `needs` include Scan is then refused for it, with that reason);
 *  - `prices` replaces a lowering's estimate on this runtime where the throughput model does not
 *    describe it (a GPU whose cost is kernel launches, not flops), and prices lowerings written for
 *    this runtime alone; a lowering may also refuse a runtime in its own whyNot.
 */
export interface RuntimeTarget {
  /** The --target name. */
  readonly id: string;
  readonly description: string;
  /** GFLOP/s of batched MatMul at the sizes the lowerings use, one thread (threads scale it). */
  readonly matmulGflops: number;
  /** GFLOP/s of the DFT kernel (serial, scalar radix-2: threads do not help). */
  readonly dftGflops: number;
  /** GFLOP/s of a depthwise Conv, one thread. */
  readonly convGflops: number;
  /** G element-ops/s of small elementwise kernels (a chunk Scan's steps). */
  readonly elementwiseGops: number;
  /** Fixed cost of one Scan step (launching its body's few kernels), ms. */
  readonly scanStepMs: number;
  /** How many intra-op threads help. */
  readonly maxThreads: number;
  /** ONNX ops this runtime cannot run (or runs so badly that no plan should use them). */
  readonly lacks: readonly string[];
  /** Estimates of its own, by lowering name, that replace the lowering's throughput-based one. */
  readonly prices?: Readonly<Record<string, (facts: ConvFacts, threads: number) => LoweringEstimate>>;
}

/** onnxruntime-node CPU: MatMul 55-60 GFLOP/s a thread, DFT 0.9-1.5 (1-2.5 % of MatMul), grouped Conv 3.7. */
const ORT_CPU_MATMUL_GFLOPS = 55;
const ORT_CPU_DFT_GFLOPS = 0.9;
const ORT_CPU_CONV_GFLOPS = 3.7;
const ORT_CPU_ELEMENTWISE_GOPS = 1;
/** One step of the chunk Scan costs about 0.02 ms beyond its work (0.12 ms a step measured at H=256, N=32). */
const ORT_CPU_SCAN_STEP_MS = 0.02;

/** onnxruntime-web (wasm, one thread without cross-origin isolation): MatMul 13-17 GFLOP/s. */
const ORT_WASM_MATMUL_GFLOPS = 15;
const ORT_WASM_DFT_GFLOPS = 0.6;
const ORT_WASM_CONV_GFLOPS = 1.2;
const ORT_WASM_ELEMENTWISE_GOPS = 0.4;
/** Not measured apart from the CPU build: the same kernel-launch overhead is assumed. */
const ORT_WASM_SCAN_STEP_MS = ORT_CPU_SCAN_STEP_MS;

export const ORT_CPU: RuntimeTarget = {
  id: 'ort-cpu',
  description: 'onnxruntime-node, CPU execution provider',
  matmulGflops: ORT_CPU_MATMUL_GFLOPS,
  dftGflops: ORT_CPU_DFT_GFLOPS,
  convGflops: ORT_CPU_CONV_GFLOPS,
  elementwiseGops: ORT_CPU_ELEMENTWISE_GOPS,
  scanStepMs: ORT_CPU_SCAN_STEP_MS,
  maxThreads: 64,
  lacks: [],
};

export const ORT_WASM: RuntimeTarget = {
  id: 'ort-wasm',
  description: 'onnxruntime-web, wasm (one thread)',
  matmulGflops: ORT_WASM_MATMUL_GFLOPS,
  dftGflops: ORT_WASM_DFT_GFLOPS,
  convGflops: ORT_WASM_CONV_GFLOPS,
  elementwiseGops: ORT_WASM_ELEMENTWISE_GOPS,
  scanStepMs: ORT_WASM_SCAN_STEP_MS,
  maxThreads: 1,
  lacks: [],
};

export const TARGETS: readonly RuntimeTarget[] = [ORT_CPU, ORT_WASM];

export const DEFAULT_TARGET = ORT_CPU;

export function findTarget(id: string, targets: readonly RuntimeTarget[] = TARGETS): RuntimeTarget | undefined {
  return targets.find((t) => t.id === id);
}
