import { UserError } from '../errors.js';
import { DEFAULT_ATTENTION_CACHE, MAX_KV_CACHE } from '../models/attention.js';
import { readModelFile } from '../external-data.js';
import { readInput } from '../files.js';
import { backendNamed, COMPILE_TARGET } from '../runtime/select.js';
import { checkSamplingParams, type SamplingParams } from '../sampling.js';
import { ContinuousBatcher } from '../serve/batcher.js';
import { compileLmGraphs, lmFromModels, type LmGraphs } from '../serve/lm.js';
import { parseThreads } from './compile-command.js';
import { flag, intFlag, parseArgv } from './argv.js';
import { describeSource, MODEL_SOURCE_FLAGS, modelSourceFrom, randomInitWarning } from './model-flags.js';

/** Prompts of at most this many bytes (a step graph alone feeds them one position at a time). */
export const MAX_PROMPT_BYTES = 64 * 1024;
export const MAX_NEW_TOKENS = 100_000;

const USAGE = 'ssmc generate <model.json|config.yaml|step.onnx> [--weights ckpt] (--prompt "…" | --prompt-file F | --prompt-ids 1,2,3), or ssmc generate --weights last.ckpt --prompt-ids 1,2,3';

/**
 * `ssmc generate`: generation from a language model's step graph — the prompt is prefilled (or,
 * with a step graph alone, fed one position at a time), then tokens are sampled and streamed as
 * they come. Text prompts are bytes (a vocabulary of at most 256); `--prompt-ids` gives token ids
 * for any vocabulary, and the tokens come out as ids. It runs the server's batcher with one
 * sequence, so a seeded `ssmc serve` completion gives the same tokens.
 */
export async function generateCommand(argv: string[]): Promise<void> {
  const p = parseArgv('generate', argv, {
    ...MODEL_SOURCE_FLAGS, prompt: { value: true }, 'prompt-file': { value: true }, 'prompt-ids': { value: true }, 'max-tokens': { value: true },
    temperature: { value: true }, 'top-k': { value: true }, 'top-p': { value: true }, seed: { value: true }, threads: { value: true },
    backend: { value: true }, 'kv-cache': { value: true }, 'allow-large': { value: false },
  });
  const ids = flag(p, 'prompt-ids');
  const promptFile = flag(p, 'prompt-file');
  if ([ids, promptFile, flag(p, 'prompt')].filter((x) => x !== undefined).length > 1) {
    throw new UserError('ssmc generate: give one of --prompt (text), --prompt-file (a file of text) and --prompt-ids (token ids)');
  }
  const prompt = ids !== undefined ? parsePromptIds(ids)
    : promptFile !== undefined ? [...readInput(promptFile, 'prompt file', MAX_PROMPT_BYTES)]
      : [...new TextEncoder().encode(flag(p, 'prompt') ?? '')];
  if (prompt.length === 0) throw new UserError('ssmc generate: the prompt must not be empty (the model needs at least one token to condition on); give --prompt "…", --prompt-file <file> or --prompt-ids 1,2,3');
  if (prompt.length > MAX_PROMPT_BYTES) throw new UserError(`ssmc generate: the prompt is ${prompt.length} ${ids !== undefined ? 'tokens' : 'bytes'}, over the ${MAX_PROMPT_BYTES} limit`);
  const maxTokens = intFlag(p, 'generate', 'max-tokens', 200, { min: 1, max: MAX_NEW_TOKENS });
  const topP = Number(flag(p, 'top-p') ?? 1);
  const sampling: SamplingParams = {
    temperature: Number(flag(p, 'temperature') ?? 0), topK: intFlag(p, 'generate', 'top-k', 0), topP, seed: intFlag(p, 'generate', 'seed', 0),
  };
  checkSamplingParams(sampling, (name) => `ssmc generate: --${{ temperature: 'temperature', topK: 'top-k', topP: 'top-p', seed: 'seed' }[name]}`);
  const threads = flag(p, 'threads') === undefined ? undefined : parseThreads(flag(p, 'threads'));
  const backend = await backendNamed(flag(p, 'backend') ?? 'node', 'ssmc generate: --backend');

  let lm: LmGraphs | string;
  // What was read, and a random model announced, once the prompt has passed its checks.
  let announce = () => {};
  const path = p.positionals[0] ?? flag(p, 'weights') ?? '';
  if (p.positionals.length === 1 && path.endsWith('.onnx')) {
    if (flag(p, 'weights') !== undefined) throw new UserError(`ssmc generate: --weights applies to a model file; '${path}' is a compiled graph that carries its weights`);
    // External data read from the model's own folder into the graph before it is written again.
    lm = lmFromModels(readModelFile(path).withData(), null);
  } else {
    const src = modelSourceFrom(p, 'generate', USAGE);
    announce = () => {
      for (const line of describeSource(src, null)) console.error(line);
      const warning = randomInitWarning(src, 'the language model generating');
      if (warning) console.error(warning);
    };
    // A full-attention cache holds the whole generation unless --kv-cache says otherwise.
    const kvCache = intFlag(p, 'generate', 'kv-cache', Math.max(DEFAULT_ATTENTION_CACHE, prompt.length + maxTokens), { min: 1, max: MAX_KV_CACHE });
    lm = compileLmGraphs(src.file, src.weights, { opset: 17, threads, kvCache, runtime: COMPILE_TARGET[backend.name], budget: p.flags.has('allow-large') ? null : undefined });
  }
  if (typeof lm === 'string') throw new UserError(`ssmc generate: '${path}' is not a language model: ${lm}`);
  // Text prompts are bytes: the prompt's UTF-8 bytes in, generated bytes out (a smaller
  // vocabulary takes the bytes below its size).
  if (ids === undefined && lm.vocab > 256) throw new UserError(`ssmc generate: '${path}' has a vocabulary of ${lm.vocab} tokens; --prompt text needs a byte-level model (at most 256 tokens): give --prompt-ids instead`);
  const outside = prompt.findIndex((t) => t >= lm.vocab);
  if (outside >= 0) throw new UserError(`ssmc generate: ${ids !== undefined ? '--prompt-ids' : '--prompt byte'} ${outside} is ${prompt[outside]}, but the model's vocabulary has ${lm.vocab} tokens (0 to ${lm.vocab - 1})`);

  announce();
  const sessionOpts = { threads, onNote: (line: string) => console.error(`ssmc generate: ${line}`) };
  const step = await backend.createSession(lm.step, sessionOpts);
  const prefill = lm.prefill ? await backend.createSession(lm.prefill, sessionOpts) : null;
  const batcher = new ContinuousBatcher(lm, step, prefill, { maxBatch: 1 });
  const out = new TextDecoder();
  // Token ids are printed as ids (the prompt's, then ' |' and each new one); text as its bytes.
  const show = ids !== undefined ? (tokens: number[]) => tokens.join(',') : (tokens: number[]) => out.decode(Uint8Array.from(tokens), { stream: true });
  process.stdout.write(show(prompt) + (ids !== undefined ? ' |' : ''));
  const t0 = performance.now();
  batcher.add({ id: 0, prompt, maxTokens, sampling });
  while (batcher.hasWork()) {
    for (const e of (await batcher.iterate()).events) process.stdout.write((ids !== undefined ? ' ' : '') + show([e.token]));
  }
  const seconds = (performance.now() - t0) / 1000;
  await step.release();
  await prefill?.release();
  process.stdout.write(out.decode() + '\n');
  const how = prefill ? 'prefilled' : 'fed step by step';
  console.error(`${maxTokens} tokens in ${seconds.toFixed(2)} s: ${(maxTokens / seconds).toFixed(1)} tokens/s (prompt of ${prompt.length} ${ids !== undefined ? 'tokens' : 'bytes'} ${how})`);
}

/** '1,2,3' → [1, 2, 3]: non-negative integers (the vocabulary bound is checked against the model). */
function parsePromptIds(text: string): number[] {
  const parts = text.split(',').map((x) => x.trim());
  if (parts.length > MAX_PROMPT_BYTES) throw new UserError(`ssmc generate: --prompt-ids gives ${parts.length} tokens, over the ${MAX_PROMPT_BYTES} limit`);
  return parts.map((x, i) => {
    const n = /^\d+$/.test(x) ? Number(x) : NaN;
    if (!Number.isSafeInteger(n)) throw new UserError(`ssmc generate: --prompt-ids entry ${i} is '${x.slice(0, 20)}'; give token ids as non-negative integers separated by commas (1,2,3)`);
    return n;
  });
}
