import { Builder } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import { chooseLowering, estimateAll, RUNTIMES, type ConvFacts, type Estimate, type Runtime } from './cost-model.js';
import { chunkedUnsupported, realizationOf, traceDiagKernel } from './lower-fftconv-chunked.js';
import { fourstepUnsupported } from './lower-fftconv-fourstep.js';
import { LOWERING_ATTR, type Lowering } from './lowering-tag.js';
import type { CompileTarget, Pass } from './pass.js';

/** What select-lowering decided for one long convolution. */
export interface LoweringDecision {
  /** The convolution node (by reference: it is gone once lowered). */
  node: Node;
  lowering: Lowering;
  /** 'auto' (the cost model chose) or 'forced' (--lowering). */
  how: 'auto' | 'forced';
  reason: string;
  estimates: Estimate[];
}

/** A forced lowering that a convolution cannot take: the user's choice to change, not a compiler bug. */
export class LoweringRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoweringRefusedError';
  }
}

/** The facts the cost model needs, read from an FFTConv node's inferred types. */
export function convFacts(node: Node): ConvFacts {
  const u = node.input(0), k = node.input(1);
  const H = u.type.shape?.[1], C = k.type.shape?.[0];
  if (typeof H !== 'number' || typeof C !== 'number') throw new Error(`FFTConv '${node.name}' needs static channel counts`);
  const L = u.type.shape?.[2], Lk = k.type.shape?.[2];
  const realized = realizationOf(node);
  const traced = !realized && chunkedUnsupported(node) === null ? traceDiagKernel(k) : null;
  const modes = realized ? realized.S / 2 : traced?.node.input(0).type.shape?.at(-1);
  return {
    H, C,
    L: typeof L === 'number' ? L : null,
    Lk: typeof Lk === 'number' ? Lk : null,
    bidirectional: node.inputs[2] != null,
    diagModes: typeof modes === 'number' ? modes : null,
    denseTransition: realized !== null,
  };
}

/** A forced lowering that cannot take this node: why, in words. */
function unavailable(node: Node, lowering: Lowering, f: ConvFacts): string | null {
  if (lowering === 'chunked') return chunkedUnsupported(node);
  if (lowering === 'fourstep') return fourstepUnsupported(node);
  return null;
}

/**
 * With a fixed length L, a kernel whose length inference lost (S4 DPLR's kernel is cut with a
 * computed end) is pinned to exactly L taps: taps at L or beyond never reach an output (causal
 * y[t] uses k[t−s], t < L; the anti-causal side uses k_rev[s−t−1] < L−1), so cutting to L and
 * zero-padding to L changes nothing, and every lowering then sees static sizes (the kernel still
 * folds into a constant).
 */
function pinKernelLength(model: Model, node: Node): void {
  const L = node.input(0).type.shape?.[2];
  if (typeof L !== 'number') return;
  for (const i of [1, 2]) {
    const k = node.inputs[i];
    if (!k || typeof k.type.shape?.[2] === 'number') continue;
    const b = new Builder(model.graph, model.opset, node);
    const cut = b.slice(k, [0], [L], [2]);
    const missing = b.sub(b.i64([L], [1], 'taps'), b.dim(cut, 2));
    const pads = b.concat([b.i64([0, 0, 0, 0, 0], [5], 'pads'), b.reshape(missing, [1])], 0);
    const [C, H] = [k.type.shape?.[0], k.type.shape?.[1]];
    node.setInput(i, b.reshape(b.op('Pad', [cut, pads]), [typeof C === 'number' ? C : 0, typeof H === 'number' ? H : 0, L]));
  }
}

function select(node: Node, target: CompileTarget): LoweringDecision {
  const f = convFacts(node);
  const runtime = (target.runtime ?? 'ort-cpu') as Runtime, threads = target.threads ?? 1;
  if (!RUNTIMES.includes(runtime)) throw new Error(`unknown runtime '${runtime}'; the cost model knows ${RUNTIMES.join(', ')}`);
  const forced = target.lowering && target.lowering !== 'auto' ? (target.lowering as Lowering) : null;
  let lowering: Lowering, reason: string, estimates;
  if (forced) {
    const why = unavailable(node, forced, f);
    if (why) throw new LoweringRefusedError(`--lowering ${forced} cannot lower convolution '${node.name}': ${why}; use --lowering auto to pick per layer`);
    estimates = estimateAll(f, runtime, threads);
    lowering = forced;
    reason = 'forced by --lowering';
  } else {
    ({ lowering, reason, estimates } = chooseLowering(f, runtime, threads));
  }
  node.attrs.set(LOWERING_ATTR, { kind: 'string', value: lowering });
  return { node, lowering, how: forced ? 'forced' : 'auto', reason, estimates };
}

export const selectLoweringPass: Pass<LoweringDecision[]> = {
  name: 'select-lowering',
  description: 'tag every FFTConv with its lowering (--lowering, or the cost model for the target)',
  run: (model, target) => {
    const convs = model.graph.nodes.filter((n) => n.domain === SSMC_DOMAIN && n.op === 'FFTConv');
    const decisions = convs.map((node) => {
      pinKernelLength(model, node);
      return select(node, target);
    });
    return { changed: convs.length > 0, report: decisions };
  },
};
