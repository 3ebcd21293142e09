import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmaxRow, compileModel, generateTokens, parseModelFile, readSafetensors } from 'ssmc';
import { backendNamed, createSession, type Session } from 'ssmc/runtime';
import { GREEDY, type SamplingParams } from '../../src/sampling.js';
import { ContinuousBatcher, type SequenceRequest } from '../../src/serve/batcher.js';
import { lmFromModels, type LmGraphs } from '../../src/serve/lm.js';
import { EXAMPLE } from './harness.js';

/**
 * The continuous batcher in-process: a sequence's tokens never depend on what else is in the
 * batch, when it joined, or whether its prompt was prefilled with others.
 */

const enc = (s: string) => [...new TextEncoder().encode(s)];
const PROMPTS = ['def f(x):\n', 'import numpy as np\n', 'class A:\n    def __init__(self):\n', 'for i in range(', '# a comment\n', 'x = ', 'y = ', 'return self.'];

let lm: LmGraphs, step: Session, prefill: Session;

beforeAll(async () => {
  const file = parseModelFile(readFileSync(`${EXAMPLE}model.json`, 'utf8'), 'model.json');
  const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(`${EXAMPLE}gss_code.weights.safetensors`)), 'w'), source: 'w' };
  const built = lmFromModels(
    compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step' }).model,
    compileModel(file, weights, { seqLen: null, opset: 17, mode: 'prefill' }).model,
  );
  if (typeof built === 'string') throw new Error(built);
  lm = built;
  step = await createSession(lm.step, { threads: 1 });
  prefill = await createSession(lm.prefill!, { threads: 1 });
}, 120_000);

/** Run requests through a batcher; `arrivals[i]` is the iteration at which request i is added. */
async function runAll(batcher: ContinuousBatcher, reqs: SequenceRequest[], arrivals: number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>(reqs.map((r) => [r.id, []]));
  for (let it = 0; reqs.some((_, i) => arrivals[i]! >= it) || batcher.hasWork(); it++) {
    reqs.forEach((r, i) => arrivals[i] === it && batcher.add(r));
    const { events } = await batcher.iterate();
    for (const e of events) out.get(e.id)!.push(e.token);
  }
  return out;
}

const request = (id: number, prompt: string, maxTokens: number, sampling: SamplingParams = GREEDY): SequenceRequest => ({ id, prompt: enc(prompt), maxTokens, sampling });

describe('ContinuousBatcher', () => {
  it('with a step graph alone, every sequence equals step-by-step generation of its prompt, however they arrive', async () => {
    const reqs = PROMPTS.map((p, i) => request(i, p, 12 + i));
    const got = await runAll(new ContinuousBatcher(lm, step, null, { maxBatch: 5 }), reqs, [0, 0, 1, 3, 3, 3, 7, 9]);
    for (const r of reqs) {
      const alone = await generateTokens(step, lm.states, r.prompt, r.maxTokens, (l) => argmaxRow(l, 0, 256));
      expect(got.get(r.id), PROMPTS[r.id]).toEqual(alone.slice(r.prompt.length));
    }
  }, 60_000);

  it('with prefill, seeded sampled sequences equal their runs alone; equal-length prompts share a prefill call', async () => {
    const sampling = (seed: number): SamplingParams => ({ temperature: 0.9, topK: 20, topP: 0.9, seed });
    const reqs = PROMPTS.map((p, i) => request(i, p, 20, sampling(100 + i)));
    const batcher = new ContinuousBatcher(lm, step, prefill, { maxBatch: 8 });
    let calls = 0, prefilled = 0;
    const iterate = batcher.iterate.bind(batcher);
    batcher.iterate = async () => {
      const r = await iterate();
      calls += r.stats.prefillCalls;
      prefilled += r.stats.prefilled;
      return r;
    };
    const got = await runAll(batcher, reqs, [0, 0, 2, 0, 0, 0, 0, 5]);
    expect(prefilled).toBe(8);
    expect(calls).toBeLessThan(8); // 'x = ' and 'y = ' arrive together with the same length
    for (const r of reqs) {
      const alone = await runAll(new ContinuousBatcher(lm, step, prefill, { maxBatch: 1 }), [r], [0]);
      expect(got.get(r.id), PROMPTS[r.id]).toEqual(alone.get(r.id));
    }
  }, 60_000);

  it('on onnxruntime-web (wasm) too: batched sequences equal step-by-step generation on the same backend', async () => {
    const wasm = await (await backendNamed('wasm')).createSession(lm.step, { threads: 1 });
    try {
      const reqs = PROMPTS.slice(0, 3).map((p, i) => request(i, p, 10));
      const got = await runAll(new ContinuousBatcher(lm, wasm, null, { maxBatch: 3 }), reqs, [0, 0, 2]);
      for (const r of reqs) {
        const alone = await generateTokens(wasm, lm.states, r.prompt, r.maxTokens, (l) => argmaxRow(l, 0, 256));
        expect(got.get(r.id)).toEqual(alone.slice(r.prompt.length));
      }
    } finally {
      await wasm.release();
    }
  }, 60_000);

  it('holds at most maxBatch sequences, queues the rest, and a cancelled sequence leaves before the next step', async () => {
    const batcher = new ContinuousBatcher(lm, step, prefill, { maxBatch: 2 });
    for (let i = 0; i < 4; i++) batcher.add(request(i, PROMPTS[i]!, 50));
    const first = await batcher.iterate();
    expect([batcher.running, batcher.queued]).toEqual([2, 2]);
    expect(first.stats.batch).toBe(2);
    batcher.cancel(0);
    batcher.cancel(3); // still waiting
    const next = await batcher.iterate();
    expect(next.events.map((e) => e.id)).not.toContain(0);
    expect(next.events.map((e) => e.id)).not.toContain(3);
    expect([batcher.running, batcher.queued]).toEqual([2, 0]); // 1 and 2 run; 3 never started
    while (batcher.hasWork()) await batcher.iterate();
    expect(batcher.running).toBe(0);
  }, 60_000);
});
