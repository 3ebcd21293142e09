import { createServer } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { UserError } from '../errors.js';
import type { BackendName } from '../runtime/backend.js';
import { registerCompletions } from './completions.js';
import { InferEngine, LmEngine } from './engine.js';
import { HttpError } from './http-error.js';
import type { ServedModel } from './load.js';
import { ServerMetrics } from './metrics.js';
import { registerV2 } from './v2-routes.js';

export interface ServeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  backend: BackendName;
  /** onnxruntime intra-op threads of each engine thread. */
  threads: number;
  /** Sequences decoded together at most. */
  maxBatch: number;
  /** Requests that may wait for a slot (completions) or for the model (v2) before 429. */
  maxQueue: number;
  maxBodyBytes: number;
  maxPromptTokens: number;
  /** The largest max_tokens a completion may ask for. */
  maxTokens: number;
  /** Elements of one v2 input tensor at most. */
  maxTensorElements: number;
  /** A request (queue wait included) that runs longer is ended: 504, or an error event on a stream. */
  timeoutMs: number;
  /** A request whose headers and body take longer to arrive gets 408. */
  receiveTimeoutMs: number;
  /** A stream whose client leaves more unread output than this is dropped (slow client). */
  maxStreamBuffer: number;
  /** On SIGTERM, how long running requests may take to finish before they are ended. */
  shutdownGraceMs: number;
  /** Prompt tokens prefilled per scheduler iteration (bounds the stall a burst of prompts causes). */
  prefillBudget?: number;
}

export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  host: '127.0.0.1', port: 8000, backend: 'node', threads: 1, maxBatch: 32, maxQueue: 64,
  maxBodyBytes: 16 * 1024 * 1024, maxPromptTokens: 8192, maxTokens: 4096, maxTensorElements: 16 * 1024 * 1024,
  timeoutMs: 120_000, receiveTimeoutMs: 30_000, maxStreamBuffer: 1024 * 1024, shutdownGraceMs: 10_000,
};

/** A request in progress, so that shutdown can wait for it or end it. */
export interface ActiveRequest {
  /** End it now (server shutting down): an error event on a stream, 503 otherwise. */
  abort(reason: string): void;
  readonly finished: Promise<void>;
}

export interface ServerContext {
  model: ServedModel;
  opts: ServeOptions;
  metrics: ServerMetrics;
  lm: LmEngine | null;
  infer: InferEngine;
  /** Set when shutdown begins: new requests get 503. */
  closing: boolean;
  active: Set<ActiveRequest>;
}

export interface RunningServer {
  url: string;
  context: ServerContext;
  /** Stop taking requests, let running ones finish (up to shutdownGraceMs), end the rest, stop the engines. */
  close(): Promise<void>;
}

/** Start the engines and the HTTP server; resolves once both listen. */
export async function startServer(model: ServedModel, opts: ServeOptions): Promise<RunningServer> {
  const infer = await InferEngine.start({ kind: 'infer', model: model.graph, backend: opts.backend, threads: opts.threads });
  const lm = model.lm
    ? await LmEngine.start({ kind: 'lm', lm: model.lm, backend: opts.backend, threads: opts.threads, maxBatch: opts.maxBatch, prefillBudget: opts.prefillBudget })
    : null;
  const metrics = new ServerMetrics();
  const ctx: ServerContext = { model, opts, metrics, lm, infer, closing: false, active: new Set() };
  lm?.onIteration((stats, snap) => {
    if (stats.batch > 0) {
      metrics.batchSize.observe(stats.batch);
      metrics.stepSeconds.observe(stats.stepMs / 1000);
    }
    if (stats.prefillCalls > 0) {
      metrics.prefillSeconds.observe(stats.prefillMs / 1000 / stats.prefillCalls);
      metrics.prefillBatch.observe(stats.prefilled / stats.prefillCalls);
    }
    metrics.running.set(snap.running);
  });
  metrics.stateBytes.set(lm?.reservedBytes ?? 0);
  metrics.queueProbe = () => ({ lm: lm ? Math.max(0, lm.inFlight - opts.maxBatch) : 0, infer: Math.max(0, infer.inFlight - 1) });
  metrics.inFlightProbe = () => (lm?.inFlight ?? 0) + infer.inFlight;

  const app = buildApp(ctx);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (e) {
    await Promise.all([lm?.stop(), infer.stop()]);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`--port ${opts.port}: the port is in use on ${opts.host}; choose another (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host ${opts.host}: not an address of this machine`);
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { url: `http://${host}:${port}`, context: ctx, close: () => shutdown(app, ctx) };
}

function buildApp(ctx: ServerContext): FastifyInstance {
  const { opts } = ctx;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.maxBodyBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Strict JSON Schema: a wrong type is an error naming the field, never silently coerced.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true } },
    serverFactory: (handler) => {
      const server = createServer({
        requestTimeout: opts.receiveTimeoutMs,
        headersTimeout: Math.min(opts.receiveTimeoutMs, 60_000),
        // How often Node checks those timeouts: a slow sender gets its 408 within a second of them.
        connectionsCheckingInterval: Math.min(1000, opts.receiveTimeoutMs),
      }, handler);
      return server;
    },
  });

  app.addHook('onRequest', async (req) => {
    if (ctx.closing) throw new HttpError(503, 'the server is shutting down', { type: 'server_shutdown' });
    (req as RequestWithStart).startedAt = performance.now();
  });
  app.addHook('onResponse', async (req, reply) => {
    const endpoint = endpointOf(req);
    ctx.metrics.requests.inc({ endpoint, code: String(reply.statusCode) });
    const t0 = (req as RequestWithStart).startedAt;
    if (t0 !== undefined) ctx.metrics.requestSeconds.observe({ endpoint }, (performance.now() - t0) / 1000);
  });
  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => sendError(req, reply, err));
  app.setNotFoundHandler((req, reply) => sendError(req, reply, new HttpError(404, `no route ${req.method} ${req.url.split('?')[0]}; this server has /v2 (KServe/Triton v2 inference), ${ctx.lm ? '/v1/completions, ' : ''}/metrics`, { type: 'not_found' })));

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
  registerV2(app, ctx);
  if (ctx.lm) registerCompletions(app, ctx, ctx.lm);
  else {
    app.post('/v1/completions', async () => {
      throw new HttpError(404, `model '${ctx.model.name}' is not a language model this server can generate from: ${ctx.model.noLm}`, { type: 'not_found', param: 'model' });
    });
  }
  return app;
}

type RequestWithStart = FastifyRequest & { startedAt?: number };

/** The endpoint label of a request, with the model name left out (bounded label values). */
export function endpointOf(req: FastifyRequest): string {
  const route = req.routeOptions?.url;
  return route ?? 'unknown';
}

/**
 * Every error as JSON: `{"error": {"message", "type", "param", "code"}}` on the OpenAI routes
 * (what their clients parse), `{"error": "message"}` on the v2 routes (what the protocol says).
 */
export function sendError(req: FastifyRequest, reply: FastifyReply, err: FastifyError | HttpError | Error): FastifyReply {
  const { status, message, param, type, headers } = describeError(err, req.routeOptions?.bodyLimit ?? 0);
  if (status >= 500 && !(err instanceof HttpError)) console.error(`ssmc serve: ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
  if (headers) reply.headers(headers);
  reply.code(status).type('application/json');
  if (req.url.startsWith('/v1/')) return reply.send({ error: { message, type, param, code: null } });
  return reply.send({ error: message });
}

function describeError(err: FastifyError | HttpError | Error, bodyLimit: number): { status: number; message: string; param: string | null; type: string; headers?: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.status, message: err.message, param: err.extra.param ?? null, type: err.extra.type ?? 'invalid_request_error', headers: err.extra.headers };
  const fe = err as FastifyError;
  if (fe.validation && fe.validation.length > 0) {
    const v = fe.validation[0]!;
    const path = jsonPath(v.instancePath);
    const extra = (v.params as { additionalProperty?: string }).additionalProperty;
    if (extra !== undefined) {
      const field = path ? `${path}.${extra}` : extra;
      return { status: 400, message: `unknown field '${field}' in the request body`, param: field, type: 'invalid_request_error' };
    }
    const field = path || (v.params as { missingProperty?: string }).missingProperty || 'body';
    const types = (v.params as { type?: string | string[] }).type;
    const rule = v.keyword === 'type' && types !== undefined ? `must be ${[types].flat().map((t) => (t === 'null' ? 'null' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`)).join(' or ')}` : v.message;
    const what = v.keyword === 'required' ? `missing required field '${path ? `${path}.` : ''}${(v.params as { missingProperty: string }).missingProperty}'` : `'${field}' ${rule}`;
    return { status: 400, message: what, param: field, type: 'invalid_request_error' };
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `the request body is larger than the server's limit of ${bodyLimit} bytes (--max-body)`, param: null, type: 'invalid_request_error' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: `the request body is not valid JSON: ${fe.message}`, param: null, type: 'invalid_request_error' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: `${fe.message}; send application/json`, param: null, type: 'invalid_request_error' };
  }
  if (err instanceof SyntaxError) return { status: 400, message: `the request body is not valid JSON: ${err.message}`, param: null, type: 'invalid_request_error' };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return { status: fe.statusCode, message: fe.message, param: null, type: 'invalid_request_error' };
  return { status: 500, message: `internal error: ${err.message}`, param: null, type: 'server_error' };
}

/** ajv's `/inputs/0/shape` → `inputs[0].shape`. */
function jsonPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

async function shutdown(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  if (ctx.closing) return;
  ctx.closing = true;
  // Stop accepting; idle keep-alive sockets close now, busy ones when their response ends.
  const closed = app.close();
  const running = [...ctx.active];
  const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ctx.opts.shutdownGraceMs).unref());
  if ((await Promise.race([Promise.all(running.map((r) => r.finished)), grace])) === 'timeout') {
    for (const r of ctx.active) r.abort('the server is shutting down');
  }
  await closed;
  await Promise.all([ctx.lm?.stop(), ctx.infer.stop()]);
}
