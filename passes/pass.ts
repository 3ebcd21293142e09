import type { Model } from '../ir/model.js';

/** What the pipeline knows about the compile: fixed by the user, read by the passes. */
export interface CompileTarget {
  /** The default-domain opset the graph is built for (17 or 20+). */
  opset: number;
  /** The sequence length when it is fixed with --seq-len, else null (symbolic `L`). */
  seqLen: number | null;
}

/**
 * A pass: a named transformation with a precondition and a postcondition.
 * `run` mutates the model in place and returns whether it changed anything.
 */
export interface Pass {
  readonly name: string;
  readonly description: string;
  /** Returns why the pass cannot run on this model, or null. */
  requires?(model: Model, target: CompileTarget): string | null;
  run(model: Model, target: CompileTarget): boolean;
  /** Returns what the pass failed to establish, or null. */
  ensures?(model: Model, target: CompileTarget): string | null;
}

export class PassError extends Error {
  constructor(
    readonly passName: string,
    readonly after: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`error in pass '${passName}' (after [${after.join(', ')}]): ${message}`, options);
    this.name = 'PassError';
  }
}
