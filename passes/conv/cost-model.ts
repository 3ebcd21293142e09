import { opsetViolation } from '../../ir/opsets.js';
import type { ConvFacts, ConvLowering } from './lowering.js';
import type { RuntimeTarget } from './targets.js';

/**
 * The cost model of the long-convolution lowerings: each lowering predicts milliseconds from its
 * operation counts and the target's measured throughputs (targets.ts), unless the target prices
 * it itself. Its job is ranking, not timing: the lowerings differ by 5-40×, far more than the
 * model's error (test/passes/conv/cost-model.test.ts holds it to the measured cases).
 */

export interface Estimate {
  lowering: string;
  /** Predicted milliseconds for batch 1, or null when the lowering cannot take this convolution. */
  ms: number | null;
  /** Why it cannot, or what the estimate assumed. */
  note: string;
}

export interface Planning {
  target: RuntimeTarget;
  threads: number;
  /** The default-domain opset: a lowering needing a newer op cannot be used. */
  opset: number;
}

/** Why `lowering` cannot take this convolution on this target, or null. */
export function unavailable(lowering: ConvLowering, f: ConvFacts, p: Planning): string | null {
  const lacking = lowering.needs.find((op) => p.target.lacks.includes(op));
  if (lacking) return `${p.target.id} cannot run ${lacking}, which the ${lowering.name} form needs`;
  const tooNew = lowering.needs.map((op) => opsetViolation(op, p.opset)).find((v) => v !== null);
  if (tooNew) return tooNew;
  return lowering.whyNot(f, p.target) ?? p.target.refuses?.(lowering, f) ?? null;
}

/** Every lowering's predicted time for one convolution, in registry order. */
export function estimateAll(f: ConvFacts, lowerings: readonly ConvLowering[], p: Planning): Estimate[] {
  return lowerings.map((l) => {
    const why = unavailable(l, f, p);
    if (why) return { lowering: l.name, ms: null, note: why };
    const own = p.target.prices?.[l.name];
    const { ms, note } = own ? own(f, p.threads) : l.estimate(f, p.target, p.threads);
    return { lowering: l.name, ms, note };
  });
}

/** The fastest applicable lowering, with the reason in words. */
export function chooseLowering(f: ConvFacts, lowerings: readonly ConvLowering[], p: Planning): { lowering: string; reason: string; estimates: Estimate[] } {
  const estimates = estimateAll(f, lowerings, p);
  const usable = estimates.filter((e) => e.ms !== null).sort((a, b) => a.ms! - b.ms!);
  const best = usable[0];
  if (!best) throw new Error(`no lowering can take this convolution: ${estimates.map((e) => `${e.lowering}: ${e.note}`).join('; ')}`);
  const runnerUp = usable[1];
  const vs = runnerUp ? `, ${(runnerUp.ms! / best.ms!).toFixed(1)}× faster than ${runnerUp.lowering}` : '';
  return { lowering: best.lowering, reason: `est. ${best.ms!.toFixed(2)} ms on ${p.target.id}${vs}; ${best.note}`, estimates };
}
