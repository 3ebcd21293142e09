/**
 * `ssmc`: the compiler as a library (browser-safe: no Node-only module). Compile a model file
 * (+ checkpoint) to an ONNX model, read its ssmc.* metadata, run step graphs, check outputs
 * against references, and define new archs from layers. The IR is `ssmc/ir`, the passes
 * `ssmc/passes`, inspection `ssmc/inspect`, onnxruntime `ssmc/runtime` (and `ssmc/runtime/web`).
 */
export * from './compile.js';
export * from './metadata.js';
export * from './step-runner.js';
export * from './state-layout.js';
export * from './errors.js';
export * from './lm.js';
export { checkSamplingParams, GREEDY, sampleToken, Sampler, type SamplingParams } from './sampling.js';
export * from './summary.js';
export { compareToReference, describeComparison, type Comparison } from './verify/compare.js';
export { precisionTolerance, TOLERANCES } from './verify/tolerances.js';
export * from './verify/precision.js';
export { assemble, lengthOf, slicePositions, stepInput, type Layout } from './verify/sequence.js';
export { matchCheckpoint, matchTensors, WRAPPER_PREFIXES, type CheckpointMatch, type CheckpointTensors, type MatchOptions } from './checkpoint.js';
export * from './checkpoint-file.js';
export { defineArch, type Arch, type ArchDef, type ConfiguredModel, type ModelIo } from './models/arch.js';
export { resolveArgs, trainingOnly, type ArgSchema, type ArgSpec, type Args, type ArgValues } from './models/args.js';
export * from './models/layer.js';
export { ARCHS, archIds, findArch } from './models/registry.js';
export { Rng } from './models/rng.js';
export { Progress, type ProgressEvent, type ProgressSink, type TaskHandle } from '../ir/progress.js';
export { modelFromBytes, OnnxFormatError } from '../export/onnx-read.js';
export { modelToBytes, modelToChunks, ExportError } from '../export/onnx-write.js';
export { readSafetensors, writeSafetensors } from '../export/safetensors.js';
