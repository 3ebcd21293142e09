import type { Node } from '../node.js';
import type { KernelContext } from './kernel.js';
import { ints, type RTensor } from './rtensor.js';

/** `axes`: an attribute before opset `since`, the optional input 1 from then on (Squeeze, Unsqueeze, Reduce*). */
export function axesArg(inputs: (RTensor | null)[], node: Node, ctx: KernelContext, since: number): number[] {
  if (ctx.opset >= since) return ints(inputs[1]);
  return node.attrInts('axes', []);
}
