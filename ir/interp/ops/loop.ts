import type { Graph } from '../../graph.js';
import type { Node } from '../../node.js';
import { emptyStack, stackAt } from '../axis-slices.js';
import { need, onnxKernel, type Kernel } from '../kernel.js';
import { rt, type RTensor } from '../rtensor.js';

export interface LoopAttrs {
  body: Graph;
  numCarried: number;
  numScanOutputs: number;
}

export function parseLoopAttrs(node: Node): LoopAttrs {
  const what = `node '${node.name}' (Loop)`;
  const body = node.attrs.get('body');
  if (body?.kind !== 'graph') throw new Error(`${what}: needs a graph attribute 'body'`);
  const numCarried = node.inputs.length - 2;
  if (numCarried < 0) throw new Error(`${what}: needs the input slots M and cond (either slot may be empty)`);
  const g = body.value;
  if (g.inputs.length !== numCarried + 2) {
    throw new Error(`${what}: the body takes ${g.inputs.length} inputs, needs ${numCarried + 2} (iteration number, condition, ${numCarried} carried)`);
  }
  const numScanOutputs = g.outputs.length - 1 - numCarried;
  if (numScanOutputs < 0) throw new Error(`${what}: the body returns ${g.outputs.length} outputs, needs at least ${1 + numCarried} (condition, carried)`);
  return { body: g, numCarried, numScanOutputs };
}

/**
 * Loop: run the body while i < M (when M is given) and the condition holds (when given), passing
 * (i, cond, carried…); return the final carried values and each scan output stacked on axis 0.
 */
const loopKernel: Kernel = (inputs, node, ctx) => {
  const a = parseLoopAttrs(node);
  const what = `node '${node.name}' (Loop)`;
  const maxTrips = inputs[0] ? inputs[0].data[0]! : Infinity;
  let cond = inputs[1] ? inputs[1].data[0]! !== 0 : true;
  let carried = inputs.slice(2).map((_, i) => need(inputs, 2 + i, node));
  const perStep: RTensor[][] = Array.from({ length: a.numScanOutputs }, () => []);
  for (let i = 0; i < maxTrips && cond; i++) {
    const outs = ctx.runSubgraph(a.body, [rt('int64', [], Float64Array.of(i)), rt('bool', [], Float64Array.of(cond ? 1 : 0)), ...carried]);
    cond = outs[0]!.data[0]! !== 0;
    carried = outs.slice(1, 1 + a.numCarried);
    outs.slice(1 + a.numCarried).forEach((y, k) => perStep[k]!.push(y));
  }
  const scanOutputs = perStep.map((parts, k) =>
    parts.length > 0 ? stackAt(parts, 0, what) : emptyStack(a.body.outputs[1 + a.numCarried + k]!.type, 0, what));
  return [...carried, ...scanOutputs];
};

export const Loop = onnxKernel('Loop', loopKernel);
