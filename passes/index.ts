/**
 * `ssmc/passes`: the pass contract and manager, the pipeline, and the long-convolution lowerings
 * with their registry, runtime targets and cost model — the extension points of the compiler (a
 * new lowering is one ConvLowering; a new runtime one RuntimeTarget).
 */
export * from './pass.js';
export * from './pipeline.js';
export * from './run-pipeline.js';
export { rewriteNodes, noneLeft } from './rewrite.js';
export * from './conv/lowering.js';
export * from './conv/registry.js';
export * from './conv/targets.js';
export * from './conv/cost-model.js';
export * from './conv/select.js';
export { lowerConvPass } from './conv/lower.js';
export { formTaps, pinTapsLength } from './conv/taps.js';
export { dftConv, dftLowering, type DftLoweringOptions } from './conv/dft.js';
export { fourstepConv, fourstepLowering, fourstepPlan, fourstepLengthsUnsupported, fourstepUnsupported, MAX_MATRIX_BYTES, planMatrixBytes, planWithFactors, planWork, type FourstepPlan } from './conv/fourstep.js';
export { chunkedConv, chunkedLowering, chunkLength } from './conv/chunked.js';
export { doublingConv, doublingLevels, doublingLowering, MAX_DYNAMIC_POSITIONS } from './conv/doubling.js';
export { directConv, directLowering } from './conv/direct.js';
export { csePass, eliminateCommonSubexpressions } from './cse.js';
export { dcePass, eliminateDeadCode } from './dce.js';
export { foldConstants, foldConstantsPass, KEEP_COMPUTED_MASK_BYTES, MAX_FOLD_BYTES } from './fold-constants.js';
export { lowerAttentionPass, lowerAttentionPassWith, type AttentionScores } from './lower-attention.js';
export { lowerComplexPass } from './lower-complex.js';
export { lowerDiagStepPass } from './lower-diag-step.js';
export { simplifyViewsPass } from './simplify-views.js';
export { lowerDiscretizePass } from './lower-discretize.js';
export { lowerVandermondePass } from './lower-vandermonde.js';
export { outlineCustomOpsPass, sealCustomOpsPass, STAGED_DOMAIN } from './outline-custom-ops.js';
export * from './precision/formats.js';
export { classifyNodes, NUMERIC_CLASSES, type NumericClass, type RecurrentState } from './precision/classify.js';
export { PRECISION_POLICY, withClasses, type ClassPolicy, type PrecisionPolicy } from './precision/policy.js';
export { lowerPrecisionPass, type LowerPrecisionOptions, type PrecisionReport } from './precision/lower-precision.js';
