/**
 * Causal self-attention's forms head to head (issue 15), 8 heads of 32 over q, k, v [1, L, 256],
 * onnxruntime-node CPU, one thread, each form in a fresh process (bench/attention-one.ts) so its
 * peak resident size is its own:
 *  - ssmc's MatMul / Softmax lowering with the scores of one head at a time (the default for full
 *    attention) and of every head batched (the default for chunk-local attention);
 *  - ONNX's `Attention` (opset 23) and onnxruntime's `com.microsoft.MultiHeadAttention`, on all
 *    heads at once and one head at a time;
 * at a fixed length and a dynamic one (run at the same length), full attention at L = 4096 and the
 * one-head-at-a-time forms at 8192 (the batched ones would need 4× their 4096 memory), and
 * chunk-local (512) attention at 4096 in both MatMul forms. The forms run in rounds, one of each
 * per round, and each row is the median over rounds: the machines are noisy, read the ratios.
 * Part of `npm run bench`; `node dist/bench/attention-forms.js [--quick]` runs it alone.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Progress } from 'ssmc';
import type { AttentionForm, AttentionJob, AttentionMeasure } from './attention-one.js';
import { printWhenMain } from './standalone.js';
import { median } from './timing.js';

const LABELS: Record<AttentionForm, string> = {
  'matmul-per-head': 'MatMul/Softmax, one head at a time',
  'matmul-batched': 'MatMul/Softmax, heads batched',
  'onnx-attention': 'ONNX Attention (opset 23), heads batched',
  'onnx-attention-per-head': 'ONNX Attention (opset 23), one head at a time',
  'ms-mha': 'com.microsoft.MultiHeadAttention, heads batched',
  'ms-mha-per-head': 'com.microsoft.MultiHeadAttention, one head at a time',
};
const ALL: AttentionForm[] = ['matmul-per-head', 'matmul-batched', 'onnx-attention', 'onnx-attention-per-head', 'ms-mha', 'ms-mha-per-head'];
const PER_HEAD: AttentionForm[] = ['matmul-per-head', 'onnx-attention-per-head', 'ms-mha-per-head'];

interface Group {
  name: string;
  jobs: AttentionJob[];
  quick?: boolean;
}

const GROUPS: Group[] = [
  { name: 'full, L = 4096 fixed', quick: true, jobs: ALL.map((form) => ({ form, seqLen: 4096, runLength: 4096, chunk: 0 })) },
  { name: 'full, dynamic L (run at 4096)', jobs: ALL.map((form) => ({ form, seqLen: null, runLength: 4096, chunk: 0 })) },
  { name: 'full, L = 8192 fixed', jobs: PER_HEAD.map((form) => ({ form, seqLen: 8192, runLength: 8192, chunk: 0 })) },
  { name: 'chunk-local 512, L = 4096 fixed', quick: true, jobs: (['matmul-batched', 'matmul-per-head'] as const).map((form) => ({ form, seqLen: 4096, runLength: 4096, chunk: 512 })) },
];

function measure(job: AttentionJob): AttentionMeasure | string {
  const script = fileURLToPath(new URL('./attention-one.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return (r.stderr || String(r.error)).trim().split('\n').slice(-2).join(' ');
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as AttentionMeasure;
}

export async function benchAttentionForms(opts: { quick?: boolean; progress?: Progress } = {}): Promise<{ table: string; json: unknown }> {
  const progress = opts.progress ?? Progress.none;
  const rounds = opts.quick ? 1 : 3;
  const load = loadavg()[0]!;
  const groups = GROUPS.filter((g) => !opts.quick || g.quick);
  const runs = new Map<AttentionJob, (AttentionMeasure | string)[]>(groups.flatMap((g) => g.jobs.map((j) => [j, []] as const)));
  for (let r = 0; r < rounds; r++) {
    for (const g of groups) {
      for (const job of g.jobs) runs.get(job)!.push(progress.run(`round ${r + 1}/${rounds}: ${g.name}, ${LABELS[job.form]}`, () => measure(job)));
    }
  }
  const rows = groups.flatMap((g) => {
    type Row = { group: string; form: AttentionForm; error?: string; ms?: number; peak_extra_mb?: number; nodes?: number };
    const summary = g.jobs.map((job): Row => {
      const ok = runs.get(job)!.filter((m): m is AttentionMeasure => typeof m !== 'string');
      const error = runs.get(job)!.find((m): m is string => typeof m === 'string');
      return ok.length === 0
        ? { group: g.name, form: job.form, error: error ?? 'no run' }
        : { group: g.name, form: job.form, ms: median(ok.map((m) => m.ms)), peak_extra_mb: median(ok.map((m) => m.peak_extra_mb)), nodes: ok[0]!.nodes };
    });
    const base = summary[0]?.ms;
    return summary.map((s) => ({ ...s, vs_first: s.ms !== undefined && base !== undefined ? +(s.ms / base).toFixed(2) : null }));
  });
  const lines = [
    `8 heads of 32, q, k, v [1, L, 256] in, y [1, L, 256] out; onnxruntime-node CPU, 1 thread, fresh process per form, median of ${rounds} round(s); load average ${load.toFixed(1)} at the start; peak memory: the resident size's rise during the first run`,
    '',
    '| case | form | nodes | time | vs the group\'s first | peak memory |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => (r.error !== undefined
      ? `| ${r.group} | ${LABELS[r.form]} | | failed: ${r.error} | | |`
      : `| ${r.group} | ${LABELS[r.form]} | ${r.nodes} | ${r.ms!.toFixed(0)} ms | ${r.vs_first!.toFixed(2)}× | ${r.peak_extra_mb} MB |`)),
  ];
  return { table: lines.join('\n'), json: { bench: 'attention-forms', runtime: 'onnxruntime-node cpu', threads: 1, rounds, load_average: +load.toFixed(2), rows } };
}

printWhenMain(import.meta.url, (progress) => benchAttentionForms({ quick: process.argv.includes('--quick'), progress }));
