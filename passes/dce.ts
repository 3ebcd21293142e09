import type { Graph } from '../ir/graph.js';
import type { Pass } from './pass.js';

/** Remove nodes nothing needs (walking backwards reaches the fixpoint in one sweep) and unused initializers. */
export function eliminateDeadCode(graph: Graph): boolean {
  let changed = false;
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (node.outputs.every((v) => v.uses.length === 0 && !graph.isOutput(v))) {
      graph.removeNode(node);
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
  run: (model) => eliminateDeadCode(model.graph),
};
