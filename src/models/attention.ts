import type { Builder } from '../../ir/builder.js';
import { causalAttention } from '../../ir/ops/attention.js';
import { onnxCode } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { UserError } from '../errors.js';
import { constant, fill } from './init.js';
import { prefixed, type Layer, type LayerContext, type ParamSpec, type StepStates } from './layer.js';
import { linear } from './layers.js';

/** Positions a full-attention step graph's key/value cache holds unless the compile says otherwise. */
export const DEFAULT_ATTENTION_CACHE = 2048;
/** The largest cache a compile accepts (float32 holds every position index exactly; a step reads every slot). */
export const MAX_KV_CACHE = 1 << 20;

export interface MhaArgs {
  /** The embedding width (nn.MultiheadAttention's embed_dim). */
  dModel: number;
  nHeads: number;
  /** in_proj_bias and out_proj.bias (nn.MultiheadAttention's `bias`). */
  bias: boolean;
  /** 0: full causal attention; k > 0: attention inside non-overlapping chunks of k positions. */
  chunk: number;
  /**
   * Rotary embedding of queries and keys (half-split pairs, θ_i = 10000^(−2i/head_dim)) by the
   * position inside the chunk (chunk-local) or in the sequence (full): tools/reference/gss_hybrid.py.
   */
  rotary?: boolean;
}

const f32Spec = (name: string, shape: number[]): ParamSpec => ({ name, shape, dtype: 'float32' });

/**
 * Causal nn.MultiheadAttention(d_model, n_heads, bias, batch_first=True) applied as self-attention
 * (query = key = value = x), features last, its tensors under `prefix` (`in_proj_weight` [3H, H],
 * `in_proj_bias` [3H], `out_proj.weight` [H, H], `out_proj.bias` [H]):
 *   q, k, v = x·W_inᵀ + b_in split in three, each split into heads of H/n_heads;
 *   y = out_proj(concat over heads of CausalAttention(q, k, v){scale 1/√head_dim, chunk}).
 * Its recurrence carries the keys and values as a cache (see cacheStep): states
 * `cache.<name>.key`, `cache.<name>.value` [batch, heads, slots, head_dim] and
 * `cache.<name>.position` [batch, 1], where `name` is the module's path (`prefix` without `mha.`).
 */
export function mhaLayer(args: MhaArgs, prefix: string, name: string): Layer {
  const { dModel: H, nHeads, bias, chunk } = args;
  if (!Number.isInteger(H / nHeads)) throw new UserError(`n_heads ${nHeads} must divide d_model ${H} (nn.MultiheadAttention's embed_dim must be divisible by num_heads)`);
  const dh = H / nHeads;
  const p = prefixed(prefix);
  const scale = 1 / Math.sqrt(dh);
  const projections = ({ b, params }: LayerContext, x: Value) => linear(b, x, params.real(p('in_proj_weight')), bias ? params.real(p('in_proj_bias')) : null);
  const output = ({ b, params }: LayerContext, y: Value) => linear(b, y, params.real(p('out_proj.weight')), bias ? params.real(p('out_proj.bias')) : null);
  /** [B, L, 3H] → q, k, v [B, heads, L, dh]. */
  const heads = (b: Builder, qkv: Value) => [0, 1, 2].map((i) => b.transpose(b.reshape(b.slice(qkv, [i * H], [(i + 1) * H], [2]), [0, 0, nHeads, dh]), [0, 2, 1, 3])) as [Value, Value, Value];
  const merge = (b: Builder, y: Value) => b.reshape(b.transpose(y, [0, 2, 1, 3]), [0, 0, H]);
  const conv = (ctx: LayerContext, x: Value) => {
    const { b } = ctx;
    let [q, k, v] = heads(b, projections(ctx, x));
    if (args.rotary) {
      const t = b.positions(b.dim(x, 1)); // float on the device (exact up to 2^24)
      const table = rotaryTable(b, chunk > 0 ? floorMod(b, t, chunk) : t, dh); // [L, dh]
      [q, k] = [rotate(b, q, table, dh), rotate(b, k, table, dh)];
    }
    return { k, v, y: output(ctx, merge(b, causalAttention(b, q, k, v, { scale, chunk }))) };
  };
  return {
    params: () => [
      f32Spec(p('in_proj_weight'), [3 * H, H]), ...(bias ? [f32Spec(p('in_proj_bias'), [3 * H])] : []),
      f32Spec(p('out_proj.weight'), [H, H]), ...(bias ? [f32Spec(p('out_proj.bias'), [H])] : []),
    ],
    // nn.MultiheadAttention._reset_parameters: xavier_uniform_ in_proj_weight, zero biases; out_proj as nn.Linear.
    init: (rng) => {
      const xavier = Math.sqrt(6 / (H + 3 * H)), fan = 1 / Math.sqrt(H);
      return [
        [p('in_proj_weight'), fill([3 * H, H], () => rng.range(-xavier, xavier))],
        ...(bias ? [[p('in_proj_bias'), constant([3 * H], 0)] as const] : []),
        [p('out_proj.weight'), fill([H, H], () => rng.range(-fan, fan))],
        ...(bias ? [[p('out_proj.bias'), constant([H], 0)] as const] : []),
      ] as [string, ReturnType<typeof constant>][];
    },
    conv: (ctx, x) => conv(ctx, x).y,
    recurrence: {
      step: (ctx, x, states) => {
        const { b } = ctx;
        const [q, k, v] = [0, 1, 2].map((i) => b.reshape(b.slice(projections(ctx, x), [i * H], [(i + 1) * H], [1]), [0, nHeads, 1, dh])) as [Value, Value, Value];
        const y = cacheStep(b, states, name, { q, k, v, scale, chunk, slots: chunk > 0 ? chunk : ctx.options.attentionCache, nHeads, dh, rotary: args.rotary ?? false });
        return output(ctx, b.reshape(y, [0, H]));
      },
      prefill: (ctx, x, states) => {
        const { b } = ctx;
        const { k, v, y } = conv(ctx, x);
        const slots = chunk > 0 ? chunk : ctx.options.attentionCache;
        const L = x.type.shape?.[1];
        if (chunk === 0 && typeof L === 'number' && L > slots) {
          throw new UserError(`${name}: a prefill of ${L} positions does not fit the attention cache of ${slots} positions; compile with --kv-cache ${L} or more`);
        }
        const length = b.dim(x, 1);
        // Full attention keeps every position in its slot; chunk-local only the current chunk's.
        const first = chunk > 0 ? b.sub(length, b.op('Mod', [length, b.i64(chunk, [], 'chunk')])) : b.i64(0, [], 'zero');
        const kept = (t: Value) => {
          const tail = chunk > 0 ? b.slice(t, b.unsqueeze(first, [0]), b.unsqueeze(length, [0]), [2]) : t;
          const missing = b.sub(b.i64(slots, [], 'slots'), b.sub(length, first));
          const pads = b.concat([b.i64([0, 0, 0, 0, 0, 0], undefined, 'pads'), b.unsqueeze(missing, [0]), b.i64([0], undefined, 'pads')], 0);
          return b.op('Pad', [tail, pads]);
        };
        const dims = [nHeads, slots, dh];
        states.setTensor(`${name}.key`, dims, kept(k), keyMeaning(slots, chunk), 'cache');
        states.setTensor(`${name}.value`, dims, kept(v), valueMeaning(slots, chunk), 'cache');
        // The length as [B, 1]: a sum of ones over positions, formed on the device (a length cast from Shape is a host value).
        const ones = b.op('Expand', [b.f32(1), b.concat([b.unsqueeze(b.dim(x, 0), [0]), b.unsqueeze(length, [0]), b.i64([1], undefined, 'one')], 0)]); // [B, L, 1]
        states.setTensor(`${name}.position`, [1], b.op('ReduceSum', [ones, b.i64([1], undefined, 'axes')], { keepdims: 0 }), POSITION_MEANING, 'cache');
        return y;
      },
    },
  };
}

const POSITION_MEANING = 'positions seen so far (the next position\'s index), one per sequence';
const keyMeaning = (slots: number, chunk: number) => chunk > 0
  ? `keys of the current chunk of ${chunk} positions, [heads, slot, head_dim]: position t in slot t mod ${chunk}; slots past the position's own are stale and never read, so the cache resets at every chunk boundary`
  : `keys of every position so far, [heads, slot, head_dim]: position t in slot t, up to ${slots} positions (past them the output is NaN; compile with a larger --kv-cache)`;
const valueMeaning = (slots: number, chunk: number) => keyMeaning(slots, chunk).replace(/^keys/, 'values');

/**
 * One position of causal attention against a fixed-size key/value cache (slots × head_dim per
 * head), so the step graph's interface has fixed shapes that every runtime and the server's
 * batcher take, and each sequence of a batch may be at its own position:
 *   c = position (full) or position mod chunk (chunk-local); slot c ← (k, v) (ScatterElements);
 *   y = Σ_{slot ≤ c} softmax(scale·q·k_slot)·v_slot;  position ← position + 1.
 * Full attention past the cache's slots returns NaN rather than a silently truncated attention.
 */
function cacheStep(b: Builder, states: StepStates, name: string, a: { q: Value; k: Value; v: Value; scale: number; chunk: number; slots: number; nHeads: number; dh: number; rotary: boolean }): Value {
  const dims = [a.nHeads, a.slots, a.dh];
  const keys = states.tensor(`${name}.key`, dims, keyMeaning(a.slots, a.chunk), 'cache');
  const values = states.tensor(`${name}.value`, dims, valueMeaning(a.slots, a.chunk), 'cache');
  const position = states.tensor(`${name}.position`, [1], POSITION_MEANING, 'cache'); // [B, 1]
  const c = a.chunk > 0 ? floorMod(b, position, a.chunk) : position;
  if (a.rotary) {
    const t = rotaryTable(b, c, a.dh); // [B, 1, dh]: this position's angles
    const table = { cos: b.unsqueeze(t.cos, [1]), sin: b.unsqueeze(t.sin, [1]) }; // [B, 1, 1, dh]
    [a.q, a.k] = [rotate(b, a.q, table, a.dh), rotate(b, a.k, table, a.dh)];
  }
  // Slot c ← (k, v) by ScatterElements along the slot axis: one position's values written into a
  // copy of the cache, where selecting with Where over every slot cost 3 ns an element. Full
  // attention past the last slot writes the last one (its outputs are NaN from there on anyway).
  // int32 indices (a slot count is far below 2^31): a GPU provider casts and expands them on the device.
  const slot = b.cast(a.chunk > 0 ? c : b.op('Min', [c, b.f32(a.slots - 1)]), onnxCode('int32'));
  const at = b.op('Expand', [b.reshape(slot, [-1, 1, 1, 1]), b.i64([1, a.nHeads, 1, a.dh], undefined, 'slot_shape')]); // [B, heads, 1, dh]
  const newKeys = b.op('ScatterElements', [keys, at, a.k], { axis: 2 });
  const newValues = b.op('ScatterElements', [values, at, a.v], { axis: 2 });
  const slots = b.f32(Array.from({ length: a.slots }, (_, i) => i), [a.slots], 'slots');
  const seen = b.unsqueeze(b.op('LessOrEqual', [slots, c]), [1, 2]); // [B, 1, 1, slots]
  const scores = b.matmul(b.mul(a.q, b.f32(a.scale)), b.transpose(newKeys, [0, 1, 3, 2])); // [B, heads, 1, slots]
  const weights = b.op('Softmax', [b.op('Where', [seen, scores, b.f32(-Infinity, [], 'neg_inf')])], { axis: -1 });
  let y = b.matmul(weights, newValues); // [B, heads, 1, dh]
  if (a.chunk === 0) y = b.op('Where', [b.unsqueeze(b.op('Less', [c, b.f32(a.slots)]), [2, 3]), y, b.f32(NaN, [], 'nan')]);
  states.setOut(`${name}.key`, newKeys);
  states.setOut(`${name}.value`, newValues);
  states.setOut(`${name}.position`, b.add(position, b.f32(1)));
  return y;
}

/** t mod m for float t ≥ 0 holding integers: t − ⌊t/m⌋·m (ONNX's Mod takes floats only with fmod). */
function floorMod(b: Builder, t: Value, m: number): Value {
  return b.sub(t, b.mul(b.op('Floor', [b.div(t, b.f32(m))]), b.f32(m)));
}

/**
 * cos and sin of position·θ_i (θ_i = 10000^(−2i/d), i < d/2), each repeated over both halves:
 * positions float32 [...P] → { cos, sin } [...P, d].
 */
function rotaryTable(b: Builder, positions: Value, d: number): { cos: Value; sin: Value } {
  const theta = b.f32(Array.from({ length: d / 2 }, (_, i) => 10000 ** (-(2 * i) / d)), [d / 2], 'rotary_theta');
  const angle = b.mul(b.unsqueeze(positions, [-1]), theta);
  const both = (v: Value) => b.concat([v, v], -1);
  return { cos: both(b.op('Cos', [angle])), sin: both(b.op('Sin', [angle])) };
}

/** x·cos + rotate_half(x)·sin, rotate_half(x1, x2) = (−x2, x1) over the last axis of width d. */
function rotate(b: Builder, x: Value, table: { cos: Value; sin: Value }, d: number): Value {
  const half = b.concat([b.neg(b.slice(x, [d / 2], [d], [-1])), b.slice(x, [0], [d / 2], [-1])], -1);
  return b.add(b.mul(x, table.cos), b.mul(half, table.sin));
}
