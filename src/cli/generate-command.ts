import { modelFromBytes } from '../../export/onnx-read.js';
import { modelToBytes } from '../../export/onnx-write.js';
import type { Model } from '../../ir/model.js';
import { compileModel, parseModelFile } from '../compile.js';
import { readCheckpoint } from '../checkpoint-file.js';
import { UserError } from '../errors.js';
import { readInput } from '../files.js';
import { Rng } from '../models/rng.js';
import { createSession } from '../runtime/run.js';
import { generateTokens, stepStates } from '../step-runner.js';
import { flag, intFlag, parseArgv } from './argv.js';

/** Pick the next byte: greedy at temperature 0, else softmax(logits/T) over the top-k. */
export function sampleToken(logits: Float32Array, temperature: number, topK: number, rng: Rng): number {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (temperature === 0) return order[0]!;
  const kept = order.slice(0, topK > 0 ? topK : order.length);
  const max = logits[kept[0]!]!;
  const weights = kept.map((i) => Math.exp((logits[i]! - max) / temperature));
  let r = rng.uniform() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < kept.length; j++) {
    r -= weights[j]!;
    if (r <= 0) return kept[j]!;
  }
  return kept[kept.length - 1]!;
}

/**
 * `ssmc generate`: byte-level generation from a GSS language model's step graph — the prompt is
 * fed one position at a time (each step O(1)), then tokens are sampled and streamed as they come.
 */
export async function generateCommand(argv: string[]): Promise<void> {
  const p = parseArgv('generate', argv, {
    weights: { value: true }, prompt: { value: true }, 'max-tokens': { value: true },
    temperature: { value: true }, 'top-k': { value: true }, seed: { value: true },
  });
  if (p.positionals.length !== 1) throw new UserError('ssmc generate: give one model: ssmc generate <model.json|step.onnx> --prompt "…"');
  const path = p.positionals[0]!;
  const prompt = [...new TextEncoder().encode(flag(p, 'prompt') ?? '')];
  if (prompt.length === 0) throw new UserError('ssmc generate: --prompt must not be empty (the model needs at least one byte to condition on)');
  const maxTokens = intFlag(p, 'generate', 'max-tokens', 200);
  const temperature = Number(flag(p, 'temperature') ?? 0);
  if (!Number.isFinite(temperature) || temperature < 0) throw new UserError('ssmc generate: --temperature must be a number ≥ 0 (0 is greedy)');
  const topK = intFlag(p, 'generate', 'top-k', 0);
  const rng = new Rng(intFlag(p, 'generate', 'seed', 0));

  let model: Model;
  if (path.endsWith('.json')) {
    const file = parseModelFile(new TextDecoder().decode(readInput(path, 'model file')), path);
    const w = flag(p, 'weights');
    model = compileModel(file, w ? readCheckpoint(readInput(w, 'checkpoint'), w) : null, { seqLen: null, opset: 17, mode: 'step' }).model;
  } else {
    model = modelFromBytes(readInput(path, 'model'));
  }
  if (model.metadata.get('ssmc.mode') !== 'step' || model.graph.inputs[0]?.type.dtype !== 'int64') {
    throw new UserError(`ssmc generate: '${path}' is not a language-model step graph; compile a gss-lm model with --mode step, or pass its model.json`);
  }
  const vocab = model.graph.outputs[0]!.type.shape?.[1];
  if (typeof vocab !== 'number') throw new UserError(`ssmc generate: '${path}': the output has no fixed vocabulary size`);
  const specs = stepStates(model);
  const session = await createSession(modelToBytes(model));
  const out = new TextDecoder();
  process.stdout.write(out.decode(Uint8Array.from(prompt), { stream: true }));
  const t0 = performance.now();
  await generateTokens(session, specs, prompt, maxTokens, (logits) => sampleToken(logits, temperature, topK, rng), (token) => {
    process.stdout.write(out.decode(Uint8Array.of(token), { stream: true }));
  });
  const seconds = (performance.now() - t0) / 1000;
  await session.release();
  process.stdout.write(out.decode() + '\n');
  console.error(`${maxTokens} tokens in ${seconds.toFixed(2)} s: ${(maxTokens / seconds).toFixed(1)} tokens/s (prompt of ${prompt.length} bytes fed step by step)`);
}
