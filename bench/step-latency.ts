/**
 * Per-token latency of the gss-code step graph in three forms: the interleaved [batch, H, N, 2]
 * states of the former step graphs, updated through their split (re, im) parts; the planar
 * [batch, H, 2, N] states updated as whole tensors in standard ops (--portable); and the planar
 * update as onnxruntime's RotaryEmbedding (the default for ort-cpu and ort-wasm,
 * passes/lower-diag-step.ts). Batch 1 is a user's generation, batch 32 the serving engine's full
 * batch; wall and CPU time (the process's: one thread's work, far less disturbed by other work on
 * the machine). Each graph runs in blocks — a few untimed steps, then timed ones — the graphs
 * taking turns block by block: a generating model runs alone, its 15.5 MB of weights staying in
 * the last-level cache, where alternating two such graphs step by step evicts each one's weights
 * every step (0.76 ms a token measured as 1.25). Also: nodes per graph and per GSS layer, and each
 * graph's error against the float64 reference interpreter over the same tokens. Part of
 * `npm run bench` (bench/main.ts); `node dist/bench/step-latency.js` runs it alone.
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
/** The forms compared: a state layout, and whether onnxruntime's contrib ops may serve it. */
const FORMS: { name: string; layout: StateLayout; portable: boolean }[] = [
  { name: 'interleaved', layout: 'interleaved', portable: true },
  { name: 'planar, standard ops (--portable)', layout: 'planar', portable: true },
  { name: 'planar, RotaryEmbedding (default)', layout: 'planar', portable: false },
];
/** Untimed steps at the start of each block (the graph's weights back into the cache), then timed ones. */
const BLOCK_WARMUP = 5;
/** Tokens stepped for the error against float64 (the reference interpreter runs the conv graph over them). */
const CHECK_TOKENS = 32;

interface Row { form: string; layout: StateLayout; nodes: number; layer_nodes: number; max_abs_err_vs_f64: number; batch1_ms: number; batch32_ms: number; batch1_cpu_ms: number; batch32_cpu_ms: number }

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

export async function benchStepLatency(opts: { quick?: boolean } = {}): Promise<{ table: string; json: unknown }> {
  const file = parseModelFile(readFileSync(`${DIR}model.json`, 'utf8'), 'model.json');
  const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(`${DIR}gss_code.weights.safetensors`))), source: 'gss-code' };
  const tokens = Array.from({ length: CHECK_TOKENS }, (_, i) => tokenAt(i));
  const reference = evaluateModel(buildModel(file, weights, { seqLen: null, opset: 17 }).model, { input: fromTensor(i64(tokens, [1, tokens.length])) }).get('output')!.data;

  const graphs = await Promise.all(FORMS.map(async ({ name, layout, portable }) => {
    const model = compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step', stateLayout: layout, portable }).model;
    const specs = readStates(model);
    const session = await createSession(modelToBytes(model), { threads: THREADS });
    // One more layer adds exactly one layer's nodes (fresh weights: the structure is the same).
    const depth = (d: number) => compileModel({ ...file, args: { ...file.args, depth: d } }, null, { seqLen: null, opset: 17, mode: 'step', stateLayout: layout, portable }).model.graph.nodes.length;
    const perLayer = depth(2) - depth(1);
    const { outputs } = await runSteps(session, specs, tokens.length, (t) => i64([tokens[t]!], [1]), zeroStates(specs, 1));
    const stepped = outputs.flatMap((o) => [...(o.data as Float32Array)]);
    const err = compareToReference(stepped, reference).maxAbs;
    return { name, layout, model, specs, session, perLayer, err };
  }));

  const times = new Map<string, number[]>();
  // The process's CPU time per step as well: one thread's work, which other work on a shared
  // machine disturbs far less than the wall clock.
  const cpu = new Map<string, number[]>();
  for (const batch of [1, 32]) {
    const blocks = batch === 1 ? (opts.quick ? 4 : 16) : (opts.quick ? 2 : 8);
    const perBlock = batch === 1 ? 25 : 5;
    const feeds = graphs.map((g) => new Map([['input', i64(Array.from({ length: batch }, (_, i) => tokens[i % tokens.length]!), [batch])], ...zeroStates(g.specs, batch)]));
    for (let r = 0; r < blocks; r++) {
      for (let i = 0; i < graphs.length; i++) {
        const key = `${graphs[i]!.name}@${batch}`;
        for (let w = 0; w < BLOCK_WARMUP; w++) await graphs[i]!.session.run(feeds[i]!);
        for (let k = 0; k < perBlock; k++) {
          const c0 = process.cpuUsage(), t0 = performance.now();
          await graphs[i]!.session.run(feeds[i]!);
          const wall = performance.now() - t0, c = process.cpuUsage(c0);
          if (!times.has(key)) { times.set(key, []); cpu.set(key, []); }
          times.get(key)!.push(wall);
          cpu.get(key)!.push((c.user + c.system) / 1000);
        }
      }
    }
  }
  for (const g of graphs) await g.session.release();

  const rows: Row[] = graphs.map((g) => ({
    form: g.name, layout: g.layout, nodes: g.model.graph.nodes.length, layer_nodes: g.perLayer, max_abs_err_vs_f64: g.err,
    batch1_ms: +median(times.get(`${g.name}@1`)!).toFixed(3), batch32_ms: +median(times.get(`${g.name}@32`)!).toFixed(2),
    batch1_cpu_ms: +median(cpu.get(`${g.name}@1`)!).toFixed(3), batch32_cpu_ms: +median(cpu.get(`${g.name}@32`)!).toFixed(2),
  }));
  const p25 = (name: string, batch: number) => percentile(times.get(`${name}@${batch}`)!, 0.25);
  const [interleaved, portable, rotary] = rows as [Row, Row, Row];
  const ratio = (a: Row, b: Row, batch: 1 | 32) => +(batch === 1 ? a.batch1_cpu_ms / b.batch1_cpu_ms : a.batch32_cpu_ms / b.batch32_cpu_ms).toFixed(3);
  const lines = [
    `gss-code step graph (6 GSS layers, E=256, H=64, N=256), onnxruntime-node CPU, ${THREADS} thread(s); medians (25th percentile), ms per step, each graph in blocks of ${BLOCK_WARMUP} untimed + timed steps; error: max |Δ| of ${CHECK_TOKENS} stepped logits vs the float64 reference interpreter`,
    '| form | nodes | nodes per layer | error vs float64 | batch 1 | batch 1, CPU ms | batch 32 | batch 32, CPU ms | batch 32 per sequence |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.form} | ${r.nodes} | ${r.layer_nodes} | ${r.max_abs_err_vs_f64.toExponential(2)} | ${r.batch1_ms.toFixed(3)} (${p25(r.form, 1).toFixed(3)}) | ${r.batch1_cpu_ms.toFixed(3)} | ${r.batch32_ms.toFixed(2)} (${p25(r.form, 32).toFixed(2)}) | ${r.batch32_cpu_ms.toFixed(2)} | ${(r.batch32_ms / 32).toFixed(3)} |`),
    `CPU time: planar (standard ops) vs interleaved ${ratio(interleaved, portable, 1)}× faster at batch 1, ${ratio(interleaved, portable, 32)}× at batch 32; RotaryEmbedding vs standard ops ${ratio(portable, rotary, 1)}× at batch 1, ${ratio(portable, rotary, 32)}× at batch 32. Target (issue 16): ≤ 0.7 ms a token at batch 1, one thread — default form ${rotary.batch1_cpu_ms.toFixed(3)} ms CPU, ${rotary.batch1_ms.toFixed(3)} ms wall`,
  ];
  return {
    table: lines.join('\n'),
    json: {
      bench: 'step-latency', model: 'examples/gss-code', runtime: 'onnxruntime-node cpu', threads: THREADS, rows,
      planar_vs_interleaved_cpu: { batch1: ratio(interleaved, portable, 1), batch32: ratio(interleaved, portable, 32) },
      rotary_vs_standard_cpu: { batch1: ratio(portable, rotary, 1), batch32: ratio(portable, rotary, 32) },
    },
  };
}

printWhenMain(import.meta.url, () => benchStepLatency());
