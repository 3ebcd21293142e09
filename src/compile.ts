import { Builder } from '../ir/builder.js';
import { Model } from '../ir/model.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import { isLongConv, readLongConv } from '../ir/ops/long-conv.js';
import { Progress } from '../ir/progress.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorType, type Dim } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { MAX_FOLD_BYTES } from '../passes/fold-constants.js';
import type { ConvLowering } from '../passes/conv/lowering.js';
import { DEFAULT_TARGET, findTarget, type RuntimeTarget } from '../passes/conv/targets.js';
import { LoweringRefusedError, plannedLowering, type LoweringDecision } from '../passes/conv/select.js';
import { LOWERINGS } from '../passes/conv/registry.js';
import { PassError, type CompileTarget } from '../passes/pass.js';
import type { Precision } from '../passes/precision/formats.js';
import type { PrecisionReport } from '../passes/precision/lower-precision.js';
import type { PrecisionPolicy } from '../passes/precision/policy.js';
import { buildPipeline } from '../passes/pipeline.js';
import { runPipeline } from '../passes/run-pipeline.js';
import { checkBudget, DEFAULT_BUDGET, estimateConvolutions, estimateFromParams, type Budget, type CostPart } from './budget.js';
import { matchCheckpoint, type CheckpointMatch } from './checkpoint.js';
import { UserError } from './errors.js';
import { writeMetadata, type CompileMode, type LayerInfo, type SsmcMetadata } from './metadata.js';
import type { Arch, ModelIo } from './models/arch.js';
import { DEFAULT_ATTENTION_CACHE } from './models/attention.js';
import type { ArgValues } from './models/args.js';
import { hasRecurrence, inModule, type DplrStepChoice, type LayerContext, type SsmLayerInfo } from './models/layer.js';
import { ParamStore } from './models/params.js';
import { findArch } from './models/registry.js';
import { Rng } from './models/rng.js';
import { StateIo } from './state-io.js';
import type { StateLayout } from './state-layout.js';

/** A model file: `{"arch": "<id>", "args": {<official constructor arguments>}, "seed"?: n}`. */
export interface ModelFile {
  arch: string;
  args: Record<string, unknown>;
  /** Seed of the initialisation when no checkpoint is given. */
  seed?: number;
  /** The checkpoint to compile with, relative to the model file (--weights overrides it). */
  weights?: string;
}

export const SUPPORTED_OPSETS = [17, 18, 19, 20, 21];

export type { CompileMode };
export const COMPILE_MODES: readonly CompileMode[] = ['conv', 'step', 'prefill'];

export interface CompileOptions {
  /** Fixed sequence length, or null for a symbolic `L` (convolution mode). */
  seqLen: number | null;
  /** 'conv' (whole sequence, default) or 'step' (one position, states in and out). */
  mode?: CompileMode;
  opset: number;
  printAfter?: string[];
  print?: (text: string) => void;
  /** The long-convolution lowering, or 'auto' (default): the cost model picks per layer. */
  lowering?: string;
  /** The runtime target the cost model plans for (default ort-cpu) and its threads (default 1). */
  runtime?: string;
  /** The lowerings to choose from (default: every registered one, passes/conv/registry.ts). */
  lowerings?: readonly ConvLowering[];
  /** The runtimes `runtime` may name (default: passes/conv/targets.ts). */
  targets?: readonly RuntimeTarget[];
  /** The archs a model file may name (default: every registered one, src/models/registry.ts). */
  archs?: readonly Arch[];
  threads?: number;
  /** Emit the high-level ops as `ai.ssmc` function calls (--custom-ops); default false. */
  customOps?: boolean;
  /** Standard ONNX ops only (--portable): no onnxruntime contrib ops even where the runtime target has them; default false. */
  portable?: boolean;
  /** S4 DPLR step graphs: 'auto' (default: diagonal when its check passes, else linear), 'linear' or 'diagonal'. */
  dplrStep?: DplrStepChoice;
  /** How step and prefill graphs lay out a complex state (state-layout.ts): 'planar' (default) or 'interleaved'. */
  stateLayout?: StateLayout;
  /** Positions a full-attention step graph's key/value cache holds (default DEFAULT_ATTENTION_CACHE). */
  kvCache?: number;
  /** The estimated memory and time a compile may need (default DEFAULT_BUDGET); null: no limit (--allow-large). */
  budget?: Budget | null;
  /** Where the compile reports its stages: building (per layer), each pass (default: nowhere). */
  progress?: Progress;
  /** fp32 (default), fp16 or bf16 (--precision): 16-bit weights, float16 compute where the runtime has kernels. */
  precision?: Precision;
  /** Which classes of nodes a 16-bit graph stores and computes in 16 bits (default: passes/precision/policy.ts). */
  precisionPolicy?: PrecisionPolicy;
}

/** Whether the runtime a compile plans for runs no loops (its target lacks Scan and Loop): layers then build loop-free forms. */
function runtimeLacksLoops(opts: CompileOptions): boolean {
  const target = findTarget(opts.runtime ?? DEFAULT_TARGET.id, opts.targets);
  return target !== undefined && ['Scan', 'Loop'].every((op) => target.lacks.includes(op));
}

/**
 * The longest fixed length: float32 holds every position index exactly up to 2^24, and the
 * planner and the kernel folding grow with L.
 */
export const MAX_SEQ_LEN = 2 ** 24;

export interface Compiled {
  model: Model;
  arch: Arch;
  args: ArgValues;
  io: ModelIo;
  /** The ssmc.* metadata written into the model. */
  meta: SsmcMetadata;
  /** The SSM layers the build declared, each with its LongConv node (gone once lowered). */
  ssmLayers: { info: SsmLayerInfo; node: Node }[];
  /** What select-lowering chose for each long convolution (after lowering). */
  decisions: LoweringDecision[];
  /** What lower-precision did (after lowering; null for fp32). */
  precision: PrecisionReport | null;
  /** Each SSM layer with the decision for its convolution, after compileModel. */
  convolutions: { layer: LayerInfo; decision: LoweringDecision | null }[];
  /** The SSM layers (also in the `ssmc.layers` metadata), after compileModel. */
  layers: LayerInfo[];
  /** How the checkpoint's tensors were taken (prefix stripped, dtypes converted); null without weights. */
  checkpoint?: CheckpointMatch | null;
  /** What the compile was estimated to cost before it started (see budget.ts). */
  costs: CostPart[];
  /** Non-fatal findings about the input (a checkpoint holding NaN or Inf), one line each. */
  warnings: string[];
}

export function parseModelFile(text: string, source: string): ModelFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${source}: not valid JSON (${(e as Error).message}); a model file looks like {"arch": "s4d-minimal", "args": {"d_model": 64}}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UserError(`${source}: a model file must be a JSON object like {"arch": "s4d-minimal", "args": {"d_model": 64}}`);
  }
  const obj = json as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!['arch', 'args', 'seed', 'weights'].includes(k)) throw new UserError(`${source}: unknown field "${k}"; a model file has "arch", "args" and optionally "seed" and "weights"`);
  }
  if (obj.seed !== undefined && (typeof obj.seed !== 'number' || !Number.isInteger(obj.seed) || obj.seed < 0)) {
    throw new UserError(`${source}: "seed" must be a non-negative integer`);
  }
  if (obj.weights !== undefined && (typeof obj.weights !== 'string' || obj.weights === '' || obj.weights.length > 4096)) {
    throw new UserError(`${source}: "weights" must be the path of a checkpoint file, relative to the model file`);
  }
  if (obj.args !== undefined && (typeof obj.args !== 'object' || obj.args === null || Array.isArray(obj.args))) {
    throw new UserError(`${source}: "args" must be an object of the official constructor arguments`);
  }
  return { arch: obj.arch as string, args: (obj.args ?? {}) as Record<string, unknown>, seed: obj.seed as number | undefined, weights: obj.weights as string | undefined };
}

/** A checkpoint's tensors by their names in the file (`readCheckpoint` in checkpoint-file.ts gives more). */
export interface Weights {
  tensors: Map<string, Tensor>;
  source: string;
}

/** Whether a LongConv's diagonal kernel has modes shared by every channel (λ [N]: DSS, GSS). */
function hasSharedModes(node: Node): boolean {
  if (!isLongConv(node)) return false;
  const conv = readLongConv(node);
  return conv.kernel === 'diagonal' && conv.causal.lambda.type.shape?.length === 1;
}

/** Model file (+ checkpoint) → lowered IR, ready for export. */
export function compileModel(file: ModelFile, weights: Weights | null, opts: CompileOptions): Compiled {
  const built = buildModel(file, weights, opts);
  // Before lowering, while each convolution is one node with its kernel's description.
  const mode = opts.mode ?? 'conv';
  const target = compileTarget(built, opts);
  const lowerings = opts.lowerings ?? LOWERINGS;
  const planned = built.ssmLayers.map((l) => ({ ...l.info, lowering: plannedLowering(l.node, target, lowerings, opts.targets), sharedModes: hasSharedModes(l.node) }));
  built.costs.push(...estimateConvolutions(planned, mode === 'step' ? null : opts.seqLen, MAX_FOLD_BYTES));
  checkBudget(built.costs, budgetOf(opts));
  lowerModel(built, opts);
  built.convolutions = built.ssmLayers.map(({ info, node }) => {
    const decision = built.decisions.find((d) => d.node === node) ?? null;
    return { layer: { name: info.name, family: built.arch.id, kernel: info.kernel, lowering: decision?.lowering ?? null, H: info.H, N: info.N, channels: info.channels, bidirectional: info.bidirectional }, decision };
  });
  built.layers = built.convolutions.map((c) => c.layer);
  built.meta.layers = built.layers;
  built.meta.scopes = topScopes(built.model);
  writeMetadata(built.model, built.meta);
  return built;
}

/** The first segment of every main-graph node's scope, in graph order, each once. */
function topScopes(model: Model): string[] {
  const seen = new Set<string>();
  for (const n of model.graph.nodes) if (n.scope) seen.add(n.scope.split('/')[0]!);
  return [...seen];
}

/** A fresh model's parameters, like the official initialisation (seeded by the file's `seed`, default 0). */
export function initialWeights(file: ModelFile, archs?: readonly Arch[]): Map<string, Tensor> {
  return new Map(findArch(file.arch, archs).configure(file.args).layer.init(new Rng(file.seed ?? 0)));
}

/**
 * Model file (+ checkpoint) → the high-level IR (ai.ssmc ops, complex values), before any pass:
 * what the float64 reference interpreter runs as the independent oracle.
 */
export function buildModel(file: ModelFile, weights: Weights | null, opts: CompileOptions): Compiled {
  if (!SUPPORTED_OPSETS.includes(opts.opset)) {
    throw new UserError(`--opset ${opts.opset} is not supported; use one of ${SUPPORTED_OPSETS.join(', ')} (DFT needs opset 17 or later)`);
  }
  if (opts.seqLen !== null && (!Number.isInteger(opts.seqLen) || opts.seqLen < 1 || opts.seqLen > MAX_SEQ_LEN)) {
    throw new UserError(`--seq-len must be an integer from 1 to ${MAX_SEQ_LEN} (2^24) or "dynamic", got ${opts.seqLen}`);
  }
  const arch = findArch(file.arch, opts.archs);
  const configured = arch.configure(file.args);
  const { layer, io } = configured;
  const mode0 = opts.mode ?? 'conv';
  // Before anything is allocated from the arguments: parameters, graph, and the arch's own work.
  const costs = [...estimateFromParams(layer.params()), ...configured.compileCost({ seqLen: mode0 === 'step' ? null : opts.seqLen, mode: mode0, fresh: !weights })];
  checkBudget(costs, budgetOf(opts));
  const progress = opts.progress ?? Progress.none;
  const checkpoint = weights ? progress.run('match checkpoint', () => matchCheckpoint(configured, weights)) : null;
  const tensors = checkpoint ? checkpoint.tensors : progress.run('initialise', () => new Map(layer.init(new Rng(file.seed ?? 0))));
  const warnings = weights ? nonFiniteWarnings(tensors, weights.source) : [];

  const model = new Model(opts.opset);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  const b = new Builder(model.graph, opts.opset);
  const mode = opts.mode ?? 'conv';
  const len: Dim = opts.seqLen ?? 'L';
  // The form the mode asks for; a prefill graph ends in the states a step graph continues from,
  // so it needs the same recurrence.
  const recurrence = layer.recurrence;
  let form: (ctx: LayerContext, x: Value, states: StateIo) => Value;
  if (mode === 'conv') form = (c, x) => layer.conv(c, x);
  else if (!hasRecurrence(recurrence)) throw new UserError(`--mode ${mode}: ${recurrence.none}`);
  else form = mode === 'step' ? recurrence.step : recurrence.prefill;
  const shapes = mode === 'step' ? io.step : { input: io.inputShape(len), output: io.outputShape(len) };
  const input = model.graph.addInput('input', tensorType(io.inputDtype, shapes.input));
  const ssmLayers: Compiled['ssmLayers'] = [];
  const states = new StateIo(b, opts.stateLayout ?? 'planar');
  const out = progress.run('build', (task) => {
    const ctx: LayerContext = {
      b, params: new ParamStore(b, tensors), options: {
        dplrStep: opts.dplrStep ?? 'auto', lowering: opts.lowering ?? 'auto',
        loopFree: runtimeLacksLoops(opts), approximateTrig: findTarget(opts.runtime ?? DEFAULT_TARGET.id, opts.targets)?.approximateTrig ?? false,
        attentionCache: opts.kvCache ?? DEFAULT_ATTENTION_CACHE,
      },
      ssmLayer: (y, info) => ssmLayers.push({ info, node: y.producer! }),
      module: '', progress: task.progress,
    };
    const y = inModule(ctx, layer, (c) => form(c, input, states));
    task.detail(`${model.graph.nodes.length} nodes`);
    return y;
  });
  model.graph.renameValue(out, 'output');
  model.graph.outputs.push(out);
  out.type = tensorType(out.type.dtype, shapes.output);
  const meta: SsmcMetadata = {
    arch: arch.id, official: arch.official, args: configured.args, mode,
    layout: mode === 'step' ? `${io.layout} without L (one position)` : io.layout,
    seqLen: mode === 'step' ? null : opts.seqLen ?? 'dynamic',
    weights: weights ? 'checkpoint' : `init(seed=${file.seed ?? 0})`,
    precision: opts.precision ?? 'fp32',
    layers: [], states: states.finish(model), parameters: countParameters(tensors),
  };
  writeMetadata(model, meta);
  return { model, arch, args: configured.args, io, meta, ssmLayers, decisions: [], precision: null, convolutions: [], layers: [], checkpoint, costs, warnings };
}

function budgetOf(opts: CompileOptions): Budget | null {
  return opts.budget === undefined ? DEFAULT_BUDGET : opts.budget;
}

/** One line naming the checkpoint tensors that hold NaN or ±Inf (the compiled model would propagate them). */
function nonFiniteWarnings(tensors: Map<string, Tensor>, source: string): string[] {
  const bad: string[] = [];
  let count = 0;
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    let n = 0;
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) n++;
    if (n > 0) {
      count++;
      if (bad.length < 5) bad.push(`'${name}' (${n} of ${t.data.length})`);
    }
  }
  if (count === 0) return [];
  return [`${source}: ${count} tensor${count > 1 ? 's hold' : ' holds'} NaN or infinite values: ${bad.join(', ')}${count > bad.length ? `, and ${count - bad.length} more` : ''}; the compiled model will carry them into its outputs`];
}

/** Run the lowering pipeline on a built model, in place. */
function compileTarget(c: Compiled, opts: CompileOptions): CompileTarget {
  return {
    opset: opts.opset, lowering: opts.lowering ?? 'auto', runtime: opts.runtime, threads: opts.threads, customOps: opts.customOps ?? false, portable: opts.portable ?? false,
    precision: opts.precision ?? 'fp32', recurrentStates: c.meta.states.map((s) => ({ input: c.meta.mode === 'step' ? s.input : null, output: s.output })),
  };
}

export function lowerModel(c: Compiled, opts: CompileOptions): void {
  const { model } = c;
  const declared = model.graph.outputs.map((v) => v.type);
  const target = compileTarget(c, opts);
  try {
    const pipeline = buildPipeline({ lowerings: opts.lowerings, targets: opts.targets, precisionPolicy: opts.precisionPolicy });
    const result = (opts.progress ?? Progress.none).run('lower', (task) => {
      const r = runPipeline(model, target, pipeline.passes, { printAfter: opts.printAfter, print: opts.print, progress: task.progress });
      task.detail(`${model.graph.nodes.length} nodes`);
      return r;
    });
    c.decisions = result.reportOf(pipeline.select) ?? [];
    c.precision = result.reportOf(pipeline.precision) ?? null;
  } catch (e) {
    // A forced lowering that a layer cannot take is the user's choice to fix, not a compiler bug.
    if (e instanceof PassError && e.cause instanceof LoweringRefusedError) {
      const { node, lowering, why } = e.cause;
      const layer = c.ssmLayers.find((l) => l.node === node);
      const what = layer ? `the long convolution of layer '${layer.info.name}'` : `convolution '${node.name}'`;
      throw new UserError(`--lowering ${lowering} cannot lower ${what}: ${why}; use --lowering auto to pick per layer`, { cause: e });
    }
    throw e;
  }

  if (!hasDomain(model, SSMC_DOMAIN)) model.opsetImports.delete(SSMC_DOMAIN);
  // The interface keeps its declared symbolic dims even where inference lost them in reshapes.
  model.graph.outputs.forEach((v, i) => (v.type = declared[i]!));
}

function hasDomain(model: Model, domain: string): boolean {
  return model.graph.nodes.some((n) => n.domain === domain) || model.functions.some((f) => f.domain === domain);
}

/**
 * The model's parameters as its checkpoint holds them: elements of its floating-point tensors,
 * a tensor tied to another (one storage under two names) counted once. Folded constants (kernels,
 * spectra, DFT matrices) are derived, not parameters, so `ssmc inspect` reads this instead of
 * counting initializers.
 */
export function countParameters(tensors: Map<string, Tensor>): { count: number; tensors: number } {
  const views = new Map<ArrayBufferLike, Set<string>>();
  let count = 0, n = 0;
  for (const t of tensors.values()) {
    if (!['float32', 'float64', 'float16', 'bfloat16'].includes(t.dtype)) continue;
    if (t.data && ArrayBuffer.isView(t.data)) {
      const where = `${t.data.byteOffset}:${t.data.byteLength}`;
      const seen = views.get(t.data.buffer) ?? new Set<string>();
      if (seen.has(where)) continue;
      seen.add(where);
      views.set(t.data.buffer, seen);
    }
    count += t.dims.reduce((a, d) => a * d, 1);
    n++;
  }
  return { count, tensors: n };
}
