/**
 * A load run of `ssmc serve` on the bundled gss-code model, loopback only: 1, 8 and 32
 * concurrent greedy streams of /v1/completions, each client reading its server-sent events as
 * they come. Reports aggregate tokens/s, per-token latency (the gap between a stream's
 * consecutive tokens at the client) p50/p99, time to first token, and the server's own step
 * time and batch size from /metrics — against the target of ≥ 10× the single-stream tokens/s at
 * 32 streams with p99 per-token latency under 25 ms. The server runs in its own process (as a
 * user runs it); the machine's load average is printed beside the figures, since it is shared.
 * Part of `npm run bench` (bench/main.ts); `node dist/bench/serve-load.js [--quick]` runs it alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Progress } from 'ssmc';
import { printWhenMain } from './standalone.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const DIR = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));
const LEVELS = [1, 8, 32];

export interface ServeLoadOptions {
  quick?: boolean;
  /** onnxruntime threads of the server's engine (each row of the table runs a server of its own). */
  threads?: number[];
  /** Each load level is a task of this progress. */
  progress?: Progress;
}

interface LevelResult {
  threads: number;
  streams: number;
  tokens: number;
  seconds: number;
  tokens_per_s: number;
  p50_ms: number;
  p99_ms: number;
  ttft_p50_ms: number;
  server_step_ms: number;
  server_batch: number;
  load_avg: number;
}

export async function benchServeLoad(opts: ServeLoadOptions = {}): Promise<{ table: string; json: unknown }> {
  const quick = opts.quick ?? false;
  const tokensPerRequest = quick ? 48 : 128;
  const rows: LevelResult[] = [];
  const progress = opts.progress ?? Progress.none;
  for (const threads of opts.threads ?? [1, 2]) {
    const server = await progress.run(`start server (${threads} engine thread${threads > 1 ? 's' : ''})`, () => startServer(threads));
    try {
      // Warm-up: the first batch-32 steps grow onnxruntime's arena.
      await progress.run('warm-up', () => Promise.all(prompts(32).map((p) => stream(server.url, p, 16))));
      for (const streams of LEVELS) await progress.run(`threads ${threads}, ${streams} streams`, async (task) => {
        // Each client runs requests back to back; about the same number of tokens per level.
        const rounds = Math.max(1, Math.round((quick ? 2 : 4) * (8 / Math.max(streams, 8))));
        const before = await stepMetrics(server.url);
        const load = loadavg()[0]!;
        const t0 = performance.now();
        const results = await Promise.all(prompts(streams).map(async (prompt) => {
          const all: StreamTimes[] = [];
          for (let r = 0; r < rounds; r++) all.push(await stream(server.url, `${prompt}${r}`, tokensPerRequest));
          return all;
        }));
        const seconds = (performance.now() - t0) / 1000;
        const after = await stepMetrics(server.url);
        const flat = results.flat();
        const tokens = flat.reduce((n, s) => n + s.times.length, 0);
        const gaps = flat.flatMap((s) => s.times.slice(1).map((t, i) => t - s.times[i]!));
        const ttft = flat.map((s) => s.times[0]! - s.start);
        const steps = after.count - before.count;
        rows.push({
          threads, streams, tokens, seconds: +seconds.toFixed(2), tokens_per_s: +(tokens / seconds).toFixed(0),
          p50_ms: +quantile(gaps, 0.5).toFixed(2), p99_ms: +quantile(gaps, 0.99).toFixed(2), ttft_p50_ms: +quantile(ttft, 0.5).toFixed(1),
          server_step_ms: +((1000 * (after.sum - before.sum)) / Math.max(steps, 1)).toFixed(2),
          server_batch: +((after.batchSum - before.batchSum) / Math.max(steps, 1)).toFixed(1),
          load_avg: +((load + loadavg()[0]!) / 2).toFixed(2),
        });
        task.detail(`${rows[rows.length - 1]!.tokens_per_s} tokens/s`);
      });
    } finally {
      await server.stop();
    }
  }

  const lines = [
    `gss-code, greedy streams of ${tokensPerRequest} tokens over loopback HTTP (SSE); per-token latency = gap between a stream's tokens at the client`,
    '| engine threads | streams | tokens/s | vs 1 stream | per-token p50 | p99 | first token p50 | server step (batch) | load avg |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const single = rows.find((x) => x.threads === r.threads && x.streams === 1)!;
    lines.push(`| ${r.threads} | ${r.streams} | ${r.tokens_per_s} | ${(r.tokens_per_s / single.tokens_per_s).toFixed(1)}× | ${r.p50_ms} ms | ${r.p99_ms} ms | ${r.ttft_p50_ms} ms | ${r.server_step_ms} ms (${r.server_batch}) | ${r.load_avg} |`);
  }
  const verdicts = [...new Set(rows.map((r) => r.threads))].map((t) => {
    const one = rows.find((r) => r.threads === t && r.streams === 1)!, many = rows.find((r) => r.threads === t && r.streams === 32)!;
    const ratio = many.tokens_per_s / one.tokens_per_s;
    return `threads ${t}: 32 streams give ${ratio.toFixed(1)}× the single-stream tokens/s (target ≥ 10×: ${ratio >= 10 ? 'met' : 'not met'}), p99 per-token ${many.p99_ms} ms (target < 25 ms: ${many.p99_ms < 25 ? 'met' : 'not met'})`;
  });
  lines.push('', ...verdicts);
  return { table: lines.join('\n'), json: { bench: 'serve-load', tokens_per_request: tokensPerRequest, rows } };
}

function prompts(n: number): string[] {
  const names = ['load', 'save', 'parse', 'run', 'build', 'check', 'read', 'write'];
  return Array.from({ length: n }, (_, i) => `def ${names[i % names.length]}_${i}(${'abc'.slice(0, 1 + (i % 3))}):\n    `);
}

interface StreamTimes {
  start: number;
  times: number[];
}

async function stream(url: string, prompt: string, maxTokens: number): Promise<StreamTimes> {
  const start = performance.now();
  const r = await fetch(`${url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, max_tokens: maxTokens, temperature: 0, stream: true, return_token_ids: true }),
  });
  if (r.status !== 200) throw new Error(`completion failed: ${r.status} ${await r.text()}`);
  const times: number[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const data = buf.slice(6, i);
      buf = buf.slice(i + 2);
      if (data === '[DONE]') continue;
      const ids = (JSON.parse(data) as { choices: { token_ids?: number[] }[] }).choices[0]?.token_ids ?? [];
      const now = performance.now();
      for (let k = 0; k < ids.length; k++) times.push(now);
    }
  }
  if (times.length !== maxTokens) throw new Error(`a stream ended after ${times.length} of ${maxTokens} tokens`);
  return { start, times };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

async function stepMetrics(url: string): Promise<{ sum: number; count: number; batchSum: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1] ?? 0);
  return { sum: value('ssmc_step_seconds_sum'), count: value('ssmc_step_seconds_count'), batchSum: value('ssmc_batch_size_sum') };
}

async function startServer(threads: number): Promise<{ url: string; stop(): Promise<void> }> {
  const proc: ChildProcess = spawn(process.execPath, [CLI, 'serve', `${DIR}model.json`, '--weights', `${DIR}gss_code.weights.safetensors`,
    '--name', 'gss-code', '--host', '127.0.0.1', '--port', '0', '--threads', String(threads), '--max-batch', '32', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`ssmc serve exited with ${code}: ${out}`)));
  });
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    }),
  };
}

printWhenMain(import.meta.url, (progress) => benchServeLoad({ quick: process.argv.includes('--quick'), progress }));
