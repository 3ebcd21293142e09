import type { Tensor } from '../ir/tensor.js';
import { isInteger, type DType } from '../ir/types.js';
import { bfloat16BytesToFloat32, halfBytesToFloat32 } from '../ir/half.js';
import { UserError } from './errors.js';
import type { ConfiguredModel } from './models/arch.js';
import type { ParamSpec } from './models/layer.js';

/** Prefixes that wrappers put before a module's own names: DDP / DataParallel, torch.compile, a Lightning module's `model` attribute. */
export const WRAPPER_PREFIXES: readonly string[] = ['module.', '_orig_mod.', 'model.'];

/** The tensors a checkpoint gives an arch, and how they were taken. */
export interface CheckpointMatch {
  /**
   * In the arch's order, under its names. Floating-point parameters are float32 or, when the file
   * holds float64, float64 (kept for the compile-time math; `ParamStore` makes float32 initializers);
   * integer buffers are converted exactly to the declared integer dtype.
   */
  tensors: Map<string, Tensor>;
  /** The wrapper prefix stripped from the file's names ('' when they matched as they were). */
  prefix: string;
  /** One phrase per conversion made, e.g. "12 float16 tensors widened to float32 (exact)". */
  conversions: string[];
}

export interface MatchOptions {
  /** Wrapper prefixes that may be stripped (default {@link WRAPPER_PREFIXES}); chains of up to three are tried. */
  wrapperPrefixes?: readonly string[];
}

/**
 * Match a checkpoint against what the arch expects under its official names: every tensor
 * present, nothing extra, shapes exact, dtypes convertible without loss. When the names do not
 * match as they are, a wrapper prefix (`module.`, `_orig_mod.`, `model.`, or a chain of them) is
 * stripped from the names that carry it, if exactly one prefix makes every expected name present.
 * An arch may therefore declare its names either with the wrapper's prefix (a whole Lightning
 * model's `model.layers.…` beside `encoder.0.…`) or without it.
 */
export function matchCheckpoint(model: ConfiguredModel, weights: CheckpointTensors, opts: MatchOptions = {}): CheckpointMatch {
  return matchTensors(model.layer.params(), weights, `arch '${model.arch.id}' (${model.arch.official})`, opts);
}

/** What matching needs of a checkpoint (`readCheckpoint`'s result is one). */
export interface CheckpointTensors {
  tensors: Map<string, Tensor>;
  source: string;
  /** Entries beside the tensors that are not tensors, by name → what they are. */
  nonTensors?: ReadonlyMap<string, string>;
}

/** {@link matchCheckpoint} for any list of expected tensors; `what` names the model in messages. */
export function matchTensors(specs: ParamSpec[], weights: CheckpointTensors, what: string, opts: MatchOptions = {}): CheckpointMatch {
  const { tensors, source } = weights;
  const expected = new Set(specs.map((s) => s.name));
  const { prefix, renamed, original } = stripWrapperPrefix(tensors, expected, opts.wrapperPrefixes ?? WRAPPER_PREFIXES, source);
  const missing = specs.filter((s) => !renamed.has(s.name));
  const extra = [...renamed.keys()].filter((k) => !expected.has(k)).sort();
  if (missing.length > 0) {
    for (const m of missing) {
      const other = weights.nonTensors?.get(m.name) ?? weights.nonTensors?.get(`${prefix}${m.name}`);
      if (other !== undefined) throw new UserError(`${source}: '${m.name}', required by ${what}, is ${other}, not a tensor; ssmc never runs pickled objects — save the module's state_dict() with torch.save`);
    }
    const hint = extra.length > 0 ? `; it has other tensors (${listed(extra.map(clip), 5)}): is it a checkpoint of another arch, or saved with a prefix?` : '';
    throw new UserError(
      `${source}: missing tensor${missing.length > 1 ? 's' : ''} ${listed(missing.map(describe))} required by ${what} with these args${hint}`,
    );
  }
  if (extra.length > 0) {
    throw new UserError(
      `${source}: unexpected tensor${extra.length > 1 ? 's' : ''} ${listed(extra.map((e) => `'${clip(original.get(e) ?? e)}'`))} for ${what} with these args; check that the model file's arch and args match the checkpoint (e.g. "channels", "bidirectional", "mode")`,
    );
  }
  const out = new Map<string, Tensor>();
  const counts = new Map<string, number>();
  for (const spec of specs) {
    const { tensor, conversion } = convertTensor(renamed.get(spec.name)!, spec, `${source}: tensor '${original.get(spec.name)}'`, what);
    out.set(spec.name, tensor);
    if (conversion) counts.set(conversion, (counts.get(conversion) ?? 0) + 1);
  }
  const conversions = [...counts].map(([c, n]) => `${n} ${c.replace('{s}', n === 1 ? '' : 's')}`);
  return { tensors: out, prefix, conversions };
}

/** The names as they are when they match; else the one wrapper prefix whose removal makes them match. */
interface Renamed {
  prefix: string;
  renamed: Map<string, Tensor>;
  /** Stripped name → the name in the file. */
  original: Map<string, string>;
}

function stripWrapperPrefix(tensors: Map<string, Tensor>, expected: Set<string>, wrappers: readonly string[], source: string): Renamed {
  const covers = (names: Map<string, Tensor>) => [...expected].every((n) => names.has(n));
  const asIs: Renamed = { prefix: '', renamed: tensors, original: new Map([...tensors.keys()].map((k) => [k, k])) };
  if (covers(tensors)) return asIs;
  let chains = [''];
  const found: Renamed[] = [];
  for (let depth = 0; depth < 3; depth++) {
    chains = chains.flatMap((c) => wrappers.map((w) => c + w)).filter((c) => [...tensors.keys()].some((k) => k.startsWith(c)));
    for (const prefix of chains) {
      const renamed = new Map<string, Tensor>(), original = new Map<string, string>();
      for (const [k, t] of tensors) {
        const name = k.startsWith(prefix) ? k.slice(prefix.length) : k;
        renamed.set(name, t);
        original.set(name, k);
      }
      if (renamed.size === tensors.size && covers(renamed)) found.push({ prefix, renamed, original });
    }
  }
  if (found.length > 1) {
    throw new UserError(
      `${source}: the tensor names match after stripping any of the prefixes ${found.map((f) => `'${f.prefix}'`).join(', ')}, so which tensors are the model's is ambiguous; save only the model's state_dict (e.g. model.module.state_dict() for DDP)`,
    );
  }
  return found[0] ?? asIs;
}

const FLOATS = new Set<DType>(['float32', 'float16', 'bfloat16', 'float64']);
const FIX_DTYPE = "convert it in Python: sd = {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}, then save sd";

/** One tensor converted to what its spec declares, exactly, or a UserError saying why not and how to fix it. */
function convertTensor(t: Tensor, spec: ParamSpec, where: string, what: string): { tensor: Tensor; conversion: string | null } {
  const shapeError = (dims: readonly number[]) =>
    new UserError(`${where} has shape [${dims.join(', ')}], but ${what} with these args needs [${spec.shape.join(', ')}]; check "d_model", "d_state" and the other args in the model file`);
  const sameShape = (dims: readonly number[]) => dims.length === spec.shape.length && dims.every((d, i) => d === spec.shape[i]);
  const isFloatSpec = spec.dtype === 'float32' || spec.dtype === 'float64';

  if (isFloatSpec && (t.dtype === 'complex64' || t.dtype === 'complex128')) {
    // A complex parameter saved as such: the official modules keep torch.view_as_real, (re, im) in a last dim of 2.
    const dims = [...t.dims, 2];
    if (!sameShape(dims)) throw shapeError(dims);
    const data = t.data as Float32Array | Float64Array;
    return t.dtype === 'complex64'
      ? { tensor: { dtype: 'float32', dims, data: Float32Array.from(data) }, conversion: 'complex64 tensor{s} read as (re, im) float32 pairs, as torch.view_as_real lays them out' }
      : { tensor: { dtype: 'float64', dims, data: Float64Array.from(data) }, conversion: 'complex128 tensor{s} read as (re, im) float64 pairs, as torch.view_as_real lays them out' };
  }
  if (!sameShape(t.dims)) throw shapeError(t.dims);
  if (t.dtype === spec.dtype) return { tensor: t, conversion: null };

  if (isFloatSpec) {
    if (!FLOATS.has(t.dtype)) {
      throw new UserError(`${where} has dtype ${t.dtype}, but ${what} needs a floating-point tensor (float32, float16, bfloat16 or float64); ${FIX_DTYPE}`);
    }
    if (t.dtype === 'float64') return { tensor: t, conversion: 'float64 tensor{s} kept in float64 for the compile-time math (graph initializers are float32)' };
    const wide = t.dtype === 'float16' ? halfBytesToFloat32(rawOf(t)) : t.dtype === 'bfloat16' ? bfloat16BytesToFloat32(rawOf(t)) : (t.data as Float32Array);
    const tensor: Tensor = spec.dtype === 'float64' ? { dtype: 'float64', dims: t.dims, data: Float64Array.from(wide) } : { dtype: 'float32', dims: t.dims, data: wide };
    return { tensor, conversion: `${t.dtype} tensor{s} widened to ${spec.dtype} (exact)` };
  }
  if (isInteger(spec.dtype) || spec.dtype === 'bool') {
    const values = integerValues(t);
    if (!values) {
      throw new UserError(`${where} has dtype ${t.dtype}, but ${what} needs an integer buffer (${spec.dtype}) and its values are not all integers; save the buffer as the module holds it (do not convert integer buffers to float)`);
    }
    return { tensor: integerTensor(spec.dtype, t.dims, values, where), conversion: `${t.dtype} buffer{s} converted to ${spec.dtype} (exact)` };
  }
  throw new UserError(`${where} has dtype ${t.dtype}, but ${what} needs ${spec.dtype}; save it in ${spec.dtype}`);
}

function rawOf(t: Tensor): Uint8Array {
  if (t.raw) return t.raw;
  const d = t.data as Uint16Array;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** The elements as exact integers (bigint), or null when a value is not an integer. */
function integerValues(t: Tensor): bigint[] | null {
  if (t.data === null || Array.isArray(t.data)) return null;
  const out: bigint[] = [];
  for (const v of t.data as Iterable<number | bigint>) {
    if (typeof v === 'bigint') out.push(v);
    else if (Number.isInteger(v)) out.push(BigInt(v));
    else return null;
  }
  return out;
}

const INT_RANGES: Partial<Record<DType, [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n], int32: [-(2n ** 31n), 2n ** 31n - 1n], int16: [-(2n ** 15n), 2n ** 15n - 1n], int8: [-128n, 127n],
  uint64: [0n, 2n ** 64n - 1n], uint32: [0n, 2n ** 32n - 1n], uint16: [0n, 65535n], uint8: [0n, 255n], bool: [0n, 1n],
};

function integerTensor(dtype: DType, dims: readonly number[], values: bigint[], where: string): Tensor {
  const [lo, hi] = INT_RANGES[dtype] ?? [0n, -1n];
  const bad = values.find((v) => v < lo || v > hi);
  if (bad !== undefined || lo > hi) throw new UserError(`${where} holds the value ${bad}, which ${dtype} cannot hold; save the buffer as the module holds it`);
  const data = dtype === 'int64' ? BigInt64Array.from(values) : dtype === 'uint64' ? BigUint64Array.from(values)
    : dtype === 'int32' ? Int32Array.from(values, Number) : dtype === 'uint32' ? Uint32Array.from(values, Number)
    : dtype === 'int16' ? Int16Array.from(values, Number) : dtype === 'uint16' ? Uint16Array.from(values, Number)
    : dtype === 'int8' ? Int8Array.from(values, Number) : Uint8Array.from(values, Number);
  return { dtype, dims, data };
}

/** At most `max` items of a list in a message, then how many more: a file can name millions. */
function listed(items: string[], max = 10): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function clip(name: string): string {
  return name.length > 80 ? `${name.slice(0, 80)}…` : name;
}

function describe(s: ParamSpec): string {
  return `'${s.name}' [${s.shape.join(', ')}]`;
}
