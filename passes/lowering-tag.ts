import type { Builder } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { rewriteNodes } from './rewrite.js';

/** The long-convolution lowerings; `select-lowering` tags each FFTConv node with one of them. */
export const LOWERINGS = ['dft', 'fourstep', 'chunked', 'direct'] as const;
export type Lowering = (typeof LOWERINGS)[number];

/** The string attribute on an FFTConv node naming the lowering chosen for it. */
export const LOWERING_ATTR = 'lowering';

export function loweringOf(node: Node): Lowering | null {
  const a = node.attrs.get(LOWERING_ATTR);
  return a?.kind === 'string' && (LOWERINGS as readonly string[]).includes(a.value) ? (a.value as Lowering) : null;
}

/** Rewrite the FFTConv nodes tagged with `lowering` (untagged ones count as 'dft', the baseline). */
export function rewriteTagged(model: Model, lowering: Lowering, lower: (b: Builder, node: Node) => Value[]): boolean {
  return rewriteNodes(model, SSMC_DOMAIN, 'FFTConv', (b, node) => lower(b, node), (node) => (loweringOf(node) ?? 'dft') === lowering);
}

export function noneTagged(model: Model, lowering: Lowering): string | null {
  const left = model.graph.nodes.find((n) => n.domain === SSMC_DOMAIN && n.op === 'FFTConv' && (loweringOf(n) ?? 'dft') === lowering);
  return left ? `node '${left.name}' (FFTConv, lowering ${lowering}) is still there` : null;
}
