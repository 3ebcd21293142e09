import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UserError } from '../errors.js';
import { checkSamplingParams, type SamplingParams } from '../sampling.js';
import type { LmEngine } from './engine.js';
import { HttpError, badRequest } from './http-error.js';
import { isByteLevel } from './lm.js';
import type { ActiveRequest, ServerContext } from './server.js';
import { StopMatcher } from './stop.js';

/**
 * `POST /v1/completions` in the OpenAI shape, over the continuous batcher: prompt as text (UTF-8
 * bytes for byte-level models) or token ids; max_tokens, temperature, top_p, top_k, seed, stop;
 * `stream: true` as server-sent events ending in `data: [DONE]`.
 */

interface CompletionBody {
  model?: string;
  prompt: unknown;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  seed?: number | null;
  stop?: unknown;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  echo?: boolean | null;
  n?: number | null;
  best_of?: number | null;
  logprobs?: unknown;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: unknown;
  suffix?: unknown;
  user?: string;
  return_token_ids?: boolean;
}

const nullable = (t: string, extra: Record<string, unknown> = {}) => ({ type: [t, 'null'], ...extra });
const completionSchema = {
  type: 'object',
  required: ['prompt'],
  additionalProperties: false,
  properties: {
    model: { type: 'string' },
    prompt: {},
    max_tokens: nullable('integer', { minimum: 1 }),
    temperature: nullable('number', { minimum: 0, maximum: 2 }),
    top_p: nullable('number', { exclusiveMinimum: 0, maximum: 1 }),
    top_k: nullable('integer', { minimum: -1 }),
    seed: nullable('integer'),
    stop: {},
    stream: nullable('boolean'),
    stream_options: { type: ['object', 'null'], additionalProperties: false, properties: { include_usage: { type: 'boolean' } } },
    echo: nullable('boolean'),
    n: nullable('integer'),
    best_of: nullable('integer'),
    logprobs: {},
    presence_penalty: nullable('number'),
    frequency_penalty: nullable('number'),
    logit_bias: {},
    suffix: {},
    user: { type: 'string' },
    return_token_ids: { type: 'boolean' },
  },
};

/** OpenAI's defaults where the request leaves a field out. */
const DEFAULT_MAX_TOKENS = 16;
const DEFAULT_TEMPERATURE = 1;

export function registerCompletions(app: FastifyInstance, ctx: ServerContext, lm: LmEngine): void {
  app.get('/v1/models', async () => ({
    object: 'list',
    data: [{ id: ctx.model.name, object: 'model', created: STARTED, owned_by: 'ssmc' }],
  }));
  app.post('/v1/completions', { schema: { body: completionSchema } }, (req, reply) => complete(ctx, lm, req, reply));
}

const STARTED = Math.floor(Date.now() / 1000);

interface Plan {
  prompt: number[];
  maxTokens: number;
  sampling: SamplingParams;
  stops: string[];
  stream: boolean;
  includeUsage: boolean;
  echo: boolean;
  tokenIds: boolean;
}

function plan(ctx: ServerContext, body: CompletionBody): Plan {
  if (body.model !== undefined && body.model !== ctx.model.name) {
    throw new HttpError(404, `the model '${body.model}' does not exist; this server serves '${ctx.model.name}'`, { param: 'model', type: 'invalid_request_error' });
  }
  const unsupported = (param: string, why: string) => badRequest(`'${param}' ${why}`, param);
  if (body.n != null && body.n !== 1) throw unsupported('n', 'must be 1: one completion per request');
  if (body.best_of != null && body.best_of !== 1) throw unsupported('best_of', 'must be 1: one completion per request');
  if (body.logprobs != null && body.logprobs !== 0) throw unsupported('logprobs', 'is not supported by this server; leave it out');
  if (body.presence_penalty) throw unsupported('presence_penalty', 'is not supported by this server; leave it out or set 0');
  if (body.frequency_penalty) throw unsupported('frequency_penalty', 'is not supported by this server; leave it out or set 0');
  if (body.logit_bias != null && !(typeof body.logit_bias === 'object' && Object.keys(body.logit_bias).length === 0)) throw unsupported('logit_bias', 'is not supported by this server; leave it out');
  if (body.suffix != null) throw unsupported('suffix', 'is not supported by this server; leave it out');

  const lm = ctx.model.lm!;
  const prompt = promptTokens(body.prompt, lm.vocab);
  if (prompt.length === 0) throw badRequest("'prompt' is empty; the model needs at least one token to condition on", 'prompt');
  if (prompt.length > ctx.opts.maxPromptTokens) throw badRequest(`'prompt' has ${prompt.length} tokens, more than the server's limit of ${ctx.opts.maxPromptTokens} (--max-prompt)`, 'prompt');
  const maxTokens = body.max_tokens ?? DEFAULT_MAX_TOKENS;
  if (maxTokens > ctx.opts.maxTokens) throw badRequest(`'max_tokens' is ${maxTokens}, more than the server's limit of ${ctx.opts.maxTokens} (--max-tokens)`, 'max_tokens');
  const sampling: SamplingParams = {
    temperature: body.temperature ?? DEFAULT_TEMPERATURE,
    topK: Math.max(0, body.top_k ?? 0),
    topP: body.top_p ?? 1,
    seed: body.seed ?? randomInt(2 ** 31),
  };
  const names: Record<keyof SamplingParams, string> = { temperature: 'temperature', topK: 'top_k', topP: 'top_p', seed: 'seed' };
  let culprit = 'seed';
  try {
    // The name callback runs only for the rule that fails: it tells which field to report.
    checkSamplingParams(sampling, (k) => `'${(culprit = names[k])}'`);
  } catch (e) {
    if (e instanceof UserError) throw badRequest(e.message, culprit);
    throw e;
  }
  return {
    prompt, maxTokens, sampling, stops: stopSequences(body.stop), stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true, echo: body.echo === true, tokenIds: body.return_token_ids === true,
  };
}

function promptTokens(prompt: unknown, vocab: number): number[] {
  if (typeof prompt === 'string') {
    if (!isByteLevel({ vocab })) throw badRequest(`'prompt' is text, but this model's vocabulary (${vocab} tokens) is larger than the 256 byte values and the server has no tokenizer for it; send token ids`, 'prompt');
    const bytes = [...new TextEncoder().encode(prompt)];
    const outside = bytes.findIndex((t) => t >= vocab);
    if (outside >= 0) throw badRequest(`'prompt' byte ${outside} is ${bytes[outside]}, but this model's vocabulary has ${vocab} tokens (0 to ${vocab - 1}); send text within it or token ids`, 'prompt');
    return bytes;
  }
  if (Array.isArray(prompt) && prompt.every((t) => typeof t === 'number')) {
    prompt.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= vocab) throw badRequest(`'prompt[${i}]' is ${t}; token ids are integers from 0 to ${vocab - 1}`, 'prompt');
    });
    return prompt as number[];
  }
  if (Array.isArray(prompt)) throw badRequest("'prompt' must be one prompt: a string or an array of token ids (one completion per request)", 'prompt');
  throw badRequest("'prompt' must be a string or an array of token ids", 'prompt');
}

function stopSequences(stop: unknown): string[] {
  if (stop == null) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw badRequest("'stop' must be a non-empty string or an array of up to 4 non-empty strings", 'stop');
  }
  return list as string[];
}

/** Where a completion's output goes: a streamed response or a collected one. */
interface Sink {
  piece(text: string, tokens: number[]): void;
  end(reason: 'stop' | 'length'): void;
  fail(err: HttpError, reason: string): void;
}

async function complete(ctx: ServerContext, lm: LmEngine, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const p = plan(ctx, req.body as CompletionBody);
  if (lm.failure) throw new HttpError(503, `the generation engine stopped: ${lm.failure}`, { type: 'server_error' });
  if (lm.inFlight >= ctx.opts.maxBatch + ctx.opts.maxQueue) {
    ctx.metrics.rejected.inc({ reason: 'queue_full' });
    throw new HttpError(429, `the server is busy: ${ctx.opts.maxBatch} sequences run and ${ctx.opts.maxQueue} wait already (--max-batch, --max-queue); retry later`, { type: 'queue_full', headers: { 'retry-after': '1' } });
  }
  ctx.metrics.promptTokens.inc(p.prompt.length);
  const id = `cmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = (completion: number) => ({ prompt_tokens: p.prompt.length, completion_tokens: completion, total_tokens: p.prompt.length + completion });
  const promptText = p.echo && isByteLevel(ctx.model.lm!) ? new TextDecoder().decode(Uint8Array.from(p.prompt)) : '';

  if (!p.stream) {
    return new Promise((resolve, reject) => {
      let text = promptText;
      const tokens: number[] = [];
      run(ctx, lm, p, reply, {
        piece: (t, ids) => {
          text += t;
          tokens.push(...ids);
        },
        end: (reason) => resolve({
          id, object: 'text_completion', created, model: ctx.model.name,
          choices: [{ text, index: 0, logprobs: null, finish_reason: reason, ...(p.tokenIds ? { token_ids: tokens } : {}) }],
          usage: usage(tokens.length),
        }),
        fail: (err) => reject(err),
      });
    });
  }

  // Server-sent events: one chunk per piece of text, a last chunk with the finish reason, [DONE].
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const chunk = (text: string, reason: string | null, ids?: number[]) => ({
    id, object: 'text_completion', created, model: ctx.model.name,
    choices: [{ text, index: 0, logprobs: null, finish_reason: reason, ...(p.tokenIds && ids ? { token_ids: ids } : {}) }],
  });
  const write = (data: unknown) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  let generated = 0;
  const endpoint = '/v1/completions';
  const finishStream = (code: number) => {
    write('[DONE]');
    res.end();
    ctx.metrics.requests.inc({ endpoint, code: String(code) });
  };
  if (promptText) write(chunk(promptText, null, []));
  run(ctx, lm, p, reply, {
    piece: (t, ids) => {
      generated += ids.length;
      write(chunk(t, null, ids));
    },
    end: (reason) => {
      write(chunk('', reason, []));
      if (p.includeUsage) write({ id, object: 'text_completion', created, model: ctx.model.name, choices: [], usage: usage(generated) });
      finishStream(200);
    },
    fail: (err) => {
      if (res.destroyed) return;
      write({ error: { message: err.message, type: err.extra.type ?? 'server_error', param: null, code: null } });
      finishStream(err.status);
    },
  });
  return reply;
}

/**
 * Submit the sequence and route its tokens to `sink`: text decoding (UTF-8 kept whole across
 * tokens), stop sequences, metrics, the per-request timeout, client disconnects, slow clients and
 * shutdown. Exactly one of sink.end / sink.fail is called, unless the client left first.
 */
function run(ctx: ServerContext, lm: LmEngine, p: Plan, reply: FastifyReply, sink: Sink): void {
  const res = reply.raw;
  const decoder = new TextDecoder();
  const stop = new StopMatcher(p.stops);
  const bytes = isByteLevel(ctx.model.lm!);
  const t0 = performance.now();
  let lastAt = 0;
  let done = false;
  let settle!: () => void;
  const entry: ActiveRequest = { abort: (reason) => fail(new HttpError(503, reason, { type: 'server_shutdown' }), 'shutdown'), finished: new Promise<void>((r) => (settle = r)) };

  const finish = () => {
    done = true;
    clearTimeout(timer);
    res.off('close', onClose);
    ctx.active.delete(entry);
    settle();
  };
  const fail = (err: HttpError, reason: string) => {
    if (done) return;
    handle.cancel();
    finish();
    ctx.metrics.rejected.inc({ reason });
    sink.fail(err, reason);
  };
  // The client went away before its completion ended: free its slot, and settle the request
  // (nothing reaches the client any more).
  const onClose = () => fail(new HttpError(499, 'the client closed the connection', { type: 'disconnected' }), 'disconnected');

  const handle = lm.submit({ prompt: p.prompt, maxTokens: p.maxTokens, sampling: p.sampling }, {
    token: (token, last) => {
      if (done) return;
      const now = performance.now();
      if (lastAt === 0) ctx.metrics.timeToFirstToken.observe((now - t0) / 1000);
      else ctx.metrics.interTokenSeconds.observe((now - lastAt) / 1000);
      lastAt = now;
      ctx.metrics.generatedTokens.inc();
      const text = bytes ? decoder.decode(Uint8Array.of(token), { stream: true }) : '';
      const { emit, stopped } = stop.push(text);
      if (emit || p.tokenIds) sink.piece(emit, [token]);
      if (stopped) {
        handle.cancel();
        finish();
        sink.end('stop');
      } else if (last) {
        const rest = stop.push(bytes ? decoder.decode() : '');
        const tail = rest.stopped ? rest.emit : rest.emit + stop.flush();
        if (tail) sink.piece(tail, []);
        finish();
        sink.end(rest.stopped ? 'stop' : 'length');
      } else if (p.stream && res.writableLength > ctx.opts.maxStreamBuffer) {
        // The client reads slower than the model writes: drop it rather than buffer without bound.
        handle.cancel();
        finish();
        ctx.metrics.rejected.inc({ reason: 'slow_client' });
        res.destroy();
      }
    },
    failed: (message) => fail(new HttpError(500, `the generation engine stopped: ${message}`, { type: 'server_error' }), 'engine_failed'),
  });
  const timer = setTimeout(() => fail(new HttpError(504, `the completion took longer than the server's limit of ${ctx.opts.timeoutMs / 1000} s (--timeout)`, { type: 'timeout' }), 'timeout'), ctx.opts.timeoutMs);
  res.on('close', onClose);
  ctx.active.add(entry);
}
