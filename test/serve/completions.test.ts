import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, generate, GSS_CODE, metric, postJson, postRaw, serve, streamCompletion, type Served } from './harness.js';

/**
 * `ssmc serve` on the bundled gss-code language model, over real HTTP on 127.0.0.1: the OpenAI
 * completions endpoint against `ssmc generate`, continuous batching against single requests,
 * cancellation, bad requests.
 */

/** 32 different prompts; several share a length, so some are prefilled together. */
const PROMPTS = Array.from({ length: 32 }, (_, i) => `def ${['load', 'save', 'parse', 'run'][i % 4]}_${i}(${'xyz'.slice(0, 1 + (i % 3))}):\n    `);
const TOKENS = 40;

describe('ssmc serve: /v1/completions', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve([...GSS_CODE, '--name', 'gss-code', '--threads', '1', '--max-batch', '32']);
  }, 120_000);
  afterAll(async () => {
    expect(await s?.stop()).toBe(0);
  });

  it('a seeded sampled completion equals ssmc generate with the same seed, streamed or not', async () => {
    const prompt = 'def load_config(path):\n    with open(';
    const params = { temperature: 0.8, top_k: 40, top_p: 0.95, seed: 1234, max_tokens: 60 };
    const expected = generate(prompt, ['--max-tokens', '60', '--temperature', '0.8', '--top-k', '40', '--top-p', '0.95', '--seed', '1234', '--threads', '1']);
    const r = await postJson(`${s.url}/v1/completions`, { model: 'gss-code', prompt, ...params });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.object).toBe('text_completion');
    expect(r.json.model).toBe('gss-code');
    expect(r.json.choices[0].finish_reason).toBe('length');
    expect(r.json.usage).toEqual({ prompt_tokens: 37, completion_tokens: 60, total_tokens: 97 });
    expect(r.json.choices[0].text).toBe(expected);
    const streamed = await streamCompletion(s.url, { prompt, ...params });
    expect(streamed.errors).toEqual([]);
    expect(streamed.done).toBe(true);
    expect(streamed.finish).toBe('length');
    expect(streamed.text).toBe(expected);
    // Token ids as the prompt give the same as the text prompt.
    const ids = await postJson(`${s.url}/v1/completions`, { prompt: [...new TextEncoder().encode(prompt)], ...params });
    expect(ids.json.choices[0].text).toBe(expected);
  }, 60_000);

  it('32 concurrent greedy streams with different prompts each equal their single-request output; memory returns after', async () => {
    const single: string[] = [];
    for (const prompt of PROMPTS) {
      const r = await streamCompletion(s.url, { prompt, max_tokens: TOKENS, temperature: 0 });
      expect(r.errors).toEqual([]);
      single.push(r.text);
    }
    const burst = async () => {
      const all = await Promise.all(PROMPTS.map((prompt) => streamCompletion(s.url, { prompt, max_tokens: TOKENS, temperature: 0 })));
      all.forEach((r, i) => {
        expect(r.status).toBe(200);
        expect(r.errors).toEqual([]);
        expect(r.done).toBe(true);
        expect(r.tokens).toHaveLength(TOKENS);
        expect(r.text, `prompt ${i}`).toBe(single[i]);
      });
      await eventually(async () => (await metric(s.url, 'ssmc_running_sequences')) === 0);
    };
    await burst();
    // Batches of more than 16 sequences ran. (Whether equal-length prompts share a prefill call
    // depends on how their requests interleave on the wire; batcher.test.ts checks it directly.)
    expect(await metric(s.url, 'ssmc_batch_size_bucket', '{le="16"}'), 'steps with at most 16 sequences').toBeLessThan(await metric(s.url, 'ssmc_batch_size_count'));
    // The first bursts grow onnxruntime's arena to batch-32 sizes and warm the allocators; from
    // there memory must not grow with the number of requests served. A single difference of
    // resident sizes moves by tens of MB with garbage collection and the machine's load, so the
    // check is on the average growth per burst over four more bursts: a leak of the 32
    // sequences' states would add 48 MiB a burst, collection noise spreads over the four.
    await burst();
    const baseline = await metric(s.url, 'process_resident_memory_bytes');
    const BURSTS = 4;
    for (let i = 0; i < BURSTS; i++) {
      await burst();
      expect(await metric(s.url, 'ssmc_requests_in_flight')).toBe(0);
    }
    const growth = (await metric(s.url, 'process_resident_memory_bytes')) - baseline;
    expect(growth / BURSTS, 'average growth of resident memory per burst of 32 streams').toBeLessThan(16 * 1024 * 1024);
  }, 180_000);

  it('a client that leaves mid-stream frees its slot at once', async () => {
    const before = await metric(s.url, 'ssmc_rejected_total', '{reason="disconnected"}');
    const r = await streamCompletion(s.url, { prompt: 'class Model:\n', max_tokens: 4000, temperature: 0 }, 3);
    expect(r.tokens.length).toBeGreaterThan(0);
    await eventually(async () => (await metric(s.url, 'ssmc_rejected_total', '{reason="disconnected"}')) === before + 1);
    await eventually(async () => (await metric(s.url, 'ssmc_running_sequences')) === 0, 5000);
  }, 30_000);

  it('bad requests get 400 naming the field (OpenAI error shape) and leave running streams undisturbed', async () => {
    const expected = await Promise.all(PROMPTS.slice(0, 4).map((prompt) => streamCompletion(s.url, { prompt, max_tokens: 120, temperature: 0 })));
    const running = Promise.all(PROMPTS.slice(0, 4).map((prompt) => streamCompletion(s.url, { prompt, max_tokens: 120, temperature: 0 })));
    const bad: [unknown, number, string | null, RegExp][] = [
      ['{"prompt": "x", ', 400, null, /not valid JSON/],
      [{ prompt: 'x', max_tokens: '5' }, 400, 'max_tokens', /must be an integer/],
      [{ prompt: 'x', max_tokens: 0 }, 400, 'max_tokens', /must be >= 1/],
      [{ prompt: 'x', max_tokens: 1_000_000 }, 400, 'max_tokens', /limit of 4096/],
      [{ prompt: 'x', temperature: -1 }, 400, 'temperature', /must be >= 0/],
      [{ prompt: 'x', top_p: 0 }, 400, 'top_p', /must be > 0/],
      [{ prompt: [1, 2, 999] }, 400, 'prompt', /prompt\[2\]' is 999; token ids are integers from 0 to 255/],
      [{ prompt: '' }, 400, 'prompt', /empty/],
      [{ prompt: ['a', 'b'] }, 400, 'prompt', /one prompt/],
      [{ prompt: 'x', n: 2 }, 400, 'n', /must be 1/],
      [{ prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] }, 400, 'stop', /up to 4/],
      [{ prompt: 'x', foo: 1 }, 400, 'foo', /unknown field 'foo'/],
      [{ max_tokens: 3 }, 400, 'prompt', /missing required field 'prompt'/],
      [{ prompt: 'x', model: 'gpt-4' }, 404, 'model', /does not exist/],
    ];
    for (const [body, status, param, message] of bad) {
      const r = await postJson(`${s.url}/v1/completions`, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.error.message).toMatch(message);
      expect(r.json.error.param).toBe(param);
    }
    const big = await postRaw(`${s.url}/v1/completions`, JSON.stringify({ prompt: 'x'.repeat(17 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.message).toMatch(/larger than the server's limit of 16777216 bytes/);
    const results = await running;
    results.forEach((r, i) => {
      expect(r.errors).toEqual([]);
      expect(r.text).toBe(expected[i]!.text);
    });
  }, 60_000);

  it('stop sequences end the text before them, streamed and not', async () => {
    const prompt = 'def load_config(path):\n    with open(';
    const full = (await postJson(`${s.url}/v1/completions`, { prompt, max_tokens: 60, temperature: 0 })).json.choices[0].text as string;
    const stop = full.slice(10, 13);
    const cut = full.slice(0, full.indexOf(stop));
    const r = await postJson(`${s.url}/v1/completions`, { prompt, max_tokens: 60, temperature: 0, stop: [stop, 'zzzz'] });
    expect(r.json.choices[0]).toMatchObject({ text: cut, finish_reason: 'stop' });
    const streamed = await streamCompletion(s.url, { prompt, max_tokens: 60, temperature: 0, stop });
    expect(streamed).toMatchObject({ text: cut, finish: 'stop', done: true });
  }, 30_000);

  it('GET /v1/models lists the model', async () => {
    const r = await (await fetch(`${s.url}/v1/models`)).json();
    expect(r.data.map((m: { id: string }) => m.id)).toEqual(['gss-code']);
  });
});
