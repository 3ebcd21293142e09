import { Builder } from '../ir/builder.js';
import { Model } from '../ir/model.js';
import { SSMC_DOMAIN } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorType, type Dim } from '../ir/types.js';
import { PassError, type CompileTarget } from '../passes/pass.js';
import { MAX_FOLD_BYTES } from '../passes/fold-constants.js';
import type { ConvLowering } from '../passes/conv/lowering.js';
import { LoweringRefusedError, type LoweringDecision } from '../passes/conv/select.js';
import { buildPipeline } from '../passes/pipeline.js';
import { runPipeline } from '../passes/run-pipeline.js';
import { checkBudget, DEFAULT_BUDGET, estimateConvolutions, estimateFromParams, type Budget, type CostPart } from './budget.js';
import { matchCheckpoint, type CheckpointMatch } from './checkpoint.js';
import { UserError } from './errors.js';
import { describeLayers, withLowerings, type LayerInfo } from './layer-metadata.js';
import type { ArchDef, DplrStepChoice, ModelIo } from './models/arch.js';
import { resolveArgs, type ArgValues } from './models/args.js';
import { ParamStore } from './models/params.js';
import { findArch } from './models/registry.js';
import { Rng } from './models/rng.js';
import type { FinalStates, StepStates } from './models/step.js';
import type { Value } from '../ir/value.js';

/** A model file: `{"arch": "<id>", "args": {<official constructor arguments>}, "seed"?: n}`. */
export interface ModelFile {
  arch: string;
  args: Record<string, unknown>;
  /** Seed of the initialisation when no checkpoint is given. */
  seed?: number;
}

export const SUPPORTED_OPSETS = [17, 18, 19, 20, 21];

export type CompileMode = 'conv' | 'step' | 'prefill';
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
  threads?: number;
  /** Emit the high-level ops as `ai.ssmc` function calls (--custom-ops); default false. */
  customOps?: boolean;
  /** S4 DPLR step graphs: 'auto' (default: diagonal when its check passes, else linear), 'linear' or 'diagonal'. */
  dplrStep?: DplrStepChoice;
  /** The estimated memory and time a compile may need (default DEFAULT_BUDGET); null: no limit (--allow-large). */
  budget?: Budget | null;
}

/**
 * The longest fixed length: float32 holds every position index exactly up to 2^24, and the
 * planner and the kernel folding grow with L.
 */
export const MAX_SEQ_LEN = 2 ** 24;

export interface Compiled {
  model: Model;
  arch: ArchDef;
  args: ArgValues;
  io: ModelIo;
  /** What select-lowering chose for each long convolution (after lowering). */
  decisions: LoweringDecision[];
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
    if (!['arch', 'args', 'seed'].includes(k)) throw new UserError(`${source}: unknown field "${k}"; a model file has "arch", "args" and optionally "seed"`);
  }
  if (obj.seed !== undefined && (typeof obj.seed !== 'number' || !Number.isInteger(obj.seed) || obj.seed < 0)) {
    throw new UserError(`${source}: "seed" must be a non-negative integer`);
  }
  if (obj.args !== undefined && (typeof obj.args !== 'object' || obj.args === null || Array.isArray(obj.args))) {
    throw new UserError(`${source}: "args" must be an object of the official constructor arguments`);
  }
  return { arch: obj.arch as string, args: (obj.args ?? {}) as Record<string, unknown>, seed: obj.seed as number | undefined };
}

/** A checkpoint's tensors by their names in the file (`readCheckpoint` in checkpoint-file.ts gives more). */
export interface Weights {
  tensors: Map<string, Tensor>;
  source: string;
}

/** Model file (+ checkpoint) → lowered IR, ready for export. */
export function compileModel(file: ModelFile, weights: Weights | null, opts: CompileOptions): Compiled {
  const built = buildModel(file, weights, opts);
  // Read before lowering, while each convolution and its kernel generator are still one node each.
  built.layers = describeLayers(built.model, built.arch.id, built.args);
  const mode = opts.mode ?? 'conv';
  checkBudget([...built.costs, ...estimateConvolutions(built.layers, mode === 'step' ? null : opts.seqLen, MAX_FOLD_BYTES)], budgetOf(opts));
  lowerModel(built, opts);
  built.layers = withLowerings(built.layers, built.decisions);
  if (built.layers.length > 0) built.model.metadata.set('ssmc.layers', JSON.stringify(built.layers));
  return built;
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
  const arch = findArch(file.arch);
  const args = resolveArgs(arch.id, arch.schema, file.args);
  arch.validate?.(args);
  const mode0 = opts.mode ?? 'conv';
  // Before anything is allocated from the arguments: parameters, graph, and the arch's own work.
  const costs = [...estimateFromParams(arch, args), ...(arch.compileCost?.(args, { seqLen: mode0 === 'step' ? null : opts.seqLen, mode: mode0 }) ?? [])];
  checkBudget(costs, budgetOf(opts));
  const checkpoint = weights ? matchCheckpoint(arch, args, weights) : null;
  const tensors = checkpoint ? checkpoint.tensors : arch.init(args, new Rng(file.seed ?? 0));
  const warnings = weights ? nonFiniteWarnings(tensors, weights.source) : [];

  const model = new Model(opts.opset);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  const b = new Builder(model.graph, opts.opset);
  const io = arch.io(args);
  const mode = opts.mode ?? 'conv';
  const len: Dim = opts.seqLen ?? 'L';
  let inputShape = io.inputShape(len), outputShape = io.outputShape(len);
  let step: StepGraphStates | null = null;
  let prefill: StepGraphStates | null = null;
  if (mode !== 'conv') {
    // A prefill graph ends in the states a step graph continues from, so it needs the same recurrence.
    const stepIo = arch.stepIo?.(args) ?? `arch '${arch.id}' has no step mode in this version of ssmc`;
    if (typeof stepIo === 'string') throw new UserError(`--mode ${mode}: ${stepIo}`);
  }
  if (mode === 'prefill') prefill = new StepGraphStates(b);
  if (mode === 'step') {
    const stepIo = arch.stepIo?.(args) ?? `arch '${arch.id}' has no step mode in this version of ssmc`;
    if (typeof stepIo === 'string') throw new UserError(`--mode step: ${stepIo}`);
    inputShape = stepIo.input;
    outputShape = stepIo.output;
    step = new StepGraphStates(b);
  }
  const input = model.graph.addInput('input', tensorType(io.inputDtype, inputShape));
  const out = arch.build({ b, args, params: new ParamStore(b, tensors), input, step, prefill, dplrStep: opts.dplrStep });
  model.graph.renameValue(out, 'output');
  model.graph.outputs.push(out);
  out.type = tensorType(out.type.dtype, outputShape);
  if (step) step.finish(model);
  if (prefill) prefill.finish(model);
  model.metadata.set('ssmc.arch', arch.id);
  model.metadata.set('ssmc.official', arch.official);
  model.metadata.set('ssmc.args', JSON.stringify(args));
  model.metadata.set('ssmc.mode', mode);
  model.metadata.set('ssmc.layout', mode === 'step' ? `${io.layout} without L (one position)` : io.layout);
  if (mode !== 'step') model.metadata.set('ssmc.seq_len', opts.seqLen === null ? 'dynamic' : String(opts.seqLen));
  model.metadata.set('ssmc.weights', weights ? 'checkpoint' : `init(seed=${file.seed ?? 0})`);
  return { model, arch, args, io, decisions: [], layers: [], checkpoint, costs, warnings };
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

/** Step graphs: `state.<layer>` inputs and `state_out.<layer>` outputs, [batch, H, N, 2] float32. */
class StepGraphStates implements StepStates, FinalStates {
  private readonly layers: { name: string; H: number; N: number; next: Value | null; meaning?: string }[] = [];

  constructor(private readonly b: Builder) {}

  state(layer: string, H: number, N: number, meaning?: string): Value {
    const v = this.b.graph.addInput(`state.${layer}`, tensorType('float32', ['batch', H, N, 2]));
    this.layers.push({ name: layer, H, N, next: null, meaning });
    const part = (i: number) => this.b.op('Gather', [v, this.b.i64(i, [], 'part')], { axis: -1 });
    return this.b.ssm('Complex', [part(0), part(1)]);
  }

  set(layer: string, H: number, N: number, state: Value, meaning?: string): void {
    this.layers.push({ name: layer, H, N, next: null, meaning });
    this.setOut(layer, state);
  }

  setOut(layer: string, next: Value): void {
    const entry = this.layers.find((l) => l.name === layer);
    if (!entry) throw new Error(`internal: state '${layer}' was not declared`);
    const pair = [this.b.ssm('Real', [next]), this.b.ssm('Imag', [next])].map((x) => this.b.unsqueeze(x, [3]));
    entry.next = this.b.concat(pair, 3);
  }

  finish(model: Model): void {
    for (const l of this.layers) {
      if (!l.next) throw new Error(`internal: state '${l.name}' has no new value`);
      model.graph.renameValue(l.next, `state_out.${l.name}`);
      l.next.type = tensorType('float32', ['batch', l.H, l.N, 2]);
      model.graph.outputs.push(l.next);
    }
    model.metadata.set('ssmc.states', JSON.stringify(this.layers.map((l) => ({
      input: `state.${l.name}`, output: `state_out.${l.name}`, shape: ['batch', l.H, l.N, 2], dtype: 'float32',
      meaning: `${l.meaning ?? 'complex diagonal SSM state'}, (re, im) in the last dim; zeros at the start of a sequence`,
    }))));
  }
}

/** Run the lowering pipeline on a built model, in place. */
export function lowerModel(c: Compiled, opts: CompileOptions): void {
  const { model } = c;
  const declared = model.graph.outputs.map((v) => v.type);
  const target: CompileTarget = {
    opset: opts.opset, lowering: opts.lowering ?? 'auto', runtime: opts.runtime, threads: opts.threads, customOps: opts.customOps ?? false,
  };
  try {
    const pipeline = buildPipeline({ lowerings: opts.lowerings });
    const result = runPipeline(model, target, pipeline.passes, { printAfter: opts.printAfter, print: opts.print });
    c.decisions = result.reportOf(pipeline.select) ?? [];
  } catch (e) {
    // A forced lowering that a layer cannot take is the user's choice to fix, not a compiler bug.
    if (e instanceof PassError && e.cause instanceof LoweringRefusedError) {
      const { node, lowering, why } = e.cause;
      const layer = c.layers.find((l) => l.conv === node.name);
      const what = layer ? `the long convolution of layer '${layer.name}'` : `convolution '${node.name}'`;
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
