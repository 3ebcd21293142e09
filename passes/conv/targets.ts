import type { ConvFacts, ConvLowering, LoweringEstimate } from './lowering.js';
import { ALU_GFLOPS, BANDWIDTH_GBPS, DISPATCH_MS, dftStructure, directStructure, doublingStructure, fourstepStructure, MATMUL_GFLOPS, webgpuRefuses } from './webgpu-plan.js';

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
 *    this runtime alone; a lowering may also refuse a runtime in its own whyNot;
 *  - `refuses` rules out a lowering for a convolution on this runtime for a reason of its own (a
 *    GPU whose sin/cos are approximations cannot form a kernel's taps at run time accurately).
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
  /**
   * Its sin and cos are approximations (a GPU's shader math): kernels and states are not formed at
   * run time from exp of a complex argument where a form built from folded constants exists.
   */
  readonly approximateTrig?: boolean;
  /** Why this runtime cannot run `lowering` well for this convolution, or null. */
  readonly refuses?: (lowering: ConvLowering, facts: ConvFacts) => string | null;
  /**
   * ONNX ops it computes in float16 with kernels of its own (absent: none). An fp16 graph
   * computes those in float16 where passes/precision/policy.ts allows; everything else, and
   * every op on a runtime without float16 kernels, computes in float32 on 16-bit weights cast
   * up when the session loads.
   */
  readonly float16Ops?: readonly string[];
  /**
   * onnxruntime contrib ops (com.microsoft) it runs with kernels of its own and that ssmc emits
   * where they beat the standard-op form (absent: none; CompileTarget.portable turns them off).
   */
  readonly contribOps?: readonly ContribOp[];
}

/** The contrib ops ssmc can emit: RotaryEmbedding as a step graph's complex state update (passes/lower-diag-step.ts). */
export type ContribOp = 'RotaryEmbedding';

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
  // Measured (README, "16-bit graphs"): onnxruntime 1.30's CPU provider has float16 kernels for
  // data movement, LayerNormalization, Max and Min only (LayerNormalization 5.8× slower than in
  // float32); for every arithmetic op it inserts casts and computes in float32, dropping the
  // graph's own float16 roundings. No bfloat16 arithmetic at all.
  float16Ops: [],
  contribOps: ['RotaryEmbedding'],
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
  // Measured: onnxruntime-web's wasm build has the CPU provider's kernels (the same float16 gaps).
  float16Ops: [],
  contribOps: ['RotaryEmbedding'],
};

/**
 * onnxruntime's WebGPU execution provider (onnxruntime-node's, and onnxruntime-web's in a browser),
 * planned by structure: see webgpu-plan.ts. It lacks control flow (Scan, Loop and If run on the
 * CPU with copies every iteration), and it prices every lowering by its kernels, MatMul flops and
 * bytes at nominal GPU unit costs; the throughputs below only serve a lowering it does not price.
 */
export const ORT_WEBGPU: RuntimeTarget = {
  id: 'ort-webgpu',
  description: "onnxruntime's WebGPU execution provider (Node or browser), planned by structure",
  matmulGflops: MATMUL_GFLOPS,
  dftGflops: ALU_GFLOPS,
  convGflops: ALU_GFLOPS,
  elementwiseGops: BANDWIDTH_GBPS / 8,
  scanStepMs: 10 * DISPATCH_MS,
  maxThreads: 1,
  lacks: ['Scan', 'Loop', 'If'],
  // Checked by placement (test/webgpu, test/web): onnxruntime-node's and -web's WebGPU providers
  // run RotaryEmbedding on the device.
  contribOps: ['RotaryEmbedding'],
  prices: {
    dft: (f) => dftStructure(f),
    fourstep: (f) => fourstepStructure(f),
    doubling: (f) => doublingStructure(f),
    direct: (f) => directStructure(f),
  },
  approximateTrig: true,
  refuses: webgpuRefuses,
};

export const TARGETS: readonly RuntimeTarget[] = [ORT_CPU, ORT_WASM, ORT_WEBGPU];

export const DEFAULT_TARGET = ORT_CPU;

export function findTarget(id: string, targets: readonly RuntimeTarget[] = TARGETS): RuntimeTarget | undefined {
  return targets.find((t) => t.id === id);
}
