import { lowerConvPass } from './conv/lower.js';
import type { ConvLowering } from './conv/lowering.js';
import { LOWERINGS } from './conv/registry.js';
import { selectLoweringPass, type LoweringDecision } from './conv/select.js';
import type { RuntimeTarget } from './conv/targets.js';
import { csePass } from './cse.js';
import { dcePass } from './dce.js';
import { foldConstantsPass } from './fold-constants.js';
import { lowerAttentionPass } from './lower-attention.js';
import { lowerComplexPass } from './lower-complex.js';
import { lowerDiagStepPassWith } from './lower-diag-step.js';
import { lowerDiscretizePass } from './lower-discretize.js';
import { lowerVandermondePass } from './lower-vandermonde.js';
import { outlineCustomOpsPass, sealCustomOpsPass } from './outline-custom-ops.js';
import { simplifyViewsPass } from './simplify-views.js';
import type { Pass } from './pass.js';
import { lowerPrecisionPass, type PrecisionReport } from './precision/lower-precision.js';
import type { PrecisionPolicy } from './precision/policy.js';

export interface PipelineOptions {
  /** The long-convolution lowerings to choose from (default: passes/conv/registry.ts). */
  lowerings?: readonly ConvLowering[];
  /** The runtimes the cost model may plan for (default: passes/conv/targets.ts). */
  targets?: readonly RuntimeTarget[];
  /** Which classes of nodes a 16-bit graph stores and computes in 16 bits (default: passes/precision/policy.ts). */
  precisionPolicy?: PrecisionPolicy;
}

export interface Pipeline {
  passes: Pass<unknown>[];
  /** The pass whose report holds the lowering decisions. */
  select: Pass<LoweringDecision[]>;
  /** The pass whose report says what a 16-bit graph stores and computes in 16 bits. */
  precision: Pass<PrecisionReport>;
}

/** The pipeline's passes, top to bottom (see buildPipeline). */
export function defaultPipeline(opts: PipelineOptions = {}): Pass<unknown>[] {
  return buildPipeline(opts).passes;
}

/**
 * The whole lowering pipeline, top to bottom. Each step is one named pass; the IR verifier runs
 * after every step that changed the model, so a broken invariant is reported by the pass that broke it.
 */
export function buildPipeline(opts: PipelineOptions = {}): Pipeline {
  const lowerings = opts.lowerings ?? LOWERINGS;
  const select = selectLoweringPass(lowerings, opts.targets);
  const precision = lowerPrecisionPass({ targets: opts.targets, policy: opts.precisionPolicy });
  // What a custom op's body goes through: the lowering passes after outlining, up to sealing.
  const lowering: Pass<unknown>[] = [
    lowerAttentionPass, // CausalAttention → MatMul / Softmax with a causal mask
    lowerDiagStepPassWith(opts.targets), // DiagSSMStep (step graphs) → exp(λ)·x + u and the coefficient sum; RotaryEmbedding where the runtime has it
    // Lowerings that read a state-space description (chunked) → graphs that may hold Vandermonde taps
    ...lowerings.filter((l) => l.reads === 'state-space').map(lowerConvPass),
    lowerVandermondePass, // Vandermonde → complex Exp/MatMul over positions 0..L−1
    // Lowerings that read taps (dft, fourstep, direct): select-lowering formed them
    ...lowerings.filter((l) => l.reads === 'taps').map(lowerConvPass),
    lowerComplexPass, // every complex64 value → a (re, im) pair of float32 tensors
    simplifyViewsPass, // views that undo each other, a state split into parts and packed back → the value
    foldConstantsPass, // fixed L: the whole kernel and its spectrum become initializers
    csePass, // merge identical nodes and identical constants
    dcePass, // drop what no output needs
    precision, // --precision fp16|bf16: weights in 16 bits, float16 compute where runtime and policy allow
  ];
  const passes = [
    lowerDiscretizePass, // Discretize → ZOH/bilinear discretisation in complex ops
    select, // tag each LongConv with a lowering (--lowering or the cost model); form taps where it reads them
    outlineCustomOpsPass(lowering), // --custom-ops: high-level ops → ai.ssmc calls of functions whose bodies `lowering` builds
    ...lowering,
    sealCustomOpsPass, // --custom-ops: the calls take their final domain ai.ssmc
  ];
  return { passes, select, precision };
}
