import { realStateSize, statePassingMatmulFlops } from './chunked.js';
import { doublingWork } from './doubling.js';
import { fourstepPlan } from './fourstep.js';
import { nextPow2, plannedLength, planningNote, type ConvFacts, type ConvLowering, type LoweringEstimate } from './lowering.js';

/**
 * How the cost model plans for onnxruntime's WebGPU execution provider: by the structure of each
 * lowering's graph, not by measured throughput. The only WebGPU this project can run on is
 * SwiftShader, Chromium's Vulkan driver that runs shaders on the CPU, and its timings say nothing
 * about a real GPU (where the same graph runs 100× faster, and the ratios between kernels differ
 * too). What holds on every GPU is what a graph asks of it:
 *   - no host round trips: Scan, Loop and If run on the CPU (the target lacks them), with copies
 *     of their state between the CPU and the GPU on every iteration, so no plan uses them;
 *   - few, large kernels: every kernel dispatch costs about the same fixed time (DISPATCH_MS)
 *     whatever it does, so a lowering pays per kernel, and per-position loops are ruled out;
 *   - MatMul-shaped work is what a GPU does best (MATMUL_GFLOPS); other arithmetic runs at a tenth
 *     of it (ALU_GFLOPS), and data movement is priced by bytes (BANDWIDTH_GBPS);
 *   - onnxruntime's WebGPU DFT is one workgroup's FFT up to 512 points and a direct O(n²) DFT
 *     beyond that (onnxruntime/core/providers/webgpu/math/dft.cc), so the `dft` lowering is priced
 *     as such.
 * The unit costs are nominal (an integrated laptop GPU, roughly): they rank lowerings, they do not
 * predict milliseconds, and every estimate says so.
 */

/** Fixed cost of one kernel dispatch (launch, bind groups, barrier), ms. */
export const DISPATCH_MS = 0.02;
/** MatMul-shaped work, GFLOP/s. */
export const MATMUL_GFLOPS = 1000;
/** Other arithmetic (a direct DFT's loop, a depthwise Conv), GFLOP/s. */
export const ALU_GFLOPS = 100;
/** Memory traffic of elementwise kernels and copies, GB/s. */
export const BANDWIDTH_GBPS = 100;
/** The longest transform onnxruntime's WebGPU DFT does as an FFT in one workgroup. */
export const WEBGPU_FFT_MAX = 512;

export const STRUCTURE_NOTE = 'planned by structure (nominal GPU unit costs; SwiftShader timings say nothing about real GPUs)';

interface Structure {
  kernels: number;
  matmulFlops: number;
  aluFlops: number;
  bytes: number;
  what: string;
}

function priced(s: Structure, f: ConvFacts): LoweringEstimate {
  const ms = s.kernels * DISPATCH_MS + s.matmulFlops / (MATMUL_GFLOPS * 1e6) + s.aluFlops / (ALU_GFLOPS * 1e6) + s.bytes / (BANDWIDTH_GBPS * 1e6);
  return { ms, note: `${s.what}; ${s.kernels} kernels${planningNote(f)}; ${STRUCTURE_NOTE}` };
}

/** A complex transform of n points: an FFT in one workgroup up to WEBGPU_FFT_MAX, else a direct DFT (8n² flops). */
function dftFlops(n: number): number {
  return n <= WEBGPU_FFT_MAX ? 5 * n * Math.log2(Math.max(n, 2)) : 8 * n * n;
}

export function dftStructure(f: ConvFacts): LoweringEstimate {
  const L = plannedLength(f), Lk = f.Lk ?? L;
  const n = nextPow2(L + Lk);
  const rows = f.H + f.C * f.H + (f.L === null ? f.C * f.H : 0);
  const transforms = rows / 2; // two real rows per complex transform
  return priced({
    kernels: 24 + (f.L === null ? 12 : 0),
    matmulFlops: 0,
    aluFlops: transforms * dftFlops(n),
    bytes: 4 * 2 * n * rows * 6,
    what: n <= WEBGPU_FFT_MAX ? `${transforms} complex FFTs of ${n} (one workgroup each)` : `${transforms} direct DFTs of ${n} points (O(n²): onnxruntime's WebGPU FFT stops at ${WEBGPU_FFT_MAX})`,
  }, f);
}

export function fourstepStructure(f: ConvFacts): LoweringEstimate {
  const plan = fourstepPlan(f.L!, f.Lk!, f.bidirectional);
  const factorSum = plan.factors.reduce((a, x) => a + x, 0);
  const rows = f.H + f.C * f.H;
  return priced({
    kernels: 4 * plan.stages + 10,
    matmulFlops: 8 * plan.n * factorSum * rows,
    aluFlops: 0,
    bytes: 4 * 2 * plan.n * rows * (2 * plan.stages + 4),
    what: `FFT ${plan.n} = ${plan.factors.join('·')} as ${2 * plan.stages} batched MatMuls`,
  }, f);
}

export function doublingStructure(f: ConvFacts): LoweringEstimate {
  const w = doublingWork(f);
  const sides = f.bidirectional ? 2 : 1;
  const perLevel = f.kernel === 'dense' ? 4 : 8;
  const u = plannedLength(f) * f.H;
  return priced({
    kernels: sides * (10 + w.graphLevels * perLevel),
    matmulFlops: statePassingMatmulFlops(f, w.T) + w.matmulFlops,
    aluFlops: 0,
    bytes: 4 * (w.elementOps + sides * 3 * u * (1 + f.C) + sides * Math.ceil(plannedLength(f) / w.T) * f.H * realStateSize(f) * 4),
    what: `chunks of ${w.T}, ${w.graphLevels} doubling levels, MatMuls for the chunk states and outputs`,
  }, f);
}

export function directStructure(f: ConvFacts): LoweringEstimate {
  const L = plannedLength(f), Lk = f.Lk ?? L, sides = f.bidirectional ? 2 : 1;
  return priced({
    kernels: 6,
    matmulFlops: 0,
    aluFlops: 2 * L * Lk * f.C * f.H * sides,
    bytes: 4 * L * f.H * (2 + 2 * f.C),
    what: `depthwise Conv with ${Lk} taps${sides > 1 ? ' each side' : ''}`,
  }, f);
}

/**
 * A lowering that reads taps, on a dynamic-length convolution whose kernel has a state-space form
 * that chunked state passing takes: its taps would be formed on the GPU at run time (exp(λ·l) for
 * every position l), and shader sin/cos are approximations — WGSL allows 2^-11 absolute error and
 * SwiftShader's are off by about 2e-4, twice the output tolerance — while the state-passing
 * weights depend on the parameters alone and fold into constants in float64 at compile time.
 * (Kernels with no such form — DSS-softmax, bidirectional S4 DPLR — keep their taps.)
 */
export function webgpuRefuses(lowering: ConvLowering, f: ConvFacts): string | null {
  if (lowering.reads !== 'taps' || f.L !== null || whyNotStatePassingOnDevice(f)) return null;
  return 'with a dynamic length its taps would be formed on the GPU at run time, whose sin/cos are approximations (WGSL allows 2^-11 absolute error); chunked state passing (doubling) folds its weights at compile time';
}

/** Why chunked state passing cannot take this convolution (whether the exact alternative exists). */
function whyNotStatePassingOnDevice(f: ConvFacts): boolean {
  return f.kernel === 'taps' || !f.fullLength;
}
