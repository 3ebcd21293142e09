/**
 * One causal-attention form in a process of its own, for bench/attention-forms.ts: a peak resident
 * size belongs to a process, so each form gets a fresh one. Reads an AttentionJob as JSON from
 * argv[2], builds self-attention over q, k, v [1, L, 256] (the in-projection's three parts; 8
 * heads of 32) in that form, times it in onnxruntime-node (CPU, one thread) and prints an
 * AttentionMeasure as JSON on one line.
 *
 * Forms: ssmc's lowering of CausalAttention (MatMul / Softmax with a causal mask, scores one head
 * at a time or every head batched, with the head reshapes the models build around it), ONNX's
 * `Attention` (opset 23, 3-D inputs, is_causal) and onnxruntime's `com.microsoft.MultiHeadAttention`
 * (unidirectional), each on all heads at once or one head at a time (Split, one op per head, Concat).
 * The fused ops' nodes are made here directly (the compiler does not emit them; its opsets end at 21).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { modelToBytes } from 'ssmc';
import { Builder, causalAttention, f32, Model, SSMC_DOMAIN, tensorType, type Dim, type Value } from 'ssmc/ir';
import { csePass, dcePass, foldConstantsPass, lowerAttentionPassWith, runPipeline } from 'ssmc/passes';
import { createSession } from 'ssmc/runtime';
import { median } from './timing.js';

export const ATTENTION_FORMS = ['matmul-per-head', 'matmul-batched', 'onnx-attention', 'onnx-attention-per-head', 'ms-mha', 'ms-mha-per-head'] as const;
export type AttentionForm = (typeof ATTENTION_FORMS)[number];

export interface AttentionJob {
  form: AttentionForm;
  /** A fixed length, or null for a graph with a symbolic length (run at `runLength`). */
  seqLen: number | null;
  runLength: number;
  /** 0: full causal attention; k: chunk-local (MatMul forms only). */
  chunk: number;
}

export interface AttentionMeasure {
  ms: number;
  /** Peak resident size during the first run above the resident size just before it (session and inputs made). */
  peak_extra_mb: number;
  nodes: number;
}

const HEADS = 8, DH = 32, H = HEADS * DH;

function build(job: AttentionJob): Model {
  const fused = !job.form.startsWith('matmul');
  const opset = job.form.startsWith('onnx') ? 23 : 17;
  const model = new Model(opset);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  if (job.form.startsWith('ms')) model.opsetImports.set('com.microsoft', 1);
  const b = new Builder(model.graph, opset);
  const length: Dim = job.seqLen ?? 'L';
  const [q, k, v] = (['q', 'k', 'v'] as const).map((n) => model.graph.addInput(n, tensorType('float32', [1, length, H]))) as [Value, Value, Value];
  const scale = 1 / Math.sqrt(DH);
  let y: Value;
  if (!fused) {
    const heads = (x: Value) => b.transpose(b.reshape(x, [0, 0, HEADS, DH]), [0, 2, 1, 3]);
    const a = causalAttention(b, heads(q), heads(k), heads(v), { scale, chunk: job.chunk });
    y = b.reshape(b.transpose(a, [0, 2, 1, 3]), [0, 0, H]);
  } else {
    if (job.chunk !== 0) throw new Error('the fused forms are measured at full attention only');
    const perHead = job.form.endsWith('per-head');
    const n = perHead ? 1 : HEADS;
    const op = (qs: Value, ks: Value, vs: Value): Value => {
      const node = job.form.startsWith('onnx')
        ? model.graph.createNode('', 'Attention', [qs, ks, vs], { is_causal: { kind: 'int', value: 1 }, scale: { kind: 'float', value: scale }, q_num_heads: { kind: 'int', value: n }, kv_num_heads: { kind: 'int', value: n } }, 1)
        : model.graph.createNode('com.microsoft', 'MultiHeadAttention', [qs, ks, vs], { num_heads: { kind: 'int', value: n }, scale: { kind: 'float', value: scale }, unidirectional: { kind: 'int', value: 1 } }, 1);
      node.outputs[0]!.type = tensorType('float32', [1, length, n * DH]);
      return node.outputs[0]!;
    };
    if (!perHead) y = op(q, k, v);
    else {
      const split = (x: Value) => b.node('Split', [x, b.i64(Array<number>(HEADS).fill(DH), undefined, 'heads')], { axis: 2 }, HEADS);
      const [qh, kh, vh] = [split(q), split(k), split(v)];
      y = b.concat(qh.map((_, h) => op(qh[h]!, kh[h]!, vh[h]!)), 2);
    }
  }
  model.graph.renameValue(y, 'y');
  model.graph.outputs.push(y);
  const form = job.form === 'matmul-per-head' ? 'per-head' : 'batched';
  runPipeline(model, { opset }, [lowerAttentionPassWith(form), foldConstantsPass, csePass, dcePass]);
  return model;
}

/** Resident size now and at its peak, in MiB (Linux /proc; elsewhere the peak only). */
function residentMb(): { now: number; peak: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string) => Number(/\d+/.exec(status.slice(status.indexOf(`${name}:`)))![0]) / 1024;
    return { now: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    const peak = process.resourceUsage().maxRSS / 1024;
    return { now: peak, peak };
  }
}

/** Start the peak resident size afresh (Linux: writing 5 to clear_refs), so it is the run's and not the build's. */
function resetPeak(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Elsewhere the peak includes building the model; the table says so.
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as AttentionJob;
  const model = build(job);
  const session = await createSession(modelToBytes(model), { threads: 1 });
  const n = job.runLength * H;
  const input = (phase: number) => f32(Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + phase)), [1, job.runLength, H]);
  const feeds = new Map([['q', input(0)], ['k', input(1)], ['v', input(2)]]);
  resetPeak();
  const before = residentMb();
  await session.run(feeds);
  const peakExtra = residentMb().peak - before.now;
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  const out: AttentionMeasure = { ms: +median(times).toFixed(1), peak_extra_mb: Math.max(0, Math.round(peakExtra)), nodes: model.graph.nodes.length };
  console.log(JSON.stringify(out));
}

await main();
