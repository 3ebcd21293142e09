/**
 * A whole official S4 model: the LRA-CIFAR configuration of state-spaces/s4
 * (configs/experiment/lra/s4-cifar.yaml: 6 residual blocks of d_model 512, bidirectional S4 with
 * HiPPO-LegS, d_state 64, batch norm after the residual, linear encoder from one grayscale channel,
 * mean-pool decoder to 10 classes) on sequences of 1024 positions, batch 1. ssmc: the compile time
 * of its conv graph (fixed and dynamic length) and its latency in onnxruntime-node; PyTorch eager:
 * the same model built by the official code (bench/torch_whole_reference.py, when SSMC_S4_REPO
 * points at a state-spaces/s4 checkout and python3 has torch) on the same threads, with its SSM
 * kernels recomputed every forward (as the official module does) and cached. Part of
 * `npm run bench`; `node dist/bench/whole-model.js` runs it alone.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { f32 } from 'ssmc/ir';
import { compileModel, modelToBytes, Progress, readMetadata, Rng } from 'ssmc';
import { nodeBackend } from 'ssmc/runtime';
import { lraCifarConfig } from './lra-cifar.js';
import { printWhenMain } from './standalone.js';
import { timeSession } from './timing.js';

const L = 1024;
const PYTHONS = ['python3', '/usr/bin/python3'];

interface TorchResult {
  ms: number;
  ms_cached_kernels: number;
  params: number;
  torch: string;
  blas: string;
  config: { model: Record<string, unknown> };
}

function torchWhole(threads: number, reps: number): TorchResult | string {
  if (!process.env.SSMC_S4_REPO) return 'SSMC_S4_REPO is not set (a state-spaces/s4 checkout at e757cef; tools/reference/README.md)';
  const script = fileURLToPath(new URL('../../bench/torch_whole_reference.py', import.meta.url));
  const pools = String(threads);
  const env = { ...process.env, OMP_NUM_THREADS: pools, OPENBLAS_NUM_THREADS: pools, MKL_NUM_THREADS: pools };
  let why = 'python3 with torch not found';
  for (const python of PYTHONS) {
    const r = spawnSync(python, [script], { input: JSON.stringify({ threads, reps, L }), encoding: 'utf8', maxBuffer: 1 << 24, env });
    if (r.status === 0) return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TorchResult;
    why = `${python}: ${(r.stderr || String(r.error)).trim().split('\n').at(-1)}`;
  }
  return why;
}

/** `progress`: each compile, each thread count's timing and the PyTorch run are its tasks. */
export async function benchWholeModel(opts: { quick?: boolean; progress?: Progress } = {}): Promise<{ table: string; json: unknown }> {
  const progress = opts.progress ?? Progress.none;
  const file = lraCifarConfig();
  const threadCounts = opts.quick ? [1] : [1, 2];
  const t0 = performance.now();
  const fixed = progress.run(`compile at fixed L=${L}`, (task) => compileModel(file, null, { seqLen: L, opset: 17, threads: 1, progress: task.progress }));
  const compileFixed = performance.now() - t0;
  const t1 = performance.now();
  const dynamic = progress.run('compile at dynamic length', (task) => compileModel(file, null, { seqLen: null, opset: 17, threads: 1, progress: task.progress }));
  const compileDynamic = performance.now() - t1;
  const params = readMetadata(fixed.model).meta.parameters?.count ?? 0;
  const rng = new Rng(0);
  const x = f32(Array.from({ length: L }, () => rng.normal()), [1, L, 1]);
  const feeds = new Map([['input', x]]);
  const fixedBytes = modelToBytes(fixed.model), dynamicBytes = modelToBytes(dynamic.model);
  const rows: { threads: number; ssmc_fixed_ms: number; ssmc_dynamic_ms: number; torch_ms: number | null; torch_cached_kernels_ms: number | null }[] = [];
  let torchNote = '';
  let torchConfigSame: boolean | null = null;
  for (const threads of threadCounts) {
    const plan = { repeats: opts.quick ? 5 : 15, minRuns: 3, budgetMs: 20_000 };
    const [a, b] = await progress.run(`ssmc ${threads}t`, async (task) => {
      const a = await timeSession(nodeBackend, fixedBytes, feeds, threads, plan);
      const b = await timeSession(nodeBackend, dynamicBytes, feeds, threads, plan);
      task.detail(`${a.toFixed(1)} ms (fixed), ${b.toFixed(1)} ms (dynamic)`);
      return [a, b];
    });
    const t = progress.run(`PyTorch eager ${threads}t`, (task) => {
      const t = torchWhole(threads, opts.quick ? 2 : 3);
      task.detail(typeof t === 'string' ? 'failed' : `${t.ms.toFixed(1)} ms`);
      return t;
    });
    if (typeof t === 'string') torchNote = t;
    else {
      torchNote = `PyTorch ${t.torch}, BLAS ${t.blas}, ${(t.params / 1e6).toFixed(2)} M parameters`;
      const ours = file.args.model as Record<string, unknown>, theirs = t.config.model;
      torchConfigSame = ['d_model', 'n_layers', 'prenorm', 'norm', 'residual', 'bidirectional'].every((k) => JSON.stringify(ours[k]) === JSON.stringify(theirs[k]))
        && JSON.stringify((ours.layer as Record<string, unknown>).d_state) === JSON.stringify((theirs.layer as Record<string, unknown>).d_state);
    }
    rows.push({
      threads, ssmc_fixed_ms: +a.toFixed(2), ssmc_dynamic_ms: +b.toFixed(2),
      torch_ms: typeof t === 'string' ? null : +t.ms.toFixed(1), torch_cached_kernels_ms: typeof t === 'string' ? null : +t.ms_cached_kernels.toFixed(1),
    });
  }
  const ratio = (t: number | null, s: number) => (t === null ? 'n/a' : `${(t / s).toFixed(1)}×`);
  const lines = [
    `LRA-CIFAR S4 (6 × d_model 512, bidirectional S4-LegS d_state 64, batch norm), batch 1, L = ${L}, ${(params / 1e6).toFixed(2)} M parameters`,
    `compile: ${(compileFixed / 1000).toFixed(1)} s at fixed length (kernels folded), ${(compileDynamic / 1000).toFixed(1)} s dynamic; long convolutions: ${[...new Set(fixed.decisions.map((d) => d.lowering))].join(', ')} (auto)`,
    '',
    '| threads | ssmc fixed L | ssmc dynamic L | PyTorch eager | PyTorch, kernels cached | eager / ssmc fixed |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.threads} | ${r.ssmc_fixed_ms} ms | ${r.ssmc_dynamic_ms} ms | ${r.torch_ms ?? 'n/a'}${r.torch_ms === null ? '' : ' ms'} | ${r.torch_cached_kernels_ms ?? 'n/a'}${r.torch_cached_kernels_ms === null ? '' : ' ms'} | ${ratio(r.torch_ms, r.ssmc_fixed_ms)} |`),
    '',
    `PyTorch: ${torchNote}${torchConfigSame === false ? ' — WARNING: its config differs from the one ssmc compiled' : torchConfigSame ? ' (the same config)' : ''}`,
  ];
  return {
    table: lines.join('\n'),
    json: { bench: 'whole-model', model: 'lra/s4-cifar', L, batch: 1, params, compile_fixed_s: +(compileFixed / 1000).toFixed(2), compile_dynamic_s: +(compileDynamic / 1000).toFixed(2), lowerings: fixed.decisions.map((d) => d.lowering), rows, torch: torchNote },
  };
}

printWhenMain(import.meta.url, (progress) => benchWholeModel({ progress }));
