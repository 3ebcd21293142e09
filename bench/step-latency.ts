/**
 * Per-token latency of the gss-code step graph with each state layout (src/state-layout.ts): the
 * interleaved [batch, H, N, 2] states of the former step graphs, updated through their split
 * (re, im) parts, against the planar [batch, H, 2, N] states updated as whole tensors — in one
 * run, alternating the two every iteration (the machines are noisy: read the ratios). Batch 1 is
 * a user's generation, batch 32 the serving engine's full batch; wall and CPU time (the process's:
 * one thread's work, far less disturbed by other work on the machine). Also: nodes per graph and per
 * GSS layer, and each graph's error against the float64 reference interpreter over the same
 * tokens. Part of `npm run bench` (bench/main.ts); `node dist/bench/step-latency.js` runs it alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildModel, compareToReference, compileModel, modelToBytes, parseModelFile, readSafetensors, readStates, runSteps, type StateLayout, zeroStates } from 'ssmc';
import { evaluateModel, fromTensor, i64 } from 'ssmc/ir';
import { createSession } from 'ssmc/runtime';
import { median, tokenAt } from './timing.js';
import { printWhenMain } from './standalone.js';

const DIR = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));
const THREADS = Number(process.env.SSMC_BENCH_THREADS ?? 1);
const LAYOUTS: StateLayout[] = ['interleaved', 'planar'];
/** Tokens stepped for the error against float64 (the reference interpreter runs the conv graph over them). */
const CHECK_TOKENS = 32;

interface Row { layout: StateLayout; nodes: number; layer_nodes: number; max_abs_err_vs_f64: number; batch1_ms: number; batch32_ms: number; batch1_cpu_ms: number; batch32_cpu_ms: number }

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

export async function benchStepLatency(opts: { quick?: boolean } = {}): Promise<{ table: string; json: unknown }> {
  const file = parseModelFile(readFileSync(`${DIR}model.json`, 'utf8'), 'model.json');
  const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(`${DIR}gss_code.weights.safetensors`))), source: 'gss-code' };
  const tokens = Array.from({ length: CHECK_TOKENS }, (_, i) => tokenAt(i));
  const reference = evaluateModel(buildModel(file, weights, { seqLen: null, opset: 17 }).model, { input: fromTensor(i64(tokens, [1, tokens.length])) }).get('output')!.data;

  const graphs = await Promise.all(LAYOUTS.map(async (layout) => {
    const model = compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step', stateLayout: layout }).model;
    const specs = readStates(model);
    const session = await createSession(modelToBytes(model), { threads: THREADS });
    // One more layer adds exactly one layer's nodes (fresh weights: the structure is the same).
    const depth = (d: number) => compileModel({ ...file, args: { ...file.args, depth: d } }, null, { seqLen: null, opset: 17, mode: 'step', stateLayout: layout }).model.graph.nodes.length;
    const perLayer = depth(2) - depth(1);
    const { outputs } = await runSteps(session, specs, tokens.length, (t) => i64([tokens[t]!], [1]), zeroStates(specs, 1));
    const stepped = outputs.flatMap((o) => [...(o.data as Float32Array)]);
    const err = compareToReference(stepped, reference).maxAbs;
    return { layout, model, specs, session, perLayer, err };
  }));

  const times = new Map<string, number[]>();
  // The process's CPU time per step as well: one thread's work, which other work on a shared
  // machine disturbs far less than the wall clock.
  const cpu = new Map<string, number[]>();
  for (const batch of [1, 32]) {
    const runs = batch === 1 ? (opts.quick ? 100 : 400) : (opts.quick ? 10 : 40);
    const feeds = graphs.map((g) => new Map([['input', i64(Array.from({ length: batch }, (_, i) => tokens[i % tokens.length]!), [batch])], ...zeroStates(g.specs, batch)]));
    for (const g of graphs) await g.session.run(feeds[graphs.indexOf(g)]!); // warm-up
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < graphs.length; i++) {
        const c0 = process.cpuUsage(), t0 = performance.now();
        await graphs[i]!.session.run(feeds[i]!);
        const wall = performance.now() - t0, c = process.cpuUsage(c0);
        const key = `${graphs[i]!.layout}@${batch}`;
        times.set(key, [...(times.get(key) ?? []), wall]);
        cpu.set(key, [...(cpu.get(key) ?? []), (c.user + c.system) / 1000]);
      }
    }
  }
  for (const g of graphs) await g.session.release();

  const rows: Row[] = graphs.map((g) => ({
    layout: g.layout, nodes: g.model.graph.nodes.length, layer_nodes: g.perLayer, max_abs_err_vs_f64: g.err,
    batch1_ms: +median(times.get(`${g.layout}@1`)!).toFixed(3), batch32_ms: +median(times.get(`${g.layout}@32`)!).toFixed(2),
    batch1_cpu_ms: +median(cpu.get(`${g.layout}@1`)!).toFixed(3), batch32_cpu_ms: +median(cpu.get(`${g.layout}@32`)!).toFixed(2),
  }));
  const p25 = (layout: string, batch: number) => percentile(times.get(`${layout}@${batch}`)!, 0.25);
  const [before, after] = rows as [Row, Row];
  const ratio = (batch: 1 | 32) => (batch === 1 ? before.batch1_ms / after.batch1_ms : before.batch32_ms / after.batch32_ms);
  const quartileRatio = (batch: number) => p25(before.layout, batch) / p25(after.layout, batch);
  const lines = [
    `gss-code step graph (6 GSS layers, E=256, H=64, N=256), onnxruntime-node CPU, ${THREADS} thread(s); medians (25th percentile), ms per step; error: max |Δ| of ${CHECK_TOKENS} stepped logits vs the float64 reference interpreter`,
    '| state layout | nodes | nodes per layer | error vs float64 | batch 1 | batch 1, CPU ms | batch 32 | batch 32, CPU ms | batch 32 per sequence |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.layout} | ${r.nodes} | ${r.layer_nodes} | ${r.max_abs_err_vs_f64.toExponential(2)} | ${r.batch1_ms.toFixed(3)} (${p25(r.layout, 1).toFixed(3)}) | ${r.batch1_cpu_ms.toFixed(3)} | ${r.batch32_ms.toFixed(2)} (${p25(r.layout, 32).toFixed(2)}) | ${r.batch32_cpu_ms.toFixed(2)} | ${(r.batch32_ms / 32).toFixed(3)} |`),
    `planar vs interleaved: ${ratio(1).toFixed(2)}× faster at batch 1, ${ratio(32).toFixed(2)}× at batch 32 (medians); ${quartileRatio(1).toFixed(2)}× and ${quartileRatio(32).toFixed(2)}× (25th percentiles, less swayed by other work's bursts)`,
  ];
  return {
    table: lines.join('\n'),
    json: { bench: 'step-latency', model: 'examples/gss-code', runtime: 'onnxruntime-node cpu', threads: THREADS, rows, speedup_batch1: +ratio(1).toFixed(3), speedup_batch32: +ratio(32).toFixed(3), speedup_p25_batch1: +quartileRatio(1).toFixed(3), speedup_p25_batch32: +quartileRatio(32).toFixed(3) },
  };
}

printWhenMain(import.meta.url, () => benchStepLatency());
