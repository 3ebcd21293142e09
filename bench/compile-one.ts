/**
 * One compile in a process of its own, for bench/compile-time.ts: a peak resident size belongs to
 * a process, so each compile gets a fresh one (as `ssmc compile` does). Reads a CompileJob as JSON
 * from argv[2], compiles and serialises the model (what `ssmc compile` does before it writes the
 * file), and prints a CompileMeasure as JSON on one line.
 */
import { fileURLToPath } from 'node:url';
import { compileModel, initialWeights, modelToBytes, type ModelFile, type Weights } from 'ssmc';
// Reading model files is Node-only, so it is not in the browser-safe entry point.
import { loadModelSource } from '../src/model-source.js';
import { lraCifarConfig } from './lra-cifar.js';

export interface CompileJob {
  /** A model file, a model file's path relative to the repository root (weights included), or the LRA-CIFAR model. */
  model: { file: ModelFile } | { path: string } | 'lra-cifar';
  seqLen: number | null;
  /** conv by default. */
  mode?: 'conv' | 'step' | 'prefill';
  /**
   * A model file's parameters as a checkpoint whose (A, P) copies all differ, as training leaves
   * them (a fresh S4 DPLR model's copies are one HiPPO matrix, which its compile-time math shares):
   * the fresh values with every copy's A_real scaled by 1 + 10⁻³·copy.
   */
  distinctCopies?: boolean;
}

export interface CompileMeasure {
  wall_ms: number;
  /** CPU time of the process (all its threads), user and system: less sensitive than wall time to other work on the machine. */
  cpu_ms: number;
  peak_rss_mb: number;
  onnx_mb: number;
  lowerings: string[];
  /** What the compile's budget check estimated before it started (src/budget.ts), to set beside the measures; absent from older builds. */
  estimate?: { seconds: number; mb: number };
}

function source(job: CompileJob): { file: ModelFile; weights: Weights | null } {
  if (job.model === 'lra-cifar') return { file: lraCifarConfig(), weights: null };
  if ('file' in job.model) return { file: job.model.file, weights: job.distinctCopies ? distinctCopies(job.model.file) : null };
  const src = loadModelSource(fileURLToPath(new URL(`../../${job.model.path}`, import.meta.url)), undefined);
  return { file: src.file, weights: src.weights };
}

function distinctCopies(file: ModelFile): Weights {
  const tensors = initialWeights(file);
  for (const [name, t] of tensors) {
    if (!name.endsWith('A_real')) continue;
    const data = Float32Array.from(t.data as Float32Array);
    const perCopy = data.length / t.dims[0]!;
    for (let i = 0; i < data.length; i++) data[i]! *= 1 + 1e-3 * Math.floor(i / perCopy);
    tensors.set(name, { ...t, data });
  }
  return { tensors, source: 'fresh parameters, copies made distinct' };
}

function main(): void {
  const job = JSON.parse(process.argv[2]!) as CompileJob;
  const { file, weights } = source(job);
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  const compiled = compileModel(file, weights, { seqLen: job.seqLen, opset: 17, threads: 1, mode: job.mode ?? 'conv' });
  const bytes = modelToBytes(compiled.model);
  const wall = performance.now() - t0, cpu = process.cpuUsage(cpu0);
  const out: CompileMeasure = {
    wall_ms: +wall.toFixed(0), cpu_ms: +((cpu.user + cpu.system) / 1000).toFixed(0),
    peak_rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(0), onnx_mb: +(bytes.length / 2 ** 20).toFixed(1),
    lowerings: [...new Set(compiled.decisions.map((d) => d.lowering))],
    estimate: {
      seconds: +compiled.costs.reduce((n, c) => n + c.seconds, 0).toFixed(2),
      mb: +(compiled.costs.reduce((n, c) => n + c.bytes, 0) / 2 ** 20).toFixed(0),
    },
  };
  console.log(JSON.stringify(out));
}

main();
