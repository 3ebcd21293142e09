import { UserError } from './errors.js';
import { Rng } from './models/rng.js';

/**
 * How the next token is chosen from a row of logits. One sampler for `ssmc generate` and the
 * server, so that a seeded request gives the same tokens in both.
 */
export interface SamplingParams {
  /** 0 is greedy; otherwise softmax(logits / temperature). */
  temperature: number;
  /** Keep the k most likely tokens (0: all). */
  topK: number;
  /** Nucleus: keep the most likely tokens whose probabilities add up to at least topP (1: all). */
  topP: number;
  /** Seed of the request's own generator (xoshiro128**, `src/models/rng.ts`). */
  seed: number;
}

export const GREEDY: SamplingParams = { temperature: 0, topK: 0, topP: 1, seed: 0 };

/** The rules every entry point applies to sampling parameters; `field` names them as the caller spells them. */
export function checkSamplingParams(p: SamplingParams, field: (name: keyof SamplingParams) => string): void {
  if (!Number.isFinite(p.temperature) || p.temperature < 0) throw new UserError(`${field('temperature')} must be a number ≥ 0 (0 is greedy), got ${p.temperature}`);
  if (!Number.isInteger(p.topK) || p.topK < 0) throw new UserError(`${field('topK')} must be an integer ≥ 0 (0 keeps every token), got ${p.topK}`);
  if (!Number.isFinite(p.topP) || p.topP <= 0 || p.topP > 1) throw new UserError(`${field('topP')} must be a number in (0, 1] (1 keeps every token), got ${p.topP}`);
  if (!Number.isSafeInteger(p.seed)) throw new UserError(`${field('seed')} must be an integer, got ${p.seed}`);
}

/**
 * Pick the next token: greedy at temperature 0 (the lowest index among equal logits), else
 * softmax(logits/T) over the top-k, cut to the top-p nucleus, drawn with one uniform from `rng`.
 */
export function sampleToken(logits: Float32Array, temperature: number, topK: number, rng: Rng, topP = 1): number {
  if (temperature === 0) return argmax(logits);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  let kept = order.slice(0, topK > 0 ? topK : order.length);
  const max = logits[kept[0]!]!;
  let weights = kept.map((i) => Math.exp((logits[i]! - max) / temperature));
  if (topP < 1) {
    const total = weights.reduce((a, b) => a + b, 0);
    let cumulative = 0, n = 0;
    while (n < weights.length && cumulative < topP * total) cumulative += weights[n++]!;
    kept = kept.slice(0, Math.max(n, 1));
    weights = weights.slice(0, kept.length);
  }
  let r = rng.uniform() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < kept.length; j++) {
    r -= weights[j]!;
    if (r <= 0) return kept[j]!;
  }
  return kept[kept.length - 1]!;
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
  return best;
}

/** One sequence's sampler: its parameters and its own generator. */
export class Sampler {
  private readonly rng: Rng;

  constructor(readonly params: SamplingParams) {
    this.rng = new Rng(params.seed);
  }

  pick(logits: Float32Array): number {
    return sampleToken(logits, this.params.temperature, this.params.topK, this.rng, this.params.topP);
  }
}
