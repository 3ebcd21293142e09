import { runSteps, type StateInfo, zeroStates } from 'ssmc';
import { i64, type Tensor } from 'ssmc/ir';
import type { OrtBackend } from 'ssmc/runtime';

/** The middle value (the upper one of an even count): robust to the odd slow run of a noisy machine. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export interface TimingPlan {
  /** At most this many timed runs. */
  repeats: number;
  /** At least this many timed runs, whatever the budget. */
  minRuns: number;
  /** Stop starting runs once this much time has gone (after minRuns). */
  budgetMs: number;
}

/**
 * Median ms of one `run` of a session made from `bytes`, after one untimed warm-up run (first-run
 * allocations and kernel setup); the session is released however the runs end.
 */
export async function timeSession(backend: Pick<OrtBackend, 'createSession'>, bytes: Uint8Array, feeds: Map<string, Tensor>, threads: number, plan: TimingPlan): Promise<number> {
  const session = await backend.createSession(bytes, { threads });
  try {
    await session.run(feeds);
    const times: number[] = [];
    const start = performance.now();
    while (times.length < plan.repeats && (times.length < plan.minRuns || performance.now() - start < plan.budgetMs)) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await session.release();
  }
}

/** A fixed, byte-valued token stream: deterministic inputs for every runtime compared. */
export function tokenAt(i: number): number {
  return (i * 7919 + 13) % 256;
}

/**
 * Median ms of one step of a token step graph at batch 1 on one thread, from zero states, after
 * `warmup` untimed steps; the session is released however the steps end.
 */
export async function stepLatency(backend: OrtBackend, bytes: Uint8Array, specs: StateInfo[], steps: { warmup: number; timed: number }): Promise<number> {
  const session = await backend.createSession(bytes, { threads: 1 });
  try {
    let states = zeroStates(specs, 1);
    const times: number[] = [];
    for (let t = 0; t < steps.warmup + steps.timed; t++) {
      const t0 = performance.now();
      states = (await runSteps(session, specs, 1, () => i64([tokenAt(t)], [1]), states)).states;
      if (t >= steps.warmup) times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await session.release();
  }
}
