import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Tensor } from '../../ir/tensor.js';
import { InferFailure } from './engine.js';
import { HttpError, badRequest } from './http-error.js';
import type { ActiveRequest, ServerContext } from './server.js';
import { SERVER_VERSION } from './version.js';
import { decodeInput, encodeOutput, v2Shape, V2_DATATYPE, type RequestInput, type TensorSpec } from './v2-tensors.js';

/**
 * The Open Inference Protocol v2 REST API (KServe / Triton): health, server and model metadata,
 * model readiness and inference, with Triton's binary tensor data extension so that tritonclient
 * works with its defaults (binary inputs, binary outputs).
 */

const MODEL_VERSION = '1';

interface InferBody {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: RequestInput[];
  outputs?: { name: string; parameters?: Record<string, unknown> }[];
}

const parametersSchema = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } };
const inferSchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    parameters: parametersSchema,
    inputs: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', required: ['name', 'shape', 'datatype'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
          datatype: { type: 'string' },
          parameters: parametersSchema,
          data: { type: 'array' },
        },
      },
    },
    outputs: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parameters: parametersSchema } },
    },
  },
};

/** The binary part of a request (after Inference-Header-Content-Length bytes of JSON). */
const binaryParts = new WeakMap<FastifyRequest, Buffer>();

export function registerV2(app: FastifyInstance, ctx: ServerContext): void {
  const healthy = () => !ctx.infer.failure && !(ctx.lm && ctx.lm.failure);
  app.get('/v2', async () => ({ name: 'ssmc', version: SERVER_VERSION, extensions: ['binary_tensor_data'] }));
  app.get('/v2/health/live', async (_req, reply) => reply.code(healthy() ? 200 : 400).send({ live: healthy() }));
  app.get('/v2/health/ready', async (_req, reply) => reply.code(healthy() ? 200 : 400).send({ ready: healthy() }));

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, async (req) => {
      checkModel(ctx, req);
      const tensor = (t: TensorSpec) => ({ name: t.name, datatype: V2_DATATYPE[t.dtype] ?? t.dtype.toUpperCase(), shape: v2Shape(t.shape) });
      return {
        name: ctx.model.name, versions: [MODEL_VERSION], platform: 'onnx_onnxv1',
        inputs: ctx.model.inputs.map(tensor), outputs: ctx.model.outputs.map(tensor),
      };
    });
    app.get(`${prefix}/ready`, async (req, reply) => {
      checkModel(ctx, req);
      return reply.code(healthy() ? 200 : 400).send({ name: ctx.model.name, ready: healthy() });
    });
  }

  // Inference bodies: JSON, or JSON followed by binary tensor data; tritonclient sends the latter
  // without a content type, so this scope takes any.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
      const buf = body as Buffer;
      const header = req.headers['inference-header-content-length'];
      let jsonPart = buf;
      if (header !== undefined) {
        const n = Number(header);
        if (!Number.isInteger(n) || n < 0 || n > buf.byteLength) {
          done(badRequest(`Inference-Header-Content-Length is ${JSON.stringify(header)} but the body has ${buf.byteLength} bytes; it must give the length of the JSON part`), undefined);
          return;
        }
        jsonPart = buf.subarray(0, n);
        binaryParts.set(req, buf.subarray(n));
      }
      if (req.headers['content-encoding'] && req.headers['content-encoding'] !== 'identity') {
        done(new HttpError(415, `Content-Encoding ${req.headers['content-encoding']} is not supported; send the body uncompressed`), undefined);
        return;
      }
      json(req, jsonPart.toString('utf8'), done);
    });
    for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
      scope.post(`${prefix}/infer`, { schema: { body: inferSchema } }, (req, reply) => infer(ctx, req, reply));
    }
  });
}

function checkModel(ctx: ServerContext, req: FastifyRequest): void {
  const { name, version } = req.params as { name: string; version?: string };
  if (name !== ctx.model.name) throw new HttpError(404, `unknown model '${name}'; this server serves '${ctx.model.name}'`);
  if (version !== undefined && version !== MODEL_VERSION) throw new HttpError(404, `model '${name}' has no version '${version}'; it has version ${MODEL_VERSION}`);
}

async function infer(ctx: ServerContext, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  checkModel(ctx, req);
  const body = req.body as InferBody;
  const feeds = decodeInputs(ctx, body, binaryParts.get(req) ?? null);
  const wanted = requestedOutputs(ctx, body);
  if (ctx.infer.inFlight >= 1 + ctx.opts.maxQueue) {
    ctx.metrics.rejected.inc({ reason: 'queue_full' });
    throw new HttpError(429, `the model's queue is full (${ctx.opts.maxQueue} requests wait already, --max-queue); retry later`, { type: 'queue_full', headers: { 'retry-after': '1' } });
  }

  const job = ctx.infer.infer(feeds, wanted.map((w) => w.name));
  let settle!: () => void;
  const entry: ActiveRequest = { abort: () => job.cancel(), finished: new Promise<void>((r) => (settle = r)) };
  ctx.active.add(entry);
  const onClose = () => job.cancel();
  reply.raw.once('close', onClose);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HttpError(504, `inference took longer than the server's limit of ${ctx.opts.timeoutMs / 1000} s (--timeout)`, { type: 'timeout' })), ctx.opts.timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => {
      entry.abort = (reason) => {
        job.cancel();
        reject(new HttpError(503, reason, { type: 'server_shutdown' }));
      };
    });
    let result: { outputs: Map<string, Tensor>; ms: number };
    try {
      result = await Promise.race([job.result, timeout, aborted]);
    } catch (e) {
      job.cancel();
      if (e instanceof HttpError && e.status === 504) ctx.metrics.rejected.inc({ reason: 'timeout' });
      if (e instanceof InferFailure) throw e.user ? badRequest(e.message) : new HttpError(500, `inference failed: ${e.message}`, { type: 'server_error' });
      throw e;
    }
    ctx.metrics.inferSeconds.observe(result.ms / 1000);
    sendOutputs(ctx, reply, body, wanted, result.outputs);
  } finally {
    clearTimeout(timer);
    reply.raw.off('close', onClose);
    ctx.active.delete(entry);
    settle();
  }
}

function decodeInputs(ctx: ServerContext, body: InferBody, binary: Buffer | null): Map<string, Tensor> {
  const feeds = new Map<string, Tensor>();
  let offset = 0;
  body.inputs.forEach((input, i) => {
    const at = `inputs[${i}]`;
    const spec = ctx.model.inputs.find((s) => s.name === input.name);
    if (!spec) throw badRequest(`${at}: '${input.name}' is not an input of model '${ctx.model.name}'; its inputs are ${ctx.model.inputs.map((s) => `'${s.name}'`).join(', ')}`, `${at}.name`);
    if (feeds.has(input.name)) throw badRequest(`${at}: input '${input.name}' is given twice`, `${at}.name`);
    const size = input.parameters?.binary_data_size;
    let bytes: Uint8Array | null = null;
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw badRequest(`${at}: parameters.binary_data_size must be a non-negative integer`, `${at}.parameters.binary_data_size`);
      if (input.data !== undefined) throw badRequest(`${at}: give either "data" or parameters.binary_data_size, not both`, `${at}.data`);
      const available = binary ? binary.byteLength - offset : 0;
      if (size > available) {
        throw badRequest(`${at}: binary_data_size ${size} is more than the ${available} bytes of binary data left${binary ? '' : ' (no Inference-Header-Content-Length header, so the body has no binary part)'}`, `${at}.parameters.binary_data_size`);
      }
      bytes = binary!.subarray(offset, offset + size);
      offset += size;
    }
    feeds.set(input.name, decodeInput(input, at, spec, ctx.opts.maxTensorElements, bytes));
  });
  if (binary && offset !== binary.byteLength) throw badRequest(`the body has ${binary.byteLength - offset} bytes of binary data that no input's binary_data_size accounts for`);
  const missing = ctx.model.inputs.filter((s) => !feeds.has(s.name));
  if (missing.length > 0) throw badRequest(`no tensor for model input${missing.length > 1 ? 's' : ''} ${missing.map((s) => `'${s.name}'`).join(', ')}`, 'inputs');
  return feeds;
}

function requestedOutputs(ctx: ServerContext, body: InferBody): { name: string; binary: boolean }[] {
  const allBinary = body.parameters?.binary_data_output === true;
  if (!body.outputs) return ctx.model.outputs.map((o) => ({ name: o.name, binary: allBinary }));
  return body.outputs.map((o, i) => {
    if (!ctx.model.outputs.some((s) => s.name === o.name)) {
      throw badRequest(`outputs[${i}]: '${o.name}' is not an output of model '${ctx.model.name}'; its outputs are ${ctx.model.outputs.map((s) => `'${s.name}'`).join(', ')}`, `outputs[${i}].name`);
    }
    const b = o.parameters?.binary_data;
    return { name: o.name, binary: typeof b === 'boolean' ? b : allBinary };
  });
}

function sendOutputs(ctx: ServerContext, reply: FastifyReply, body: InferBody, wanted: { name: string; binary: boolean }[], outputs: Map<string, Tensor>): void {
  const encoded = wanted.map((w) => encodeOutput(w.name, outputs.get(w.name)!, w.binary));
  const head: Record<string, unknown> = { model_name: ctx.model.name, model_version: MODEL_VERSION };
  if (body.id !== undefined) head.id = body.id;
  head.outputs = encoded.map((e) => e.json);
  const binary = encoded.flatMap((e) => (e.bytes ? [e.bytes] : []));
  if (binary.length === 0) {
    void reply.type('application/json').send(head);
    return;
  }
  const json = Buffer.from(JSON.stringify(head));
  reply.header('inference-header-content-length', String(json.byteLength));
  void reply.type('application/octet-stream').send(Buffer.concat([json, ...binary]));
}
