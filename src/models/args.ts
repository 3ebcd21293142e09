import { UserError } from '../errors.js';

/** One constructor argument of an official module, with the rule it must follow. */
export type ArgSpec =
  | { kind: 'int'; default: number | null; min?: number; max?: number; nullable?: boolean; doc: string }
  | { kind: 'float'; default: number | null; min?: number; max?: number; exclusiveMin?: boolean; nullable?: boolean; doc: string }
  | { kind: 'bool'; default: boolean; doc: string }
  | { kind: 'enum'; default: string | null; values: readonly string[]; nullable?: boolean; doc: string }
  /** Accepted for compatibility and ignored: it only matters for training (dropout, lr, …). */
  | { kind: 'training'; doc: string };

export type ArgSchema = Record<string, ArgSpec>;
/** Resolved arguments of any arch, as the model file's metadata records them. */
export type ArgValues = Record<string, number | string | boolean | null>;

type Nullable<S> = S extends { nullable: true } ? null : never;

/** The value an argument resolves to: an enum's own strings, null only where the argument is nullable. */
export type ArgValue<S extends ArgSpec> =
  S extends { kind: 'int' | 'float' } ? number | Nullable<S>
    : S extends { kind: 'bool' } ? boolean
      : S extends { kind: 'enum'; values: readonly (infer V)[] } ? V | Nullable<S>
        : never;

/**
 * The typed arguments of a schema (declared `as const satisfies ArgSchema`): one field per
 * argument the module uses, training-only ones left out. An arch reads `args.d_model`, no casts.
 */
export type Args<S extends ArgSchema> = {
  readonly [K in keyof S as S[K] extends { kind: 'training' } ? never : K]: ArgValue<S[K]>;
};

/**
 * Check a model file's `args` against an arch's schema and fill in the official defaults.
 * Each error names the argument, the rule, and the fix.
 */
export function resolveArgs<S extends ArgSchema>(arch: string, schema: S, given: unknown): Args<S> {
  return resolveValues(arch, schema, given) as Args<S>;
}

function resolveValues(arch: string, schema: ArgSchema, given: unknown): ArgValues {
  if (given === undefined) given = {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new UserError(`model file: "args" must be an object of constructor arguments for arch '${arch}'`);
  }
  const out: ArgValues = {};
  const input = given as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(schema, key)) {
      throw new UserError(
        `model file: unknown argument "${key.length > 64 ? `${key.slice(0, 64)}…` : key}" for arch '${arch}'; accepted arguments: ${Object.keys(schema).join(', ')}`,
      );
    }
  }
  for (const [name, spec] of Object.entries(schema)) {
    if (spec.kind === 'training') {
      checkTrainingValue(`model file: argument "${name}" of arch '${arch}'`, input[name]);
      continue;
    }
    const v = input[name];
    const where = `model file: argument "${name}" of arch '${arch}'`;
    if (v === undefined) {
      if (spec.default === null && !('nullable' in spec && spec.nullable)) {
        throw new UserError(`${where} is required (${spec.doc}); add it to "args"`);
      }
      out[name] = spec.default;
      continue;
    }
    if (v === null) {
      if ('nullable' in spec && spec.nullable) {
        out[name] = null;
        continue;
      }
      throw new UserError(`${where} must not be null (${spec.doc})`);
    }
    out[name] = checkValue(where, spec, v);
  }
  return out;
}

/** Training-only arguments are ignored, but not any JSON value: what the official constructors take (numbers, strings, small lists and maps). */
const MAX_TRAINING_VALUE_CHARS = 4096;

function checkTrainingValue(where: string, v: unknown): void {
  if (v === undefined || v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string' && v.length <= 256) return;
  const text = JSON.stringify(v);
  if (typeof v === 'object' && text.length <= MAX_TRAINING_VALUE_CHARS) return;
  throw new UserError(`${where} is only used in training (ssmc ignores it), but its value is ${typeof v === 'string' ? `a ${v.length}-character string` : `${text.length} characters of JSON`}; give a number, a short string or a small list or map, or leave it out`);
}

function checkValue(where: string, spec: Exclude<ArgSpec, { kind: 'training' }>, v: unknown): number | string | boolean {
  switch (spec.kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw new UserError(`${where} must be true or false, got ${JSON.stringify(v)}`);
      return v;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) {
        throw new UserError(`${where} must be one of ${spec.values.map((s) => `"${s}"`).join(', ')}, got ${JSON.stringify(v)}`);
      }
      return v;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new UserError(`${where} must be an integer, got ${JSON.stringify(v)}`);
      if (spec.min !== undefined && v < spec.min) throw new UserError(`${where} must be ≥ ${spec.min}, got ${v}`);
      if (spec.max !== undefined && v > spec.max) throw new UserError(`${where} must be ≤ ${spec.max}, got ${v}`);
      return v;
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${where} must be a finite number, got ${JSON.stringify(v)}`);
      if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
        throw new UserError(`${where} must be ${spec.exclusiveMin ? '>' : '≥'} ${spec.min}, got ${v}`);
      }
      if (spec.max !== undefined && v > spec.max) throw new UserError(`${where} must be ≤ ${spec.max}, got ${v}`);
      return v;
  }
}

/** Why each training-only argument of the official constructors does nothing at inference. */
const TRAINING_ONLY = {
  dropout: 'dropout is the identity at inference',
  tie_dropout: 'dropout is the identity at inference',
  drop_kernel: 'kernel dropout is the identity at inference',
  lr: 'learning rate of the SSM parameters',
  wd: 'weight decay of the SSM parameters',
  trainable: 'which parameters train',
  backend: 'PyTorch kernel backend; the math is the same',
  weight_norm: 'folded into the saved weights',
  initializer: 'initialisation of output_linear; checkpoints carry the weights',
} as const;

type TrainingArg = keyof typeof TRAINING_ONLY;

/** Schema entries for the named training-only arguments: accepted, ignored. */
export function trainingOnly<N extends TrainingArg>(...names: N[]): { [K in N]: { kind: 'training'; doc: string } } {
  const out = {} as { [K in N]: { kind: 'training'; doc: string } };
  for (const n of names) out[n] = { kind: 'training', doc: TRAINING_ONLY[n] };
  return out;
}

/** dt_min / dt_max, the range of the initial Δ, with the official defaults. */
export const DT_RANGE = {
  dt_min: { kind: 'float', default: 0.001, min: 0, exclusiveMin: true, doc: 'smallest initial Δ' },
  dt_max: { kind: 'float', default: 0.1, min: 0, exclusiveMin: true, doc: 'largest initial Δ' },
} as const satisfies ArgSchema;

export function checkDtRange(arch: string, args: Args<typeof DT_RANGE>): void {
  if (args.dt_min > args.dt_max) {
    throw new UserError(`model file: arch '${arch}': "dt_min" (${args.dt_min}) must not exceed "dt_max" (${args.dt_max})`);
  }
}
