import type { Graph } from '../graph.js';
import type { Node } from '../node.js';
import type { RTensor } from './rtensor.js';

export interface KernelContext {
  opset: number;
  /** Runs a subgraph (Scan/Loop/If bodies) with the given inputs and the current outer scope. */
  runSubgraph(graph: Graph, inputs: RTensor[]): RTensor[];
}

/** One op's reference implementation: float64 in, float64 out. */
export type Kernel = (inputs: (RTensor | null)[], node: Node, ctx: KernelContext) => RTensor[];

export function need(inputs: (RTensor | null)[], i: number, node: Node): RTensor {
  const t = inputs[i];
  if (!t) throw new Error(`node '${node.name}' (${node.qualifiedOp}): input ${i} is required`);
  return t;
}
