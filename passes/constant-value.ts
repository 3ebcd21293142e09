import { evaluateNode } from '../ir/interp/evaluate.js';
import { KERNELS } from '../ir/interp/registry.js';
import { fromTensor, type RTensor } from '../ir/interp/rtensor.js';
import { ONNX_DOMAIN, SSMC_DOMAIN } from '../ir/node.js';
import { staticSize } from '../ir/types.js';
import { knownShapeValue } from './fold-constants.js';
import type { Value } from '../ir/value.js';

/** Ops whose every run gives new values: their results are not constants. */
const NONDETERMINISTIC = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** The largest intermediate a cone may hold by default (elements): a lowering asks for parameters, not kernels. */
const MAX_CONE_ELEMENTS = 1 << 20;

/** Ops that only move, cut or pad their data, and the shape arithmetic around them. */
export const DATA_MOVEMENT_OPS: ReadonlySet<string> = new Set(['Slice', 'Reshape', 'Squeeze', 'Unsqueeze', 'Pad', 'Concat', 'Transpose', 'Identity', 'Shape', 'Gather', 'Add', 'Sub', 'Cast']);

export interface ConeLimits {
  /** The largest result any node of the cone may have, in elements (default 2^20). */
  maxElements?: number;
  /** Only these ops may be evaluated (default: any deterministic op with a kernel). */
  ops?: ReadonlySet<string>;
}

/**
 * The float64 value of `v` when it is a function of constants alone — an initializer, or a small
 * chain of deterministic ops on initializers (a discretised diagonal SSM's λ and coefficients
 * before fold-constants has run, an S4 DPLR kernel's taps cut into their two sides) — or null. A
 * lowering that can compute its weights directly in typed arrays reads its parameters here
 * instead of emitting a graph for the constant folder to walk. Cost: one interpreter evaluation
 * per node of the cone, each no larger than `limits.maxElements` (a larger cone, or one with an op
 * outside `limits.ops`, answers null and the lowering keeps its graph form); `memo` is shared
 * between the calls of one lowering so a shared cone is evaluated once.
 */
export function constantValue(v: Value, opset: number, memo: Map<Value, RTensor | null> = new Map(), limits: ConeLimits = {}): RTensor | null {
  if (memo.has(v)) return memo.get(v)!;
  const result = evaluateCone(v, opset, memo, limits);
  memo.set(v, result);
  return result;
}

function evaluateCone(v: Value, opset: number, memo: Map<Value, RTensor | null>, limits: ConeLimits): RTensor | null {
  const max = limits.maxElements ?? MAX_CONE_ELEMENTS;
  const t = v.constant;
  if (t !== null) {
    if (t.external || t.data === null || Array.isArray(t.data)) return null;
    return fromTensor(t);
  }
  const node = v.producer;
  if (!node) return null; // a graph input
  // Shape arithmetic shape inference already knows as numbers (Shape(u)[2] of u [batch, H, 4096]),
  // as fold-constants reads it.
  const known = knownShapeValue(node);
  if (known) return fromTensor(known);
  if (node.domain !== ONNX_DOMAIN && node.domain !== SSMC_DOMAIN) return null;
  if (limits.ops && (node.domain !== ONNX_DOMAIN || !limits.ops.has(node.op))) return null;
  if (NONDETERMINISTIC.has(node.op)) return null;
  if ([...node.attrs.values()].some((a) => a.kind === 'graph' || a.kind === 'graphs')) return null;
  if (!KERNELS.find(node.domain, node.op, opset)) return null;
  if (node.outputs.some((o) => (staticSize(o.type.shape) ?? 0) > max)) return null;
  const inputs: (RTensor | null)[] = [];
  for (const x of node.inputs) {
    if (x === null) { inputs.push(null); continue; }
    const r = constantValue(x, opset, memo, limits);
    if (r === null) return null;
    inputs.push(r);
  }
  const results = evaluateNode(node, inputs, opset);
  if (results.some((r) => r.data.length > 2 * max)) return null;
  node.outputs.forEach((o, i) => memo.set(o, results[i]!));
  return results[v.outputIndex]!;
}
