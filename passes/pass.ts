import type { Model } from '../ir/model.js';
import type { Estimate, Runtime } from './cost-model.js';
import type { Lowering } from './lowering-tag.js';

/** What select-lowering decided for one long convolution. */
export interface LoweringDecision {
  node: string;
  lowering: Lowering;
  /** 'auto' (the cost model chose) or 'forced' (--lowering). */
  how: 'auto' | 'forced';
  reason: string;
  estimates: Estimate[];
}

/** What the pipeline knows about the compile: fixed by the user, read by the passes. */
export interface CompileTarget {
  /** The default-domain opset the graph is built for (17 or 20+). */
  opset: number;
  /** The sequence length when it is fixed with --seq-len, else null (symbolic `L`). */
  seqLen: number | null;
  /** The long-convolution lowering: one for every node, or 'auto' (the cost model). Default 'auto'. */
  lowering?: 'auto' | Lowering;
  /** The runtime the cost model plans for (default ort-cpu) and its intra-op threads (default 1). */
  runtime?: Runtime;
  threads?: number;
  /**
   * Keep the high-level ops as `ai.ssmc` nodes calling model-local functions (--custom-ops): an
   * execution provider with a fused kernel can claim them, every runtime runs their bodies.
   */
  customOps?: boolean;
  /** Filled by select-lowering, one entry per convolution, in graph order. */
  decisions?: LoweringDecision[];
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
