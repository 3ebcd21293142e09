/**
 * The bundled gss-code model in onnxruntime-web (wasm, the browser's CPU backend) next to
 * onnxruntime-node (native CPU), both single-threaded (the demo page's wasm runs one thread:
 * wasm threads need cross-origin isolation): per-token latency of the step graph, and latency of
 * one pass of the dynamic-length convolution graph at a few lengths. Medians; the machines are
 * noisy, so read the ratios. `node dist/bench/web-vs-node.js` runs it alone; the main bench calls
 * `benchWebVsNode()`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileModel, modelToBytes, parseModelFile, Progress, readSafetensors, readStates } from 'ssmc';
import { i64 } from 'ssmc/ir';
import { nodeBackend, type OrtBackend } from 'ssmc/runtime';
import { wasmBackend } from 'ssmc/runtime/web';
import { stepLatency, timeSession, tokenAt } from './timing.js';
import { printWhenMain } from './standalone.js';

const DIR = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));
const CONV_LENGTHS = [256, 1024];
const WARMUP_STEPS = 16;
const TIMED_STEPS = 64;
const CONV_REPEATS = 3;

export interface WebVsNodeRow {
  graph: 'step' | 'conv';
  positions: number;
  node_ms: number;
  wasm_ms: number;
  /** wasm latency over node latency: how much slower the browser's CPU backend is. */
  wasm_over_node: number;
}

function convLatency(backend: OrtBackend, bytes: Uint8Array, positions: number): Promise<number> {
  const input = i64(Array.from({ length: positions }, (_, i) => tokenAt(i)), [1, positions]);
  return timeSession(backend, bytes, new Map([['input', input]]), 1, { repeats: CONV_REPEATS, minRuns: CONV_REPEATS, budgetMs: 0 });
}

export async function benchWebVsNode(progress = Progress.none): Promise<{ table: string; json: unknown }> {
  const file = parseModelFile(readFileSync(`${DIR}model.json`, 'utf8'), 'examples/gss-code/model.json');
  const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(`${DIR}gss_code.weights.safetensors`)), 'gss_code.weights.safetensors'), source: 'gss-code' };
  const opts = { seqLen: null, opset: 17 } as const;
  const stepModel = compileModel(file, weights, { ...opts, mode: 'step' }).model;
  const specs = readStates(stepModel);
  const stepBytes = modelToBytes(stepModel);
  const convBytes = modelToBytes(compileModel(file, weights, opts).model);

  const row = (graph: WebVsNodeRow['graph'], positions: number, node: number, wasm: number): WebVsNodeRow => ({
    graph, positions, node_ms: +node.toFixed(3), wasm_ms: +wasm.toFixed(3), wasm_over_node: +(wasm / node).toFixed(2),
  });
  const timed = (label: string, ms: () => Promise<number>) => progress.run(label, async (task) => {
    const t = await ms();
    task.detail(`${t.toFixed(2)} ms`);
    return t;
  });
  const rows: WebVsNodeRow[] = [row('step', 1, await timed('step node', () => stepLatency(nodeBackend, stepBytes, specs, { warmup: WARMUP_STEPS, timed: TIMED_STEPS })), await timed('step wasm', () => stepLatency(wasmBackend, stepBytes, specs, { warmup: WARMUP_STEPS, timed: TIMED_STEPS })))];
  for (const L of CONV_LENGTHS) rows.push(row('conv', L, await timed(`conv L=${L} node`, () => convLatency(nodeBackend, convBytes, L)), await timed(`conv L=${L} wasm`, () => convLatency(wasmBackend, convBytes, L))));

  const lines = [
    'gss-code (6 GSS layers, E=256, H=64, N=256): onnxruntime-web (wasm) vs onnxruntime-node (CPU), 1 thread each; medians',
    '| graph | positions | onnxruntime-node ms | onnxruntime-web wasm ms | wasm / node |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.graph === 'step' ? 'step (per token)' : 'conv (one pass)'} | ${r.positions} | ${r.node_ms.toFixed(3)} | ${r.wasm_ms.toFixed(3)} | ${r.wasm_over_node.toFixed(2)}× |`),
  ];
  const json = {
    bench: 'web-vs-node', model: 'examples/gss-code', threads: 1,
    timing: { step: `median of ${TIMED_STEPS} steps after ${WARMUP_STEPS} warm-up steps`, conv: `median of ${CONV_REPEATS} runs after one warm-up run` },
    rows,
  };
  return { table: lines.join('\n'), json };
}

printWhenMain(import.meta.url, benchWebVsNode);
