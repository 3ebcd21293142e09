import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { isLongConv } from '../../ir/ops/long-conv.js';
import type { CompileTarget, Pass } from '../pass.js';
import { chooseLowering, estimateAll, unavailable, type Estimate, type Planning } from './cost-model.js';
import { convFacts, LOWERING_ATTR, loweringOf, type ConvLowering } from './lowering.js';
import { findLowering, loweringRegistry } from './registry.js';
import { formTaps, pinTapsLength } from './taps.js';
import { DEFAULT_TARGET, findTarget, TARGETS, type RuntimeTarget } from './targets.js';

/** What select-lowering decided for one long convolution. */
export interface LoweringDecision {
  /** The LongConv node (by reference: once lowered it is no longer in the graph). */
  node: Node;
  lowering: string;
  /** 'auto' (the cost model chose) or 'forced' (--lowering). */
  how: 'auto' | 'forced';
  reason: string;
  estimates: Estimate[];
}

/** A forced lowering that a convolution cannot take: the user's choice to change, not a compiler bug. */
export class LoweringRefusedError extends Error {
  constructor(
    readonly node: Node,
    readonly lowering: string,
    readonly why: string,
  ) {
    super(`--lowering ${lowering} cannot lower convolution '${node.name}': ${why}; use --lowering auto to pick per layer`);
    this.name = 'LoweringRefusedError';
  }
}

function planning(target: CompileTarget, targets: readonly RuntimeTarget[]): Planning {
  const id = target.runtime ?? DEFAULT_TARGET.id;
  const runtime = findTarget(id, targets);
  if (!runtime) throw new Error(`unknown runtime target '${id}'; the cost model knows ${targets.map((t) => t.id).join(', ')}`);
  return { target: runtime, threads: target.threads ?? 1, opset: target.opset };
}

function select(model: Model, node: Node, target: CompileTarget, lowerings: readonly ConvLowering[], targets: readonly RuntimeTarget[]): LoweringDecision {
  pinTapsLength(model, node);
  const facts = convFacts(node);
  const p = planning(target, targets);
  const forced = target.lowering && target.lowering !== 'auto' ? target.lowering : null;
  let decision: LoweringDecision;
  if (forced) {
    const lowering = findLowering(lowerings, forced);
    if (!lowering) throw new LoweringRefusedError(node, forced, `there is no lowering '${forced}' (there are ${lowerings.map((l) => l.name).join(', ')})`);
    const why = unavailable(lowering, facts, p);
    if (why) throw new LoweringRefusedError(node, forced, why);
    decision = { node, lowering: forced, how: 'forced', reason: 'forced by --lowering', estimates: estimateAll(facts, lowerings, p) };
  } else {
    decision = { node, how: 'auto', ...chooseLowering(facts, lowerings, p) };
  }
  node.attrs.set(LOWERING_ATTR, { kind: 'string', value: decision.lowering });
  if (findLowering(lowerings, decision.lowering)!.reads === 'taps') {
    formTaps(model, node);
    pinTapsLength(model, node);
  }
  return decision;
}

/**
 * The lowering select-lowering will give `node` — forced, or the cost model's choice — without
 * tagging or rewriting anything (the compile budget prices what that lowering will fold); null
 * where none is known yet (a forced lowering the node cannot take: select-lowering says why).
 */
export function plannedLowering(node: Node, target: CompileTarget, lowerings: readonly ConvLowering[], targets: readonly RuntimeTarget[] = TARGETS): ConvLowering | null {
  const registry = loweringRegistry(lowerings);
  try {
    const facts = convFacts(node);
    const p = planning(target, targets);
    const forced = target.lowering && target.lowering !== 'auto' ? findLowering(registry, target.lowering) : null;
    if (forced) return unavailable(forced, facts, p) ? null : forced;
    return findLowering(registry, chooseLowering(facts, registry, p).lowering) ?? null;
  } catch {
    return null; // facts not yet static (select-lowering pins them first)
  }
}

/**
 * select-lowering: tags every LongConv with its lowering (--lowering, or the cost model for the
 * target) and reports the decisions; a convolution whose lowering reads taps gets them formed
 * from its state-space description here, before the kernel generators are lowered. `targets`
 * are the runtimes CompileTarget.runtime may name (default: targets.ts).
 */
export function selectLoweringPass(lowerings: readonly ConvLowering[], targets: readonly RuntimeTarget[] = TARGETS): Pass<LoweringDecision[]> {
  const registry = loweringRegistry(lowerings);
  return {
    name: 'select-lowering',
    description: `tag every LongConv with its lowering (${registry.map((l) => l.name).join(' | ')}: --lowering, or the cost model for the target)`,
    run: (model, target) => {
      const convs = model.graph.nodes.filter(isLongConv);
      const decisions = convs.map((node) => select(model, node, target, registry, targets));
      return { changed: convs.length > 0, report: decisions };
    },
    ensures: (model) => {
      const untagged = model.graph.nodes.find((n) => isLongConv(n) && !findLowering(registry, loweringOf(n) ?? ''));
      return untagged ? `LongConv '${untagged.name}' has no lowering` : null;
    },
  };
}
