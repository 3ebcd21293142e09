import type { Model } from '../ir/model.js';
import type { RecurrentState } from './precision/classify.js';
import type { Precision } from './precision/formats.js';

/** What the pipeline knows about the compile: fixed by the user, read by the passes. */
export interface CompileTarget {
  /** The default-domain opset the graph is built for (17 or 20+). */
  opset: number;
  /** The long-convolution lowering: one for every node, or 'auto' (the cost model). Default 'auto'. */
  lowering?: string;
  /** The runtime the cost model plans for (a target id, default ort-cpu) and its intra-op threads (default 1). */
  runtime?: string;
  threads?: number;
  /**
   * Keep the high-level ops as `ai.ssmc` nodes calling model-local functions (--custom-ops): an
   * execution provider with a fused kernel can claim them, every runtime runs their bodies.
   */
  customOps?: boolean;
  /**
   * Standard ONNX ops only (--portable): none of the onnxruntime contrib ops (com.microsoft) the
   * runtime target would otherwise get where they are faster (RuntimeTarget.contribOps).
   */
  portable?: boolean;
  /**
   * fp32 (default), fp16 or bf16 (--precision): lower-precision stores the weights in 16 bits and
   * computes in float16 where the runtime has float16 kernels and the policy allows.
   */
  precision?: Precision;
  /** The graph's recurrent states (from the model's build): lower-precision keeps their update in float32. */
  recurrentStates?: readonly RecurrentState[];
}

/** What a pass did: whether it changed the model, and what it has to tell (select-lowering: its decisions). */
export interface PassResult<R = undefined> {
  changed: boolean;
  report?: R;
}

/** Properties of the IR that hold from a pass on; the verifier checks them after it and every later pass. */
export interface Establishes {
  /** No complex64 value is left (after lower-complex: onnxruntime has no complex arithmetic). */
  noComplex?: true;
}

/**
 * A pass: a named transformation with a precondition and a postcondition. `run` mutates the
 * model in place; the pipeline verifies the IR after a pass that changed it and keeps its report.
 */
export interface Pass<R = undefined> {
  readonly name: string;
  readonly description: string;
  /** Returns why the pass cannot run on this model, or null. */
  requires?(model: Model, target: CompileTarget): string | null;
  run(model: Model, target: CompileTarget): PassResult<R>;
  /** Returns what the pass failed to establish, or null. */
  ensures?(model: Model, target: CompileTarget): string | null;
  readonly establishes?: Establishes;
}

/** A failure inside a pass, with the passes that ran before it; `cause` is the original error. */
export class PassError extends Error {
  constructor(
    readonly pass: Pass<unknown>,
    readonly after: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`error in pass '${pass.name}' (after [${after.join(', ')}]): ${message}`, options);
    this.name = 'PassError';
  }
}

/** A result with `changed` only: most passes report nothing else. */
export function changed(value: boolean): PassResult {
  return { changed: value };
}
