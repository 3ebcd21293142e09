import type { Builder } from '../../ir/builder.js';
import { knownInts } from '../../ir/infer/context.js';
import { ONNX_DOMAIN, type Node } from '../../ir/node.js';
import { readLongConv, type KernelForm } from '../../ir/ops/long-conv.js';
import { toNumbers } from '../../ir/tensor.js';
import type { Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import type { RuntimeTarget } from './targets.js';

/**
 * One way to compute a long convolution (a LongConv node, ir/ops/long-conv.ts). Each lowering is
 * one module of passes/conv/ exporting one of these; registry.ts lists them, and select-lowering,
 * the cost model, the lowering passes and custom-op outlining all read that one list.
 */
export interface ConvLowering {
  /** Its --lowering name. */
  readonly name: string;
  /** One line: what it turns the convolution into. */
  readonly description: string;
  /**
   * What it reads: the kernel's taps (select-lowering forms them from a state-space description
   * first), or the state-space description itself (diagonal or dense).
   */
  readonly reads: 'taps' | 'state-space';
  /** The ONNX ops its graphs rely on: a runtime that lacks one of them cannot take it. */
  readonly needs: readonly string[];
  /** Why this convolution cannot take it on `target`, in words, or null when it can. */
  whyNot(facts: ConvFacts, target: RuntimeTarget): string | null;
  /**
   * Predicted milliseconds for batch 1 on `target` (asked only when whyNot is null), from its
   * operation counts and the target's measured throughputs, and what it assumed.
   */
  estimate(facts: ConvFacts, target: RuntimeTarget, threads: number): LoweringEstimate;
  /** The graph that replaces the node (its kernel in the form `reads` says); returns y [B,C,H,L]. */
  lower(b: Builder, node: Node): Value;
}

/** A lowering's predicted time for one convolution, and what the prediction assumed. */
export interface LoweringEstimate {
  ms: number;
  note: string;
}

/** What select-lowering and the cost model know about one convolution, from its node's types. */
export interface ConvFacts {
  /** Channels H of u [B,H,L] and output channels C of y [B,C,H,L]. */
  H: number;
  C: number;
  /** Fixed sequence length, or null when it is symbolic. */
  L: number | null;
  /** Fixed length of the taps (at a fixed L a kernel of unknown length is pinned to L taps), or null. */
  Lk: number | null;
  /** The kernel reaches every output: at least as long as the input for every length the graph serves. */
  fullLength: boolean;
  bidirectional: boolean;
  kernel: KernelForm;
  /** The taps exist or can be formed (given, from a diagonal SSM, or given beside a dense one). */
  hasTaps: boolean;
  /** Complex modes per channel of a diagonal kernel, else null. */
  modes: number | null;
  /** Real state size of a dense kernel, else null. */
  states: number | null;
}

/** The string attribute on a LongConv node naming the lowering chosen for it. */
export const LOWERING_ATTR = 'lowering';

export function loweringOf(node: Node): string | null {
  const a = node.attrs.get(LOWERING_ATTR);
  return a?.kind === 'string' ? a.value : null;
}

/** A kernel length against the input's: the kernel reaches every output. */
function covers(L: Dim, Lk: Dim): boolean {
  return (typeof L === 'number' && typeof Lk === 'number' && Lk >= L) || (L !== null && L === Lk);
}

/**
 * Whether `length` is the length of `u` itself (Gather(Shape(u), 2)): then the kernel covers the
 * input whatever the types say, e.g. deep in a model where shape inference lost the symbol.
 */
function isLengthOf(length: Value, u: Value): boolean {
  const gather = length.producer;
  if (!gather || gather.domain !== ONNX_DOMAIN || gather.op !== 'Gather' || gather.attrInt('axis', 0) !== 0) return false;
  const shape = gather.inputs[0]?.producer;
  const index = gather.inputs[1]?.constant ? toNumbers(gather.inputs[1].constant) : null;
  return shape?.op === 'Shape' && shape.domain === ONNX_DOMAIN && shape.inputs[0] === u && index?.length === 1 && index[0] === 2 && shape.attrs.size === 0;
}

export function convFacts(node: Node): ConvFacts {
  const conv = readLongConv(node);
  const [, H, L] = conv.u.type.shape ?? [];
  const channels = conv.kernel === 'taps' ? conv.k : conv.kernel === 'diagonal' ? conv.causal.coef : conv.C;
  const C = channels.type.shape?.[0];
  if (typeof H !== 'number' || typeof C !== 'number') throw new Error(`LongConv '${node.name}' needs static channel counts`);
  const taps = conv.kernel === 'taps' ? conv.k : conv.kernel === 'dense' ? conv.taps : null;
  const length: Dim = conv.kernel === 'diagonal' ? knownInts(conv.length)?.[0] ?? null : taps?.type.shape?.[2] ?? null;
  const fixedL = typeof L === 'number' ? L : null;
  const hasTaps = conv.kernel !== 'dense' || conv.taps !== null;
  return {
    H, C,
    L: fixedL,
    Lk: typeof length === 'number' ? length : hasTaps ? fixedL : null,
    fullLength: conv.kernel === 'dense' || covers(L ?? null, length) || (conv.kernel === 'diagonal' && isLengthOf(conv.length, conv.u)),
    bidirectional: (conv.kernel === 'taps' && conv.kRev !== null) || (conv.kernel === 'diagonal' && conv.reverse !== null),
    kernel: conv.kernel,
    hasTaps,
    modes: conv.kernel === 'diagonal' ? numberOr(conv.causal.lambda.type.shape?.at(-1)) : null,
    states: conv.kernel === 'dense' ? numberOr(conv.A.type.shape?.[1]) : null,
  };
}

function numberOr(d: Dim | undefined): number | null {
  return typeof d === 'number' ? d : null;
}

/** The length a dynamic-length graph is planned for when ranking lowerings. */
export const PLANNING_LENGTH = 2048;

export function plannedLength(f: ConvFacts): number {
  return f.L ?? PLANNING_LENGTH;
}

export function planningNote(f: ConvFacts): string {
  return f.L === null ? ` (dynamic length, planned for L=${PLANNING_LENGTH})` : '';
}

export function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}
