import { UserError } from '../errors.js';
import { backendName, COMPILE_TARGET, prepareBackend } from '../runtime/select.js';
import { loadServedModel, type ServedModel } from '../serve/load.js';
import { DEFAULT_SERVE_OPTIONS, startServer, type RunningServer, type ServeOptions } from '../serve/server.js';
import { flag, parseArgv, type Parsed } from './argv.js';
import { parseThreads } from './compile-command.js';
import { cliProgress } from './progress-terminal.js';

/**
 * `ssmc serve <model>`: the KServe/Triton v2 inference API for the model and, for a language
 * model, OpenAI-style /v1/completions with continuous batching over its step graph.
 */
export async function serveCommand(argv: string[]): Promise<void> {
  const p = parseArgv('serve', argv, {
    weights: { value: true }, host: { value: true }, port: { value: true }, name: { value: true }, backend: { value: true },
    threads: { value: true }, 'max-batch': { value: true }, 'max-queue': { value: true }, 'max-body': { value: true },
    'max-prompt': { value: true }, 'max-tokens': { value: true }, timeout: { value: true }, 'receive-timeout': { value: true },
    'max-stream-buffer': { value: true }, 'shutdown-grace': { value: true }, quiet: { value: false, alias: 'q' },
  });
  if (p.positionals.length !== 1) throw new UserError('ssmc serve: give one model: ssmc serve <model.json|model.onnx> [--weights ckpt.safetensors] [--port N]');
  const backend = backendName(flag(p, 'backend') ?? 'node', 'ssmc serve: --backend');
  // On this thread: the engines' worker threads cannot set the environment native code reads.
  await prepareBackend(backend);
  const d = DEFAULT_SERVE_OPTIONS;
  const seconds = (name: string, dflt: number) => 1000 * num(p, name, dflt / 1000, 0.001, 86_400);
  const opts: ServeOptions = {
    host: flag(p, 'host') ?? d.host,
    port: num(p, 'port', d.port, 0, 65535, true),
    backend,
    threads: flag(p, 'threads') === undefined ? d.threads : parseThreads(flag(p, 'threads')),
    maxBatch: num(p, 'max-batch', d.maxBatch, 1, 4096, true),
    maxQueue: num(p, 'max-queue', d.maxQueue, 0, 1_000_000, true),
    maxBodyBytes: num(p, 'max-body', d.maxBodyBytes, 1024, 2 ** 31, true),
    maxPromptTokens: num(p, 'max-prompt', d.maxPromptTokens, 1, 1 << 20, true),
    maxTokens: num(p, 'max-tokens', d.maxTokens, 1, 1 << 20, true),
    maxTensorElements: d.maxTensorElements,
    timeoutMs: seconds('timeout', d.timeoutMs),
    receiveTimeoutMs: seconds('receive-timeout', d.receiveTimeoutMs),
    maxStreamBuffer: num(p, 'max-stream-buffer', d.maxStreamBuffer, 1, 2 ** 31, true),
    shutdownGraceMs: seconds('shutdown-grace', d.shutdownGraceMs),
  };
  const path = p.positionals[0]!;
  const t0 = performance.now();
  // Start-up progress on stderr (a terminal only), done before the server says it is listening.
  const { progress, stop: stopProgress } = cliProgress(p.flags.has('quiet'));
  let model: ServedModel, server: RunningServer;
  try {
    model = loadServedModel(path, { weights: flag(p, 'weights'), name: flag(p, 'name'), threads: opts.threads, runtime: COMPILE_TARGET[backend], progress });
    server = await progress.run(`start engines (${opts.backend}) and listen`, () => startServer(model, opts));
  } finally {
    stopProgress();
  }
  const what = model.lm ? `language model, vocabulary ${model.lm.vocab}, ${model.lm.prefill ? 'prefill + step graphs' : 'step graph (prompts fed step by step)'}` : `not a language model (${model.noLm})`;
  console.log(`ssmc serve: '${model.name}' (${what}) ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`listening on ${server.url}`);
  console.log(`  v2 (KServe/Triton): ${server.url}/v2/models/${model.name}/infer${model.lm ? `\n  OpenAI: ${server.url}/v1/completions` : ''}\n  metrics: ${server.url}/metrics`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`ssmc serve: ${signal}: finishing running requests (up to ${opts.shutdownGraceMs / 1000} s), then stopping`);
    server.close().then(
      () => {
        console.log('ssmc serve: stopped');
        process.exit(0);
      },
      (e) => {
        console.error(`ssmc serve: error while stopping: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Served until a signal: main() must not exit the process when this returns.
  await new Promise<never>(() => {});
}

function num(p: Parsed, name: string, dflt: number, min: number, max: number, integer = false): number {
  const v = flag(p, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UserError(`ssmc serve: --${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got '${v}'`);
  }
  return n;
}
