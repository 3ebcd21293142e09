import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, GSS_CODE, metric, postJson, postRaw, serve, streamCompletion, type Served } from './harness.js';

/**
 * A server that holds: queue limit → 429 with Retry-After, the per-request timeout, slow senders
 * (408) and slow readers (dropped), bad v2 tensors (400 naming the field), and SIGTERM (running
 * streams finish or end cleanly, the process exits 0) — none of it disturbing the other streams.
 */

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const PROMPT = 'def load_config(path):\n    with open(';

describe('ssmc serve: limits, timeouts, slow clients, shutdown', () => {
  let s: Served;
  let expected: string;
  beforeAll(async () => {
    s = await serve([...GSS_CODE, '--name', 'gss', '--threads', '1', '--max-batch', '2', '--max-queue', '1', '--timeout', '3',
      '--receive-timeout', '1', '--max-body', '65536', '--max-stream-buffer', '4096', '--shutdown-grace', '2']);
    expected = (await streamCompletion(s.url, { prompt: PROMPT, max_tokens: 150, temperature: 0 })).text;
  }, 120_000);
  afterAll(async () => {
    if (s?.proc.exitCode === null) await s.stop();
  });

  it('more requests than --max-batch + --max-queue get 429 with Retry-After', async () => {
    const ctl = new AbortController();
    const long = [0, 1, 2].map(() => fetch(`${s.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'x', max_tokens: 4096, stream: true }), signal: ctl.signal }).catch(() => null));
    await eventually(async () => (await metric(s.url, 'ssmc_queue_depth', '{engine="lm"}')) === 1 && (await metric(s.url, 'ssmc_running_sequences')) === 2);
    const r = await postJson(`${s.url}/v1/completions`, { prompt: 'x', max_tokens: 5 });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.json.error.type).toBe('queue_full');
    expect(r.json.error.message).toMatch(/--max-batch, --max-queue/);
    ctl.abort();
    await Promise.all(long);
    await eventually(async () => (await metric(s.url, 'ssmc_requests_in_flight')) === 0);
  }, 30_000);

  it('a request over --timeout ends: 504 JSON, or an error event then [DONE] on a stream', async () => {
    const [plain, streamed] = await Promise.all([
      postJson(`${s.url}/v1/completions`, { prompt: 'x', max_tokens: 4096, temperature: 0 }),
      streamCompletion(s.url, { prompt: 'y', max_tokens: 4096, temperature: 0 }),
    ]);
    expect(plain.status).toBe(504);
    expect(plain.json.error).toMatchObject({ type: 'timeout', message: expect.stringMatching(/longer than the server's limit of 3 s/) });
    expect(streamed.status).toBe(200);
    expect(streamed.tokens.length).toBeGreaterThan(0);
    expect(streamed.errors).toEqual([expect.stringMatching(/longer than the server's limit of 3 s/)]);
    expect(streamed.done).toBe(true);
    await eventually(async () => (await metric(s.url, 'ssmc_requests_in_flight')) === 0);
  }, 30_000);

  it('a sender slower than --receive-timeout gets 408; a reader that stops reading is dropped; neither disturbs a stream', async () => {
    const running = streamCompletion(s.url, { prompt: PROMPT, max_tokens: 150, temperature: 0 });
    // Slow sender: headers promise 200 bytes, 10 arrive.
    const slowSender = new Promise<string>((resolve) => {
      const sock = connect(Number(new URL(s.url).port), '127.0.0.1', () => {
        sock.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"prompt":');
      });
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
    });
    // Slow reader: no reads, a 4 KiB receive window and a 536-byte segment size (on loopback the
    // kernel would otherwise size the server's send buffer for 64 KiB segments and take in about a
    // megabyte first); the server's own buffer soon passes --max-stream-buffer.
    const dropsBefore = await metric(s.url, 'ssmc_rejected_total', '{reason="slow_client"}');
    const reader = spawn(PYTHON, ['-c', [
      'import socket, sys, time',
      's = socket.socket()',
      's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)',
      's.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)',
      `s.connect(("127.0.0.1", ${new URL(s.url).port}))`,
      'body = b\'{"prompt": "import os\\\\n", "max_tokens": 4096, "temperature": 0, "stream": true}\'',
      's.sendall(b"POST /v1/completions HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)',
      'time.sleep(20)',
    ].join('\n')], { stdio: 'ignore' });
    try {
      expect(await slowSender).toMatch(/^HTTP\/1\.1 408/);
      await eventually(async () => (await metric(s.url, 'ssmc_rejected_total', '{reason="slow_client"}')) === dropsBefore + 1, 20_000);
      const r = await running;
      expect(r.errors).toEqual([]);
      expect(r.text).toBe(expected);
    } finally {
      reader.kill();
    }
  }, 40_000);

  it('v2 infer: wrong datatypes, shapes, data, names and sizes get 400 (or 404/413) naming the field', async () => {
    const infer = (body: unknown) => postJson(`${s.url}/v2/models/gss/infer`, body);
    const ok = { name: 'input', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] };
    const cases: [unknown, number, RegExp][] = [
      [{ inputs: [{ ...ok, datatype: 'FP32' }] }, 400, /inputs\[0\] \('input'\): datatype FP32 does not match the model input, which is INT64/],
      [{ inputs: [{ ...ok, shape: [3] }] }, 400, /shape \[3\] does not fit the model input's \[-1, -1\]/],
      [{ inputs: [{ ...ok, data: [1, 2] }] }, 400, /"data" holds 2 elements but shape \[1, 3\] needs 3/],
      [{ inputs: [{ ...ok, data: [1, 2, 'x'] }] }, 400, /element 2 of "data" must be an integer/],
      [{ inputs: [{ ...ok, data: [1, 2, 3.5] }] }, 400, /element 2 of "data" must be an integer/],
      [{ inputs: [{ ...ok, name: 'tokens' }] }, 400, /'tokens' is not an input of model 'gss'; its inputs are 'input'/],
      [{ inputs: [{ ...ok, shape: [1, -3] }] }, 400, /'inputs\[0\]\.shape\[1\]' must be >= 0/],
      [{ inputs: [{ ...ok, shape: '1,3' }] }, 400, /'inputs\[0\]\.shape' must be an array/],
      [{ inputs: [{ name: 'input', shape: [1, 3], datatype: 'INT64' }] }, 400, /no "data"/],
      [{ inputs: [ok], outputs: [{ name: 'logits' }] }, 400, /outputs\[0\]: 'logits' is not an output/],
      [{ inputs: [] }, 400, /'inputs' must NOT have fewer than 1 items/],
      [{ inputs: [{ ...ok, shape: [100000, 100000] }] }, 400, /more than the server's limit/],
    ];
    for (const [body, status, message] of cases) {
      const r = await infer(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.error, JSON.stringify(body)).toMatch(message);
    }
    expect((await postJson(`${s.url}/v2/models/other/infer`, { inputs: [ok] })).status).toBe(404);
    expect((await postJson(`${s.url}/v2/models/gss/versions/2/infer`, { inputs: [ok] })).status).toBe(404);
    expect((await postJson(`${s.url}/v2/models/gss/versions/1/infer`, { inputs: [ok] })).status).toBe(200);
    const big = await postRaw(`${s.url}/v2/models/gss/infer`, JSON.stringify({ inputs: [{ ...ok, shape: [1, 40000], data: new Array(40000).fill(7) }] }));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error).toMatch(/larger than the server's limit of 65536 bytes/);
    // Binary data whose size disagrees with the shape.
    const head = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'INT64', parameters: { binary_data_size: 16 } }] });
    const bin = await postRaw(`${s.url}/v2/models/gss/infer`, Buffer.concat([Buffer.from(head), Buffer.alloc(16)]), { 'inference-header-content-length': String(Buffer.byteLength(head)) });
    expect(bin.status).toBe(400);
    expect(JSON.parse(bin.body).error).toMatch(/binary_data_size is 16 bytes but shape \[1, 3\] of INT64 needs 24/);
  }, 30_000);

  it('SIGTERM: a stream that can finish in the grace period finishes, a longer one ends with an error event and [DONE]; exit code 0', async () => {
    const short = streamCompletion(s.url, { prompt: PROMPT, max_tokens: 150, temperature: 0 });
    const long = streamCompletion(s.url, { prompt: 'x', max_tokens: 4096, temperature: 0 });
    await eventually(async () => (await metric(s.url, 'ssmc_running_sequences')) === 2);
    const code = s.stop();
    const [a, b] = await Promise.all([short, long]);
    expect(a.errors).toEqual([]);
    expect(a.text).toBe(expected);
    expect(a.done).toBe(true);
    expect(b.errors).toEqual([expect.stringMatching(/shutting down/)]);
    expect(b.done).toBe(true);
    expect(await code).toBe(0);
    expect(s.output()).toMatch(/SIGTERM: finishing running requests/);
    await expect(fetch(`${s.url}/v2/health/live`)).rejects.toThrow();
  }, 30_000);
});

