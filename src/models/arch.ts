import type { Dim, DType } from '../../ir/types.js';
import { resolveArgs, type ArgSchema, type Args, type ArgValues } from './args.js';
import type { Layer } from './layer.js';
import type { CostPart } from './cost.js';

/** The graph interface of a model: its input and output, with symbolic `batch` and `L`. */
export interface ModelIo {
  inputDtype: DType;
  inputShape: (len: Dim) => Dim[];
  outputShape: (len: Dim) => Dim[];
  /** One position (step graphs): the input and output without the length axis. */
  step: { input: Dim[]; output: Dim[] };
  /** Human-readable layout ("BHL", "BLH", "BL" token ids). */
  layout: string;
  /** Token-id input: the vocabulary size (ids 0 … vocab−1). */
  vocab?: number;
  /**
   * Which step outputs the convolution output holds for a sequence of length L: positions
   * [start, start + count) on its length axis, or the one at `start` alone (no length axis) when
   * `squeeze`. Absent: every position (a step graph's output is one position of the conv output).
   */
  stepRows?(L: number): { start: number; count: number; squeeze: boolean };
}

/** One supported official module, written against its typed arguments. */
export interface ArchDef<S extends ArgSchema> {
  id: string;
  /** Where the official module lives: "state-spaces/s4 models/s4/s4d.py S4D". */
  official: string;
  /** Its constructor arguments, declared `as const satisfies ArgSchema` so that `args` is typed. */
  schema: S;
  /** Rules across arguments that the official constructor enforces (throws UserError). */
  validate?(args: Args<S>): void;
  /** The model as a layer: its parameters, its forms and its recurrence. */
  layer(args: Args<S>): Layer;
  io(args: Args<S>): ModelIo;
  /**
   * Compile-time work the arch does itself beyond its parameters and graph (which budget.ts
   * estimates for every arch from its parameter list), so a compile can be refused before it starts.
   */
  compileCost?(args: Args<S>, target: CompileCostTarget): CostPart[];
}

/** What a compile-time cost depends on besides the arguments. */
export interface CompileCostTarget {
  /** The fixed length, or null (dynamic length, or a step graph). */
  seqLen: number | null;
  mode: 'conv' | 'step' | 'prefill';
  /** Whether the parameters are a fresh initialisation (no checkpoint): what an arch's init makes of them is known. */
  fresh: boolean;
}

/** A model file's arch with its arguments resolved: what the compiler builds. */
export interface ConfiguredModel {
  arch: Arch;
  /** The resolved arguments, as the `ssmc.args` metadata records them. */
  args: ArgValues;
  layer: Layer;
  io: ModelIo;
  /** The arch's own compile-time work for this configuration (none unless it declares some). */
  compileCost(target: CompileCostTarget): CostPart[];
}

/** An arch whose argument types are its own business: the registry's view of an ArchDef. */
export interface Arch {
  id: string;
  official: string;
  schema: ArgSchema;
  /** Check the model file's `args` against the schema (UserError naming the argument, rule and fix). */
  configure(given: unknown): ConfiguredModel;
}

export function defineArch<S extends ArgSchema>(def: ArchDef<S>): Arch {
  const arch: Arch = {
    id: def.id,
    official: def.official,
    schema: def.schema,
    configure(given) {
      const args = resolveArgs(def.id, def.schema, given);
      def.validate?.(args);
      return { arch, args: { ...args }, layer: def.layer(args), io: def.io(args), compileCost: (target) => def.compileCost?.(args, target) ?? [] };
    },
  };
  return arch;
}
