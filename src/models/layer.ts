import type { Builder } from '../../ir/builder.js';
import type { Progress } from '../../ir/progress.js';
import type { Tensor } from '../../ir/tensor.js';
import type { DType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import type { ParamStore } from './params.js';
import type { Rng } from './rng.js';

/**
 * The unit a model is composed of: a layer owns its parameters (official state_dict names, under
 * its prefix) and declares its forms as data — the convolution form over the whole sequence, and
 * its recurrence (one position with its state, and the whole sequence ending in that state), or
 * the reason it has none. A model is a layer made of layers (sequential); the compiler picks the
 * form from the mode, so no layer ever asks which mode it is in.
 */
export interface Layer {
  /** Its checkpoint entries. */
  params(): ParamSpec[];
  /** A fresh layer's parameters, like the official initialisation (not PyTorch's random stream). */
  init(rng: Rng): [string, Tensor][];
  /** The whole sequence at once. */
  conv(ctx: LayerContext, x: Value): Value;
  /** Its recurrence, or why it has none (the message names the reason and the fix). */
  readonly recurrence: Recurrence | NoRecurrence;
}

export interface Recurrence {
  /** One position (the input without its length axis): reads its state from `states` and writes the next. */
  step(ctx: LayerContext, x: Value, states: StepStates): Value;
  /** The whole sequence, also reporting the state a step form continues from (in the basis its step reads). */
  prefill(ctx: LayerContext, x: Value, states: FinalStates): Value;
}

export interface NoRecurrence {
  readonly none: string;
}

export function hasRecurrence(r: Recurrence | NoRecurrence): r is Recurrence {
  return !('none' in r);
}

/** A parameter's full name: its official name under the layer's state_dict prefix. */
export type Prefixed = (name: string) => string;

export function prefixed(prefix: string): Prefixed {
  return (name) => `${prefix}${name}`;
}

/** A checkpoint entry a layer expects, by its official state_dict name. */
export interface ParamSpec {
  name: string;
  shape: number[];
  dtype: DType;
}

/** S4 DPLR steppers: the official O(N) linear one, the diagonalised one, or 'auto' (see s4-block.ts). */
export type DplrStepChoice = 'auto' | 'linear' | 'diagonal';
export const DPLR_STEP_CHOICES: readonly DplrStepChoice[] = ['auto', 'linear', 'diagonal'];

/** Compile options a layer's forms read. */
export interface LayerOptions {
  /**
   * S4 DPLR step graphs: the official O(N) linear stepper, the diagonalised one (eigenbasis of
   * dA, refused when that basis is too ill-conditioned), or 'auto' (default): diagonal when it
   * passes its check, else linear. Prefill graphs plan the same way and return their state in
   * the basis of the stepper chosen.
   */
  dplrStep: DplrStepChoice;
  /**
   * --lowering ('auto' by default), for convolutions that are not LongConv nodes and so never
   * meet select-lowering (GatedDsConv's input-dependent kernel picks its form from it).
   */
  lowering?: string;
  /**
   * The runtime has no control flow worth using (a GPU provider runs Scan and Loop on the CPU,
   * copying their state to the device and back every iteration): forms that would loop use a
   * loop-free equivalent (S4 DPLR's prefill state). From the compile target's `lacks`.
   */
  loopFree: boolean;
  /**
   * The runtime's sin and cos are approximations (GPU shader math: WGSL allows 2^-11 absolute
   * error): values a form would compute at run time as exp of a complex argument are built from
   * products of constants instead (the prefill state). From the compile target.
   */
  approximateTrig: boolean;
  /** Positions a full-attention step graph's key/value cache holds (chunk-local attention holds one chunk). */
  attentionCache: number;
}

/** What an SSM layer's convolution is, for the `ssmc.layers` metadata and the lowering report. */
export interface SsmLayerInfo {
  /** The module path of the layer's SSM core ('kernel', 'layer', 'layers.3.dss'). */
  name: string;
  /** 'diag-zoh' | 'diag-bilinear' | 'vandermonde' | 'dplr' | 'dss-softmax' | … */
  kernel: string;
  H: number;
  /** Complex state modes per feature (a conjugate pair counts once where the kernel takes 2·Re). */
  N: number;
  /** Output channels of the convolution (C), two sides counted once. */
  channels: number;
  bidirectional: boolean;
}

/** What every form of a layer builds with. */
export interface LayerContext {
  readonly b: Builder;
  readonly params: ParamStore;
  readonly options: LayerOptions;
  /** Declare the long convolution `y` (a LongConv's output) as the SSM layer `info`. */
  ssmLayer(y: Value, info: SsmLayerInfo): void;
  /**
   * The state_dict prefix of the module being built ('layers.3.'; '' at the top): the combinators
   * name a child layer's scope by its parameters' prefix relative to this one (see `inModule`).
   */
  readonly module: string;
  /** Where long work reports itself (building a layer, precomputing a kernel). */
  readonly progress: Progress;
}

/**
 * The module path a layer's parameters share, as a state_dict prefix: 'layers.3.' for a GSS layer
 * of the LM (every name starts 'layers.3.'), 'token_emb.' for its embedding, '' when they share
 * none (or the layer has no parameters), and never a list without its index ('layers.').
 */
export function modulePrefix(params: readonly ParamSpec[]): string {
  if (params.length === 0) return '';
  let common = params[0]!.name;
  for (const p of params) {
    let i = 0;
    while (i < common.length && i < p.name.length && common[i] === p.name[i]) i++;
    common = common.slice(0, i);
  }
  // Cut at a module boundary: 'layers.1' and 'layers.10' share 'layers.1' but only the module 'layers.'.
  common = common.slice(0, common.lastIndexOf('.') + 1);
  // A list and its index name one module, as PyTorch's scopes do ('layers.0'): the parameters of
  // 'layers.0' and 'layers.1' share no module of their own.
  if (common && params.every((p) => /^\d+\./.test(p.name.slice(common.length)))) common = common.slice(0, common.lastIndexOf('.', common.length - 2) + 1);
  return common;
}

/**
 * Build one of `layer`'s forms inside its module: its nodes are named under a scope of their own
 * (the builder's scope stack: 'layers.3', then 'layers.3/dss' inside it), its building is a
 * progress task, and its own children are named relative to it. The scope is the layer's
 * parameter prefix relative to the enclosing module, so every layer composed with `sequential` or
 * `residual` is grouped without code of its own; a layer whose parameters share no prefix beyond
 * the enclosing one's builds in the enclosing scope.
 */
export function inModule<T>(ctx: LayerContext, layer: Layer, build: (ctx: LayerContext) => T): T {
  const prefix = modulePrefix(layer.params());
  if (prefix.length <= ctx.module.length || !prefix.startsWith(ctx.module)) return build(ctx);
  const segment = prefix.slice(ctx.module.length, -1);
  if (segment.includes('/')) return build(ctx); // not a module path we can name a scope by
  return ctx.progress.run(segment, (task) => ctx.b.within(segment, () => build({ ...ctx, module: prefix, progress: task.progress })));
}

/**
 * How a real state is named at the graph interface: 'state' (`state.<name>` in, `state_out.<name>`
 * out) or 'cache' (`cache.<name>` / `cache_out.<name>`: an attention layer's keys and values).
 */
export type StateInterface = 'state' | 'cache';

/**
 * The recurrent states of a step graph. A layer's state is complex [batch, H, N]; at the graph
 * interface it travels as float32 [batch, H, N, 2] (re, im last), named `state.<name>` in and
 * `state_out.<name>` out.
 */
export interface StepStates {
  /**
   * Declare a state and get its incoming value (complex [batch, H, N]). `meaning` goes to the
   * `ssmc.states` metadata when the state is not a plain diagonal SSM state (the basis it is
   * in), so states of different steppers are never mixed up.
   */
  state(name: string, H: number, N: number, meaning?: string): Value;
  /**
   * Declare a real state of any fixed shape — float32 [batch, ...dims] at the interface and
   * inside (a convolution's input buffer, a fixed-size cache) — and get its incoming value;
   * `meaning` says what it holds, for the `ssmc.states` metadata.
   */
  tensor(name: string, dims: readonly number[], meaning: string, iface?: StateInterface): Value;
  /** The state's new value: complex [batch, H, N] for `state`, float32 [batch, ...dims] for `tensor`. */
  setOut(name: string, next: Value): void;
}

/** Prefill graphs: the convolution graph also returns each state after the whole sequence. */
export interface FinalStates {
  /** `meaning` as in StepStates.state: it must match the step graph's that continues from here. */
  set(name: string, H: number, N: number, state: Value, meaning?: string): void;
  /** A real state's final value, float32 [batch, ...dims] (as StepStates.tensor declares it). */
  setTensor(name: string, dims: readonly number[], state: Value, meaning: string, iface?: StateInterface): void;
}

/** Layers applied one after the other: parameters and states concatenated, each form chained, each layer in its module scope. */
export function sequential(layers: readonly Layer[]): Layer {
  const none = layers.map((l) => l.recurrence).find((r): r is NoRecurrence => !hasRecurrence(r));
  const recurrent = layers.flatMap((l) => (hasRecurrence(l.recurrence) ? [{ layer: l, r: l.recurrence }] : []));
  return {
    params: () => layers.flatMap((l) => l.params()),
    init: (rng) => layers.flatMap((l) => l.init(rng)),
    conv: (ctx, x) => layers.reduce((y, l) => inModule(ctx, l, (c) => l.conv(c, y)), x),
    recurrence: none ?? {
      step: (ctx, x, states) => recurrent.reduce((y, { layer, r }) => inModule(ctx, layer, (c) => r.step(c, y, states)), x),
      prefill: (ctx, x, states) => recurrent.reduce((y, { layer, r }) => inModule(ctx, layer, (c) => r.prefill(c, y, states)), x),
    },
  };
}

/**
 * A layer without state that maps each position on its own (an embedding, a linear head, a norm
 * over features): its step and prefill forms are its one function, which must work with and
 * without the length axis (features last).
 */
export function positionwise(def: { params(): ParamSpec[]; init(rng: Rng): [string, Tensor][]; apply(ctx: LayerContext, x: Value): Value }): Layer {
  return {
    params: def.params,
    init: def.init,
    conv: def.apply,
    recurrence: { step: (ctx, x) => def.apply(ctx, x), prefill: (ctx, x) => def.apply(ctx, x) },
  };
}

/**
 * Build part of a layer as its sub-module `name` ('kernel', 'conv', 'output_linear', as the
 * official module names its parts): its nodes under that scope, its building a progress task.
 */
export function submodule<T>(ctx: LayerContext, name: string, build: (ctx: LayerContext) => T): T {
  return ctx.progress.run(name, (task) => ctx.b.within(name, () => build({ ...ctx, progress: task.progress })));
}

/** A form of a layer with what it reads beside the input (nothing, the step states, the final states). */
type Form<S> = (ctx: LayerContext, x: Value, s: S) => Value;

function around<S>(inner: Form<S>, norm: Form<S> | null, placement: 'pre' | 'post'): Form<S> {
  return (ctx, x, s) => {
    if (!norm) return ctx.b.add(x, inner(ctx, x, s));
    return placement === 'pre' ? ctx.b.add(x, inner(ctx, norm(ctx, x, s), s)) : norm(ctx, ctx.b.add(x, inner(ctx, x, s)), s);
  };
}

export interface ResidualOptions {
  /** A position-wise layer (positionwise()) normalising the features: LayerNorm, a folded BatchNorm, … */
  norm?: Layer;
  /** 'pre' (default): y = x + inner(norm(x)); 'post': y = norm(x + inner(x)). */
  placement?: 'pre' | 'post';
}

/**
 * A residual block around `inner`, as the official backbones wrap their layers: y = x + inner(x),
 * with an optional norm before the inner layer or after the sum. Every form (conv, step, prefill)
 * is the same wrapping of the inner layer's form, so the block has a recurrence exactly when its
 * layers do. Parameters: the norm's, then the inner layer's.
 */
export function residual(inner: Layer, opts: ResidualOptions = {}): Layer {
  const { norm, placement = 'pre' } = opts;
  const parts = norm ? [norm, inner] : [inner];
  // Each part in its module scope ('layers.0/norm', 'layers.0/layer'); the sum in the block's.
  const scoped = <S>(layer: Layer, form: Form<S>): Form<S> => (ctx, x, s) => inModule(ctx, layer, (c) => form(c, x, s));
  const conv = around<null>(scoped(inner, (ctx, x) => inner.conv(ctx, x)), norm ? scoped(norm, (ctx, x) => norm.conv(ctx, x)) : null, placement);
  const r = inner.recurrence, n = norm ? norm.recurrence : null;
  let recurrence: Recurrence | NoRecurrence;
  if (!hasRecurrence(r)) recurrence = r;
  else if (n && !hasRecurrence(n)) recurrence = n;
  else {
    recurrence = {
      step: around(scoped(inner, r.step), n && norm ? scoped(norm, n.step) : null, placement),
      prefill: around(scoped(inner, r.prefill), n && norm ? scoped(norm, n.prefill) : null, placement),
    };
  }
  return {
    params: () => parts.flatMap((l) => l.params()),
    init: (rng) => parts.flatMap((l) => l.init(rng)),
    conv: (ctx, x) => conv(ctx, x, null),
    recurrence,
  };
}

/** A module without tensors that changes nothing (nn.Identity, a stride-1 pool, a norm 'none'). */
export const identity: Layer = positionwise({ params: () => [], init: () => [], apply: (_ctx, x) => x });

/**
 * A layer whose body combines parts by one function written once for every form: `run(part, x)`
 * applies a part in the form being built (conv, step or prefill); the body's own arithmetic (a
 * residual function, a concatenation) must be position-wise, features last. It has a recurrence
 * exactly when every part has one. Parameters: the parts', in order.
 */
export function composite(parts: readonly Layer[], body: (ctx: LayerContext, x: Value, run: (part: Layer, x: Value) => Value) => Value): Layer {
  const none = parts.map((p) => p.recurrence).find((r): r is NoRecurrence => !hasRecurrence(r));
  const rec = (p: Layer) => p.recurrence as Recurrence;
  return {
    params: () => parts.flatMap((p) => p.params()),
    init: (rng) => parts.flatMap((p) => p.init(rng)),
    conv: (ctx, x) => body(ctx, x, (p, y) => p.conv(ctx, y)),
    recurrence: none ?? {
      step: (ctx, x, states) => body(ctx, x, (p, y) => rec(p).step(ctx, y, states)),
      prefill: (ctx, x, states) => body(ctx, x, (p, y) => rec(p).prefill(ctx, y, states)),
    },
  };
}
