/**
 * Compile time and peak memory per layer family and size (issue 16): each compile in a fresh
 * process (bench/compile-one.ts) so its peak resident size is its own, at a fixed length (kernels
 * folded into constants) and a dynamic one, with the lowering `auto` picks. Wall time and the
 * process's CPU time are both reported: on a shared machine wall time grows with the load, CPU
 * time much less. Part of `npm run bench`; `node dist/bench/compile-time.js [--quick]` runs it alone.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Progress } from 'ssmc';
import type { CompileJob, CompileMeasure } from './compile-one.js';
import { printWhenMain } from './standalone.js';

interface Case {
  family: string;
  size: string;
  model: CompileJob['model'];
  /** The issue's targets: wall seconds and, where it gives one, peak MB. */
  target?: { s: number; mb?: number };
  /** Part of the --quick run. */
  quick?: boolean;
}

const s4Block = (args: Record<string, unknown>) => ({ file: { arch: 's4-block', args: { transposed: false, ...args } } });

const CASES: Case[] = [
  {
    family: 'S4 DPLR layer', size: 'LRA-CIFAR: H=512, N=64, bidirectional', quick: true, target: { s: 1.5, mb: 500 },
    model: s4Block({ d_model: 512, d_state: 64, mode: 'dplr', init: 'legs', bidirectional: true }),
  },
  { family: 'S4 DPLR layer', size: 'H=256, N=64, causal', model: s4Block({ d_model: 256, d_state: 64, mode: 'dplr', init: 'legs' }) },
  { family: 'S4D layer', size: 'H=256, N=64', quick: true, model: s4Block({ d_model: 256, d_state: 64, mode: 'diag', init: 'diag-lin', disc: 'zoh' }) },
  { family: 'S4D model', size: 'example.py S4Model: 24 layers, d_model 256', target: { s: 1 }, model: { file: { arch: 's4-example', args: { d_input: 1, d_output: 10, d_model: 256, n_layers: 24 } } } },
  { family: 'S4 model', size: 'LRA-CIFAR: 6 layers, d_model 512, bidirectional DPLR', target: { s: 8 }, model: 'lra-cifar' },
  { family: 'GSS layer', size: 'E=512, F=2048, H=128, N=512', model: { file: { arch: 'gss', args: { dim: 512, dim_expansion_factor: 4, dss_kernel_H: 128, dss_kernel_N: 512 } } } },
  { family: 'GSS LM', size: 'gss-code: 6 layers, 4 M parameters (checkpoint)', model: { path: 'examples/gss-code/model.json' } },
];

const L = 1024;

function measure(job: CompileJob): CompileMeasure | string {
  const script = fileURLToPath(new URL('./compile-one.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return (r.stderr || String(r.error)).trim().split('\n').slice(-3).join(' ');
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as CompileMeasure;
}

/** `progress`: each compile is its task. */
export async function benchCompileTime(opts: { quick?: boolean; progress?: Progress } = {}): Promise<{ table: string; json: unknown }> {
  const progress = opts.progress ?? Progress.none;
  const load = loadavg()[0]!;
  const rows: (Omit<Case, 'model'> & { length: string; result: CompileMeasure | string })[] = [];
  for (const c of CASES) {
    if (opts.quick && !c.quick) continue;
    for (const seqLen of [L, null]) {
      const length = seqLen === null ? 'dynamic' : String(seqLen);
      const result = progress.run(`${c.family}, ${c.size}, L ${length}`, () => measure({ model: c.model, seqLen }));
      rows.push({ family: c.family, size: c.size, target: c.target, length, result });
    }
  }
  // Against wall time and, where the machine is shared, CPU time (what the wall time would be alone).
  const verdict = (r: CompileMeasure, t: Case['target']) => {
    if (!t) return '';
    const memory = t.mb === undefined || r.peak_rss_mb <= t.mb;
    const by = (ms: number) => (ms <= t.s * 1000 && memory ? 'met' : 'not met');
    return `≤ ${t.s} s${t.mb ? `, ≤ ${t.mb} MB` : ''}: ${by(r.wall_ms)} by wall time, ${by(r.cpu_ms)} by CPU time`;
  };
  const lines = [
    `Compile time (compileModel + serialising the model, fresh process each) and peak resident size; load average ${load.toFixed(1)} at the start (wall time grows with it, CPU time much less)`,
    '',
    '| family | size | L | lowering | wall | CPU | peak memory | .onnx | target |',
    '|---|---|---|---|---:|---:|---:|---:|---|',
    ...rows.map(({ family, size, length, target, result: r }) => (typeof r === 'string'
      ? `| ${family} | ${size} | ${length} | failed: ${r} | | | | | |`
      : `| ${family} | ${size} | ${length} | ${r.lowerings.join(', ')} | ${(r.wall_ms / 1000).toFixed(2)} s | ${(r.cpu_ms / 1000).toFixed(2)} s | ${r.peak_rss_mb} MB | ${r.onnx_mb} MB | ${verdict(r, target)} |`)),
  ];
  return {
    table: lines.join('\n'),
    json: { bench: 'compile-time', load_average: +load.toFixed(2), rows: rows.map(({ family, size, length, target, result }) => ({ family, size, length, target: target ?? null, ...(typeof result === 'string' ? { error: result } : result) })) },
  };
}

printWhenMain(import.meta.url, (progress) => benchCompileTime({ quick: process.argv.includes('--quick'), progress }));
