import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import { changed, type Pass } from './pass.js';

/**
 * Detach every node of `node`'s subgraphs from the values they read, so a removed If/Loop/Scan
 * no longer keeps its outer-scope inputs alive through uses nobody will ever run.
 */
function detachSubgraphs(node: Node): void {
  for (const a of node.attrs.values()) {
    const graphs = a.kind === 'graph' ? [a.value] : a.kind === 'graphs' ? a.value : [];
    for (const g of graphs) {
      for (const n of g.nodes) {
        detachSubgraphs(n);
        n.dropInputs();
      }
    }
  }
}

/**
 * Remove nodes nothing needs and initializers nothing reads. Walking backwards reaches the
 * fixpoint in one sweep: a node's consumers come after it, so they are gone by the time it is
 * looked at. A read from inside a subgraph counts as a use (Value.uses records it).
 */
export function eliminateDeadCode(graph: Graph): boolean {
  let changed = false;
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (node.outputs.every((v) => v.uses.length === 0 && !graph.isOutput(v))) {
      graph.removeNode(node);
      detachSubgraphs(node);
      changed = true;
    }
  }
  for (const v of [...graph.initializers]) {
    if (v.uses.length === 0 && !graph.isOutput(v)) {
      graph.removeInitializer(v);
      changed = true;
    }
  }
  return changed;
}

export const dcePass: Pass = {
  name: 'dce',
  description: 'remove nodes and initializers no graph output depends on',
  run: (model) => changed(eliminateDeadCode(model.graph)),
};
