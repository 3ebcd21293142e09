import { Builder } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';

/**
 * Replace every node of (domain, op) by what `lower` builds in its place (inserted just before it,
 * so topological order holds), each new node keeping where it came from (Node.origin: the
 * replaced node's origin, or its op). Returns whether anything was rewritten.
 */
export function rewriteNodes(
  model: Model,
  domain: string,
  op: string,
  lower: (b: Builder, node: Node) => Value[],
  /** Only the nodes this accepts (all when absent). */
  filter?: (node: Node) => boolean,
): boolean {
  const graph = model.graph;
  let changed = false;
  for (const node of [...graph.nodes]) {
    if (node.domain !== domain || node.op !== op || (filter && !filter(node))) continue;
    const b = new Builder(graph, model.opset, node);
    let replacements: Value[];
    try {
      replacements = graph.withOrigin(node.origin ?? node.qualifiedOp, () => lower(b, node));
    } catch (e) {
      throw new Error(`lowering node '${node.name}' (${node.qualifiedOp}): ${(e as Error).message}`, { cause: e });
    }
    node.outputs.forEach((out, i) => graph.replaceAllUsesWith(out, replacements[i]!, true));
    graph.removeNode(node);
    changed = true;
  }
  return changed;
}

/** No node of (domain, op) is left: the postcondition of a lowering pass. */
export function noneLeft(model: Model, domain: string, op: string): string | null {
  const n = model.graph.nodes.find((x) => x.domain === domain && x.op === op);
  return n ? `node '${n.name}' (${n.qualifiedOp}) is still there` : null;
}
