import type { Graph } from '../graph.js';
import { ONNX_DOMAIN, SSMC_DOMAIN, type Node } from '../node.js';
import type { RTensor } from './rtensor.js';

export interface KernelContext {
  /** The default-domain (ai.onnx) opset the node is read under. */
  opset: number;
  /** Runs a subgraph (Scan/Loop/If bodies) with the given inputs and the current outer scope. */
  runSubgraph(graph: Graph, inputs: RTensor[]): RTensor[];
}

/** One op's reference implementation: float64 in, float64 out. */
export type Kernel = (inputs: (RTensor | null)[], node: Node, ctx: KernelContext) => RTensor[];

/**
 * One registry entry: an op of a domain and the first opset version its form applies to. An op
 * whose meaning changed across opsets has one entry per form (sibling files: `pad.ts` from 11,
 * `pad-v2.ts` for 2-10, `pad-v1.ts` for 1); the interpreter picks the newest form not newer
 * than the model's opset.
 */
export interface KernelDef {
  readonly domain: string;
  readonly op: string;
  readonly since: number;
  readonly kernel: Kernel;
}

/** A default-domain (ai.onnx) kernel, valid from opset `since` until a sibling form takes over. */
export function onnxKernel(op: string, kernel: Kernel, since = 1): KernelDef {
  return { domain: ONNX_DOMAIN, op, since, kernel };
}

/** An `ai.ssmc` kernel (one form; the domain has one version). */
export function ssmcKernel(op: string, kernel: Kernel): KernelDef {
  return { domain: SSMC_DOMAIN, op, since: 1, kernel };
}

export function need(inputs: (RTensor | null)[], i: number, node: Node): RTensor {
  const t = inputs[i];
  if (!t) throw new Error(`node '${node.name}' (${node.qualifiedOp}): input ${i} is required`);
  return t;
}

/** `node 'name' (Op)`: the prefix of every kernel error. */
export function where(node: Node): string {
  return `node '${node.name}' (${node.op})`;
}
