import { modelFromBytes } from '../../export/onnx-read.js';
import { parseModelFile } from '../compile.js';
import { readCheckpoint } from '../checkpoint-file.js';
import { UserError } from '../errors.js';
import { readInput } from '../files.js';
import { createSession } from '../runtime/run.js';
import { checkSamplingParams, type SamplingParams } from '../sampling.js';
import { ContinuousBatcher } from '../serve/batcher.js';
import { compileLmGraphs, lmFromModels, type LmGraphs } from '../serve/lm.js';
import { parseThreads } from './compile-command.js';
import { flag, intFlag, parseArgv } from './argv.js';

/**
 * `ssmc generate`: byte-level generation from a language model's step graph — the prompt is
 * prefilled (or, with a step graph alone, fed one position at a time), then tokens are sampled
 * and streamed as they come. It runs the server's batcher with one sequence, so a seeded
 * `ssmc serve` completion gives the same tokens.
 */
export async function generateCommand(argv: string[]): Promise<void> {
  const p = parseArgv('generate', argv, {
    weights: { value: true }, prompt: { value: true }, 'max-tokens': { value: true },
    temperature: { value: true }, 'top-k': { value: true }, 'top-p': { value: true }, seed: { value: true }, threads: { value: true },
  });
  if (p.positionals.length !== 1) throw new UserError('ssmc generate: give one model: ssmc generate <model.json|step.onnx> --prompt "…"');
  const path = p.positionals[0]!;
  const prompt = [...new TextEncoder().encode(flag(p, 'prompt') ?? '')];
  if (prompt.length === 0) throw new UserError('ssmc generate: --prompt must not be empty (the model needs at least one byte to condition on)');
  const maxTokens = intFlag(p, 'generate', 'max-tokens', 200);
  if (maxTokens < 1) throw new UserError(`ssmc generate: --max-tokens must be at least 1, got ${maxTokens}`);
  const topP = Number(flag(p, 'top-p') ?? 1);
  const sampling: SamplingParams = {
    temperature: Number(flag(p, 'temperature') ?? 0), topK: intFlag(p, 'generate', 'top-k', 0), topP, seed: intFlag(p, 'generate', 'seed', 0),
  };
  checkSamplingParams(sampling, (name) => `ssmc generate: --${{ temperature: 'temperature', topK: 'top-k', topP: 'top-p', seed: 'seed' }[name]}`);
  const threads = flag(p, 'threads') === undefined ? undefined : parseThreads(flag(p, 'threads'));

  let lm: LmGraphs | string;
  if (path.endsWith('.json')) {
    const file = parseModelFile(new TextDecoder().decode(readInput(path, 'model file')), path);
    const w = flag(p, 'weights');
    lm = compileLmGraphs(file, w ? readCheckpoint(readInput(w, 'checkpoint'), w) : null, { opset: 17, threads });
  } else {
    lm = lmFromModels(modelFromBytes(readInput(path, 'model')), null);
  }
  if (typeof lm === 'string') throw new UserError(`ssmc generate: '${path}' is not a language model: ${lm}`);
  if (lm.vocab !== 256) throw new UserError(`ssmc generate: '${path}' has a vocabulary of ${lm.vocab} tokens; --prompt text needs a byte-level model (256 tokens)`);

  const step = await createSession(lm.step, { threads });
  const prefill = lm.prefill ? await createSession(lm.prefill, { threads }) : null;
  const batcher = new ContinuousBatcher(lm, step, prefill, { maxBatch: 1 });
  const out = new TextDecoder();
  process.stdout.write(out.decode(Uint8Array.from(prompt), { stream: true }));
  const t0 = performance.now();
  batcher.add({ id: 0, prompt, maxTokens, sampling });
  while (batcher.hasWork()) {
    for (const e of (await batcher.iterate()).events) process.stdout.write(out.decode(Uint8Array.of(e.token), { stream: true }));
  }
  const seconds = (performance.now() - t0) / 1000;
  await step.release();
  await prefill?.release();
  process.stdout.write(out.decode() + '\n');
  const how = prefill ? 'prefilled' : 'fed step by step';
  console.error(`${maxTokens} tokens in ${seconds.toFixed(2)} s: ${(maxTokens / seconds).toFixed(1)} tokens/s (prompt of ${prompt.length} bytes ${how})`);
}
