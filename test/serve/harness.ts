import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
export const EXAMPLE = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));
export const GSS_CODE = [`${EXAMPLE}model.json`, '--weights', `${EXAMPLE}gss_code.weights.safetensors`];

export interface Served {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `ssmc serve …` on a free port of 127.0.0.1; resolves when it listens. */
export function serve(args: string[]): Promise<Served> {
  const proc = spawn(process.execPath, [CLI, 'serve', ...args, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8');
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ssmc serve did not start in 90 s:\n${out}`)), 90_000);
    proc.stdout!.on('data', (d: string) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!, proc, output: () => out,
          stop: async () => {
            if (proc.exitCode === null) proc.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    proc.once('exit', (code) => reject(new Error(`ssmc serve exited with ${code}:\n${out}`)));
  });
}

/** `ssmc generate …`: the generated text (stdout without the prompt and the final newline). */
export function generate(prompt: string, args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, 'generate', ...GSS_CODE, '--prompt', prompt, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssmc generate failed: ${r.stderr}`);
  return r.stdout.slice(prompt.length, -1);
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: the caller sees the text
  }
  return { status: r.status, headers: r.headers, json };
}

/**
 * A POST that reads the server's answer even when it comes before the body is sent (a body over
 * the limit gets 413 and the connection closes): headers first, then the body in pieces, and
 * sending stops once the answer is in, as curl does.
 */
export function postRaw(url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; headers: Record<string, unknown>; body: string; bytes: Buffer }> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(bytes.byteLength) } }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const bytes = Buffer.concat(parts);
        resolve({ status: res.statusCode!, headers: res.headers, body: bytes.toString('utf8'), bytes });
      });
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const send = (at: number) => {
      if (answered || at >= bytes.byteLength) return void (at >= bytes.byteLength && req.end());
      const more = req.write(bytes.subarray(at, at + 65536));
      if (more) setImmediate(() => send(at + 65536));
      else req.once('drain', () => send(at + 65536));
    };
    // Headers first: a server that refuses on Content-Length answers before the body starts.
    req.flushHeaders();
    setTimeout(() => send(0), 200);
  });
}

export interface StreamResult {
  status: number;
  text: string;
  tokens: number[];
  finish: string | null;
  errors: string[];
  done: boolean;
  /** performance.now() when each token arrived. */
  times: number[];
}

/**
 * A streamed completion read as server-sent events. `stopAfter` aborts the request once that
 * many chunks have arrived (a client that goes away mid-stream).
 */
export async function streamCompletion(url: string, body: Record<string, unknown>, stopAfter?: number): Promise<StreamResult> {
  const ctl = new AbortController();
  const r = await fetch(`${url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true, return_token_ids: true }), signal: ctl.signal,
  });
  const res: StreamResult = { status: r.status, text: '', tokens: [], finish: null, errors: [], done: false, times: [] };
  if (r.status !== 200) {
    res.errors.push(await r.text());
    return res;
  }
  const decoder = new TextDecoder();
  let buf = '', chunks = 0;
  try {
    for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(part, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!event.startsWith('data: ')) throw new Error(`not an SSE data line: ${event}`);
        const data = event.slice(6);
        if (data === '[DONE]') {
          res.done = true;
          continue;
        }
        const j = JSON.parse(data);
        if (j.error) {
          res.errors.push(j.error.message);
          continue;
        }
        const c = j.choices[0];
        if (!c) continue;
        res.text += c.text;
        for (const t of c.token_ids ?? []) {
          res.tokens.push(t);
          res.times.push(performance.now());
        }
        if (c.finish_reason) res.finish = c.finish_reason;
        if (stopAfter !== undefined && ++chunks >= stopAfter) {
          ctl.abort();
          return res;
        }
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  }
  return res;
}

/** One sample of a Prometheus metric (labels given as `{k="v"}` text, or none). */
export async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** Poll until `probe` holds (or fail after `ms`). */
export async function eventually(probe: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
