/**
 * lucidrains' other GSS models (issue 15): how GatedDsConv's input-dependent convolution runs in
 * its two forms (Toeplitz MatMul, DFT) by length, the convolution alone at the official widths —
 * the measurement behind TOEPLITZ_UP_TO — and a
 * GatedExponentialSmoothingLM's per-token step against re-running its conv graph. Fresh models
 * (official init, fixed seed), batch 1, onnxruntime-node CPU; medians, read the ratios. Part of
 * `npm run bench` (bench/main.ts); `node dist/bench/gss-variants.js [--quick]` runs it alone.
 */
import { compileModel, modelToBytes, readStates, runSteps, zeroStates, type ModelFile } from 'ssmc';
import { Builder, f32, i64, Model, tensorType, type Tensor } from 'ssmc/ir';
import { createSession } from 'ssmc/runtime';
import { chooseInputConvForm, inputConv, type InputConvForm } from '../src/models/gss-variants/input-conv.js';
import { printWhenMain } from './standalone.js';
import { median, tokenAt } from './timing.js';

const THREADS = Number(process.env.SSMC_BENCH_THREADS ?? 1);
/** GatedDsConv's official defaults: dim_dsconv 512 in 8 heads of 64 channels. */
const M = 512, G = 8;
/** Beyond this the Toeplitz form's L×L matrix per head (G·L²·4 bytes) is not worth timing. */
const TOEPLITZ_TIMED_UP_TO = 2048;
const MHESA_LM: ModelFile = { arch: 'gss-mhesa-lm', args: { num_tokens: 256, dim: 256, depth: 4, heads: 8, dim_mhesa: 256, dim_expansion_factor: 2 } };

interface FormRow {
  L: number;
  toeplitz_ms: number | null;
  fft_ms: number;
  toeplitz_dynamic_ms: number | null;
  fft_dynamic_ms: number;
  fft_over_toeplitz: number | null;
  auto: InputConvForm;
}

function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** The convolution alone: u [1,L,M], k [1,L,G] → y [1,L,M] in one form, at a fixed or dynamic length. */
function convGraph(L: number | null, form: InputConvForm): Uint8Array {
  const model = new Model(17);
  const b = new Builder(model.graph, 17);
  const len = L ?? 'L';
  const u = model.graph.addInput('u', tensorType('float32', [1, len, M]));
  const k = model.graph.addInput('k', tensorType('float32', [1, len, G]));
  const y = inputConv(b, u, k, G, M / G, form);
  model.graph.renameValue(y, 'y');
  model.graph.outputs.push(y);
  return modelToBytes(model);
}

/**
 * Median ms of each graph on the same feeds, timed round-robin (one run of each in turn), so
 * the load of a shared machine falls on all of them alike.
 */
async function roundRobin(graphs: (Uint8Array | null)[], feeds: Map<string, Tensor>, rounds: number): Promise<(number | null)[]> {
  const sessions = await Promise.all(graphs.map((g) => (g ? createSession(g, { threads: THREADS }) : null)));
  try {
    for (const s of sessions) await s?.run(feeds);
    const times: number[][] = graphs.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (const [i, s] of sessions.entries()) {
        if (!s) continue;
        const t0 = performance.now();
        await s.run(feeds);
        times[i]!.push(performance.now() - t0);
      }
    }
    return times.map((t) => (t.length ? median(t) : null));
  } finally {
    for (const s of sessions) await s?.release();
  }
}

async function benchForms(lengths: number[]): Promise<FormRow[]> {
  const rows: FormRow[] = [];
  for (const L of lengths) {
    const feeds = new Map([['u', f32(noise(L * M, L), [1, L, M])], ['k', f32(noise(L * G, L + 1), [1, L, G])]]);
    const toeplitz = L <= TOEPLITZ_TIMED_UP_TO;
    const [tf, ff, td, fd] = await roundRobin([toeplitz ? convGraph(L, 'toeplitz') : null, convGraph(L, 'fft'), toeplitz ? convGraph(null, 'toeplitz') : null, convGraph(null, 'fft')], feeds, L >= 2048 ? 5 : 11);
    const r2 = (x: number | null) => (x === null ? null : +x.toFixed(2));
    rows.push({ L, toeplitz_ms: r2(tf!), fft_ms: r2(ff!)!, toeplitz_dynamic_ms: r2(td!), fft_dynamic_ms: r2(fd!)!, fft_over_toeplitz: tf ? +(ff! / tf).toFixed(2) : null, auto: chooseInputConvForm(L) });
  }
  return rows;
}

interface StepRow {
  positions: number;
  conv_ms: number;
  step_ms: number;
  speedup: number;
}

/** Per generated token: one step against re-running the conv graph (dynamic length) over the prefix. */
async function benchMhesaStep(positions: number[]): Promise<StepRow[]> {
  const opts = { seqLen: null, opset: 17 } as const;
  const conv = await createSession(modelToBytes(compileModel(MHESA_LM, null, opts).model), { threads: THREADS });
  const stepModel = compileModel(MHESA_LM, null, { ...opts, mode: 'step' }).model;
  const specs = readStates(stepModel);
  const step = await createSession(modelToBytes(stepModel), { threads: THREADS });
  const tokens = Array.from({ length: Math.max(...positions) }, (_, i) => tokenAt(i));
  const rows: StepRow[] = [];
  try {
    let states = zeroStates(specs, 1);
    for (let t = 0; t < 8; t++) states = (await runSteps(step, specs, 1, () => i64([tokens[t]!], [1]), states)).states;
    const stepTimes: number[] = [];
    for (let t = 8; t < 72; t++) {
      const t0 = performance.now();
      states = (await runSteps(step, specs, 1, () => i64([tokens[t]!], [1]), states)).states;
      stepTimes.push(performance.now() - t0);
    }
    const s = median(stepTimes);
    for (const P of positions) {
      const times: number[] = [];
      const feeds = new Map([['input', i64(tokens.slice(0, P), [1, P])]]);
      await conv.run(feeds);
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        await conv.run(feeds);
        times.push(performance.now() - t0);
      }
      const c = median(times);
      rows.push({ positions: P, conv_ms: +c.toFixed(2), step_ms: +s.toFixed(3), speedup: +(c / s).toFixed(1) });
    }
  } finally {
    await conv.release();
    await step.release();
  }
  return rows;
}

export async function benchGssVariants(quick: boolean): Promise<{ table: string; json: unknown }> {
  const forms = await benchForms(quick ? [256, 1024] : [128, 256, 512, 1024, 2048, 4096]);
  const steps = await benchMhesaStep(quick ? [256, 1024] : [256, 1024, 4096]);
  const dash = (x: number | null, f: (v: number) => string) => (x === null ? '—' : f(x));
  const lines = [
    `GatedDsConv's input-dependent convolution alone (dim_dsconv ${M}, ${G} heads, the official defaults) as a Toeplitz MatMul (--lowering direct) or DFTs (--lowering dft); batch 1, ${THREADS} thread(s), medians of round-robin runs, ms`,
    '| L | Toeplitz | DFT | DFT / Toeplitz | Toeplitz, dynamic length | DFT, dynamic length | auto picks (fixed length) |',
    '|---:|---:|---:|---:|---:|---:|---|',
    ...forms.map((r) => `| ${r.L} | ${dash(r.toeplitz_ms, (v) => v.toFixed(2))} | ${r.fft_ms.toFixed(2)} | ${dash(r.fft_over_toeplitz, (v) => `${v}×`)} | ${dash(r.toeplitz_dynamic_ms, (v) => v.toFixed(2))} | ${r.fft_dynamic_ms.toFixed(2)} | ${r.auto} |`),
    '',
    `GatedExponentialSmoothingLM (4 blocks, dim 256, dim_mhesa 256, 8 heads, V 256): ms per generated token, step graph vs re-running the conv graph (dynamic length, auto lowering); ${THREADS} thread(s)`,
    '| positions | re-run conv graph | step graph | step speed-up |',
    '|---:|---:|---:|---:|',
    ...steps.map((r) => `| ${r.positions} | ${r.conv_ms.toFixed(2)} | ${r.step_ms.toFixed(3)} | ${r.speedup}× |`),
  ];
  return { table: lines.join('\n'), json: { bench: 'gss-variants', threads: THREADS, dsconv_forms: forms, mhesa_step: steps } };
}

printWhenMain(import.meta.url, () => benchGssVariants(process.argv.includes('--quick')));
