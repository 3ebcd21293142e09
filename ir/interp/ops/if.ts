import type { Graph } from '../../graph.js';
import type { Node } from '../../node.js';
import { need, onnxKernel, type Kernel } from '../kernel.js';

function branch(node: Node, name: 'then_branch' | 'else_branch'): Graph {
  const a = node.attrs.get(name);
  if (a?.kind !== 'graph') throw new Error(`node '${node.name}' (If): needs a graph attribute '${name}'`);
  return a.value;
}

/** If: run then_branch or else_branch (no inputs; they read the enclosing scope) by the condition. */
const ifKernel: Kernel = (inputs, node, ctx) => {
  const cond = need(inputs, 0, node);
  if (cond.data.length !== 1) throw new Error(`node '${node.name}' (If): the condition must hold one element, got [${cond.dims.join(',')}]`);
  const chosen = branch(node, cond.data[0] !== 0 ? 'then_branch' : 'else_branch');
  return ctx.runSubgraph(chosen, []);
};

export const If = onnxKernel('If', ifKernel);
