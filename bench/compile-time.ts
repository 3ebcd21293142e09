/**
 * Compile time and peak memory per layer family and size (issue 16): each compile in a fresh
 * process (bench/compile-one.ts) so its peak resident size is its own, at a fixed length (kernels
 * folded into constants) and a dynamic one, with the lowering `auto` picks. Wall time and the
 * process's CPU time are both reported: on a shared machine wall time grows with the load, CPU
 * time much less. Beside each, what the compile's budget check estimated before it started
 * (src/budget.ts, s4-dplr-cost.ts): the estimate is meant to be above the measure, within a few
 * times. Part of `npm run bench`; `node dist/bench/compile-time.js [--quick] [--baseline DIR]`
 * runs it alone, and with `--baseline` also runs every case on another build (DIR: a checkout
 * with dist/ built, e.g. main) in the same run, alternating, for before/after ratios.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Progress } from 'ssmc';
import type { CompileJob, CompileMeasure } from './compile-one.js';
import { printWhenMain } from './standalone.js';

interface Case {
  family: string;
  size: string;
  model: CompileJob['model'];
  /** The lengths compiled for (default: L and dynamic). */
  lengths?: (number | null)[];
  mode?: CompileJob['mode'];
  distinctCopies?: boolean;
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
  {
    family: 'S4 DPLR layer', size: 'H=256, N=64, causal, checkpoint whose copies differ (dense per feature)', distinctCopies: true,
    model: s4Block({ d_model: 256, d_state: 64, mode: 'dplr', init: 'legs' }),
  },
  { family: 'S4 DPLR layer', size: 'H=64, N=128, causal', lengths: [4096], model: s4Block({ d_model: 64, d_state: 128, mode: 'dplr', init: 'legs' }) },
  { family: 'S4 DPLR layer', size: 'H=32, N=256, causal', lengths: [1024, 16384], model: s4Block({ d_model: 32, d_state: 256, mode: 'dplr', init: 'legs' }) },
  { family: 'S4 DPLR step graph', size: 'H=256, N=64', mode: 'step', lengths: [null], model: s4Block({ d_model: 256, d_state: 64, mode: 'dplr', init: 'legs' }) },
  { family: 'S4D layer', size: 'H=256, N=64', quick: true, model: s4Block({ d_model: 256, d_state: 64, mode: 'diag', init: 'diag-lin', disc: 'zoh' }) },
  { family: 'S4D model', size: 'example.py S4Model: 24 layers, d_model 256', target: { s: 1 }, model: { file: { arch: 's4-example', args: { d_input: 1, d_output: 10, d_model: 256, n_layers: 24 } } } },
  { family: 'S4 model', size: 'LRA-CIFAR: 6 layers, d_model 512, bidirectional DPLR', target: { s: 8 }, model: 'lra-cifar' },
  { family: 'GSS layer', size: 'E=512, F=2048, H=128, N=512', model: { file: { arch: 'gss', args: { dim: 512, dim_expansion_factor: 4, dss_kernel_H: 128, dss_kernel_N: 512 } } } },
  { family: 'GSS LM', size: 'gss-code: 6 layers, 4 M parameters (checkpoint)', model: { path: 'examples/gss-code/model.json' } },
];

const L = 1024;

function measure(job: CompileJob, root?: string): CompileMeasure | string {
  const script = root ? join(root, 'dist/bench/compile-one.js') : fileURLToPath(new URL('./compile-one.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    // The error's message (a budget refusal says what it estimated), not the stack under it.
    const lines = (r.stderr || String(r.error)).trim().split('\n');
    return (lines.find((l) => /Error: /.test(l)) ?? lines.at(-1)!).replace(/^.*?Error: /, '').slice(0, 200);
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as CompileMeasure;
}

type Row = Omit<Case, 'model'> & { length: string; result: CompileMeasure | string; baseline: CompileMeasure | string | null };

/**
 * `progress`: each compile is its task. `baseline`: a checkout whose dist/bench/compile-one.js
 * compiles every case too (a build without a job's `mode` or `distinctCopies` would compile
 * something else: those rows have no baseline).
 */
export async function benchCompileTime(opts: { quick?: boolean; progress?: Progress; baseline?: string } = {}): Promise<{ table: string; json: unknown }> {
  const progress = opts.progress ?? Progress.none;
  const load = loadavg()[0]!;
  const rows: Row[] = [];
  for (const c of CASES) {
    if (opts.quick && !c.quick) continue;
    for (const seqLen of c.lengths ?? [L, null]) {
      const length = seqLen === null ? 'dynamic' : String(seqLen);
      const job: CompileJob = { model: c.model, seqLen, ...(c.mode ? { mode: c.mode } : {}), ...(c.distinctCopies ? { distinctCopies: true } : {}) };
      const comparable = opts.baseline !== undefined && !c.mode && !c.distinctCopies;
      const result = progress.run(`${c.family}, ${c.size}, L ${length}`, () => measure(job));
      const baseline = comparable ? progress.run(`${c.family}, ${c.size}, L ${length} (baseline)`, () => measure(job, opts.baseline)) : null;
      const { model: _model, ...info } = c;
      rows.push({ ...info, length, result, baseline });
    }
  }
  // Against wall time and, where the machine is shared, CPU time (what the wall time would be alone).
  const verdict = (r: CompileMeasure, t: Case['target']) => {
    if (!t) return '';
    const memory = t.mb === undefined || r.peak_rss_mb <= t.mb;
    const by = (ms: number) => (ms <= t.s * 1000 && memory ? 'met' : 'not met');
    return `≤ ${t.s} s${t.mb ? `, ≤ ${t.mb} MB` : ''}: ${by(r.wall_ms)} by wall time, ${by(r.cpu_ms)} by CPU time`;
  };
  const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  // Older builds report no estimate.
  const estimate = (r: CompileMeasure) => (r.estimate ? `${r.estimate.seconds.toFixed(2)} s, ${r.estimate.mb} MB` : '');
  const base = (b: Row['baseline'], r: CompileMeasure | null): string[] => {
    if (!opts.baseline) return [];
    if (b === null) return ['', ''];
    if (typeof b === 'string') return [`failed: ${b}`, ''];
    return [`${secs(b.wall_ms)}, ${secs(b.cpu_ms)} CPU, ${b.peak_rss_mb} MB`, r ? `${(b.cpu_ms / r.cpu_ms).toFixed(1)}×` : ''];
  };
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    `Compile time (compileModel + serialising the model, fresh process each) and peak resident size; load average ${load.toFixed(1)} at the start (wall time grows with it, CPU time much less); the estimate is the budget check's, made before the compile starts`,
    '',
    row(['family', 'size', 'L', 'lowering', 'wall', 'CPU', 'peak memory', '.onnx', 'estimate', ...(opts.baseline ? ['baseline', 'CPU: baseline / this'] : []), 'target']),
    row(['---', '---', '---', '---', '---:', '---:', '---:', '---:', '---:', ...(opts.baseline ? ['---:', '---:'] : []), '---']),
    ...rows.map((w) => {
      const r = w.result, head = [w.family, `${w.size}${w.mode ? ` (${w.mode})` : ''}`, w.length];
      return typeof r === 'string'
        ? row([...head, `failed: ${r}`, '', '', '', '', '', ...base(w.baseline, null), ''])
        : row([...head, r.lowerings.join(', ') || '—', secs(r.wall_ms), secs(r.cpu_ms), `${r.peak_rss_mb} MB`, `${r.onnx_mb} MB`, estimate(r), ...base(w.baseline, r), verdict(r, w.target)]);
    }),
  ];
  return {
    table: lines.join('\n'),
    json: {
      bench: 'compile-time', load_average: +load.toFixed(2), baseline: opts.baseline ?? null,
      rows: rows.map(({ result, baseline, target, ...row }) => ({ ...row, target: target ?? null, ...(typeof result === 'string' ? { error: result } : result), ...(baseline === null ? {} : { baseline }) })),
    },
  };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

printWhenMain(import.meta.url, (progress) => benchCompileTime({ quick: process.argv.includes('--quick'), progress, baseline: argValue('--baseline') }));
