import type { Builder } from '../../ir/builder.js';
import type { Tensor } from '../../ir/tensor.js';
import type { Dim, DType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import type { CostPart } from './cost.js';
import type { ArgSchema, ArgValues } from './args.js';
import type { ParamStore } from './params.js';
import type { Rng } from './rng.js';
import type { FinalStates, StepStates } from './step.js';

/** A checkpoint entry the arch expects, by its official state_dict name. */
export interface ParamSpec {
  name: string;
  shape: number[];
  dtype: DType;
}

/** The graph interface of a model: its input and output, with symbolic `batch` and `L`. */
export interface ModelIo {
  inputDtype: DType;
  inputShape: (len: Dim) => Dim[];
  outputShape: (len: Dim) => Dim[];
  /** Human-readable layout ("BHL", "BLH", "BL" token ids). */
  layout: string;
}

export interface BuildContext {
  b: Builder;
  args: ArgValues;
  params: ParamStore;
  /** Convolution mode: the whole sequence. Step mode: one position (no length axis). */
  input: Value;
  /** Set in step mode: where each SSM layer reads and writes its recurrent state. */
  step: StepStates | null;
  /** Set in prefill mode: where each SSM layer reports its state after the whole sequence. */
  prefill: FinalStates | null;
  /**
   * S4 DPLR step graphs: the official O(N) linear stepper, the diagonalised one (eigenbasis of
   * dA, refused when that basis is too ill-conditioned), or 'auto' (default): diagonal when it
   * passes its check, else linear. Prefill graphs plan the same way and return their state in
   * the basis of the stepper chosen.
   */
  dplrStep?: DplrStepChoice;
}

export type DplrStepChoice = 'auto' | 'linear' | 'diagonal';
export const DPLR_STEP_CHOICES: readonly DplrStepChoice[] = ['auto', 'linear', 'diagonal'];

/** One supported official module: its arguments, checkpoint entries, initialisation and graph. */
export interface ArchDef {
  id: string;
  /** Where the official module lives: "state-spaces/s4 models/s4/s4d.py S4D". */
  official: string;
  schema: ArgSchema;
  /** Rules across arguments that the official constructor enforces (throws UserError). */
  validate?(args: ArgValues): void;
  params(args: ArgValues): ParamSpec[];
  /** A fresh model's parameters, like the official initialisation (not PyTorch's random stream). */
  init(args: ArgValues, rng: Rng): Map<string, Tensor>;
  io(args: ArgValues): ModelIo;
  /** Emit the model's graph on `ctx.input`; returns the output value. */
  build(ctx: BuildContext): Value;
  /**
   * Step mode: the interface of one position, or why this configuration has no recurrence
   * (a string explaining it).
   */
  stepIo?(args: ArgValues): { input: Dim[]; output: Dim[] } | string;
  /**
   * Compile-time work the arch does itself beyond its parameters and graph (which budget.ts
   * estimates for every arch from `params`), so a compile can be refused before it starts.
   */
  compileCost?(args: ArgValues, target: { seqLen: number | null; mode: 'conv' | 'step' | 'prefill' }): CostPart[];
}
