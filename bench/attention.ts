/**
 * Attention beside state spaces, in one run (the machines are noisy: read the ratios):
 *  - conv mode at L = 4096: a gss-hybrid-lm (4 GSS layers of gss-code's proportions, an attention
 *    block after every second one) with chunk-local attention (chunks of 512, the paper's) and with
 *    full causal attention, against the pure GSS LM of the same GSS layers: the attention blocks'
 *    share of the time is 1 − pure / hybrid (the blocks' attention, MLP and norms);
 *  - generation: per-token latency of the same models' step graphs (chunk-local: a cache of one
 *    chunk; full: 4096 slots) against the pure GSS LM's, timed around position 1024, the states
 *    written into two alternating sets of buffers as the serving batcher does (StateBuffers).
 * Random weights (the timing does not depend on them). Part of `npm run bench` (bench/main.ts);
 * `node dist/bench/attention.js` runs it alone.
 */
import { compileModel, modelToBytes, readStates, runSteps, StateBuffers, zeroStates, type ModelFile } from 'ssmc';
import { i64 } from 'ssmc/ir';
import { createSession, nodeBackend } from 'ssmc/runtime';
import { median, timeSession, tokenAt } from './timing.js';
import { printWhenMain } from './standalone.js';

const THREADS = Number(process.env.SSMC_BENCH_THREADS ?? 1);
const L = 4096;
const GSS = { num_tokens: 256, dim: 256, depth: 4, dss_kernel_N: 256, dss_kernel_H: 64, dim_expansion_factor: 4 };
const MODELS: [string, ModelFile][] = [
  ['pure GSS (gss-lm)', { arch: 'gss-lm', args: GSS, seed: 1 } as ModelFile],
  ['hybrid, chunk 512', { arch: 'gss-hybrid-lm', args: { ...GSS, attn_every: 2, attn_heads: 8, attn_chunk: 512 }, seed: 1 } as ModelFile],
  ['hybrid, full attention', { arch: 'gss-hybrid-lm', args: { ...GSS, attn_every: 2, attn_heads: 8, attn_chunk: 0 }, seed: 1 } as ModelFile],
];

/** Median of five conv-graph runs after a warm-up (the shared timer, bench/timing.ts). */
function convMs(file: ModelFile, tokens: number[]): Promise<number> {
  const bytes = modelToBytes(compileModel(file, null, { seqLen: null, opset: 17 }).model);
  return timeSession(nodeBackend, bytes, new Map([['input', i64(tokens, [1, L])]]), THREADS, { repeats: 5, minRuns: 5, budgetMs: Infinity });
}

async function stepMs(file: ModelFile, tokens: number[], around: number): Promise<number> {
  const model = compileModel(file, null, { seqLen: null, opset: 17, mode: 'step', kvCache: L }).model;
  const specs = readStates(model);
  const session = await createSession(modelToBytes(model), { threads: THREADS });
  let states = zeroStates(specs, 1);
  const buffers = new StateBuffers(specs); // as the serving batcher runs: new states written in place of the step before last's
  const times: number[] = [];
  for (let t = 0; t < around + 64; t++) {
    const t0 = performance.now();
    states = (await runSteps(session, specs, 1, () => i64([tokens[t]!], [1]), states, buffers)).states;
    if (t >= around) times.push(performance.now() - t0);
  }
  await session.release();
  return median(times);
}

export async function benchAttention(): Promise<{ table: string; json: unknown }> {
  const tokens = Array.from({ length: L }, (_, i) => tokenAt(i));
  const rows: { model: string; conv_ms: number; step_ms: number }[] = [];
  for (const [name, file] of MODELS) rows.push({ model: name, conv_ms: +(await convMs(file, tokens)).toFixed(2), step_ms: +(await stepMs(file, tokens, 1024)).toFixed(3) });
  const pure = rows[0]!;
  const lines = [
    `4 GSS layers (E=256, H=64, N=256, F=1024) as gss-code's; hybrids add an attention block (8 heads, MLP 4×) after layers 1 and 3; random weights; onnxruntime-node CPU, ${THREADS} thread(s); medians`,
    `| model | conv L=${L} | attention blocks' share of conv time | per token (step, around position 1024) | vs pure GSS |`,
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.model} | ${r.conv_ms.toFixed(1)} ms | ${r === pure ? '—' : `${(100 * (1 - pure.conv_ms / r.conv_ms)).toFixed(0)} %`} | ${r.step_ms.toFixed(3)} ms | ${(r.step_ms / pure.step_ms).toFixed(2)}× |`),
  ];
  return { table: lines.join('\n'), json: { bench: 'attention', runtime: 'onnxruntime-node cpu', threads: THREADS, length: L, rows } };
}

printWhenMain(import.meta.url, benchAttention);
