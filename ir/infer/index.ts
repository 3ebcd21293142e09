import type { Node } from '../node.js';
import { MS_DOMAIN, ONNX_DOMAIN, SSMC_DOMAIN } from '../node.js';
import type { TensorType } from '../types.js';
import { concreteInts, knownInts, TypeInferenceError, type InferRule } from './context.js';
import { CONTRIB_RULES } from './contrib.js';
import { CONTROL_FLOW_RULES } from './control-flow.js';
import { ELEMENTWISE_RULES } from './elementwise.js';
import { MATH_RULES } from './math-ops.js';
import { SHAPE_RULES } from './shape-ops.js';
import { SSM_RULES } from './ssm.js';

export { TypeInferenceError } from './context.js';

const ONNX_RULES: Record<string, InferRule> = { ...ELEMENTWISE_RULES, ...SHAPE_RULES, ...MATH_RULES, ...CONTROL_FLOW_RULES };

function ruleFor(domain: string, op: string): InferRule | undefined {
  if (domain === ONNX_DOMAIN || domain === 'ai.onnx') return ONNX_RULES[op];
  if (domain === SSMC_DOMAIN) return SSM_RULES[op];
  if (domain === MS_DOMAIN) return CONTRIB_RULES[op];
  return undefined;
}

export interface InferOptions {
  /** Ops without a rule get unknown types instead of an error (for imported models). */
  lenient?: boolean;
}

/** Infer and set the output types of one node (and the symbolic values of shape arithmetic). */
export function inferNode(node: Node, opset: number, opts: InferOptions = {}): void {
  const rule = ruleFor(node.domain, node.op);
  if (!rule) {
    if (opts.lenient) return;
    throw new TypeInferenceError(node, 'no shape inference rule for this op (the compiler never emits it)');
  }
  const types: TensorType[] = rule(node, opset);
  node.outputs.forEach((out, i) => {
    if (types[i]) out.type = types[i]!;
  });
  propagateShapeValue(node);
}

/**
 * Track the element values of small int64 tensors built from `Shape`, so a Reshape fed by
 * Concat(Shape(x)[0], 4, Shape(x)[2]) still knows its target is ['batch', 4, 'L'].
 */
function propagateShapeValue(node: Node): void {
  const out = node.outputs[0];
  if (!out || node.domain !== ONNX_DOMAIN) return;
  out.shapeValue = null;
  switch (node.op) {
    case 'Shape': {
      const s = node.input(0).type.shape;
      if (s === null) return;
      const rank = s.length;
      const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
      out.shapeValue = s.slice(clamp(node.attrInt('start', 0)), clamp(node.attrInt('end', rank)));
      return;
    }
    case 'Gather': {
      const src = knownInts(node.inputs[0]);
      const idx = concreteInts(node.inputs[1]);
      if (!src || !idx) return;
      out.shapeValue = idx.map((i) => src[i < 0 ? i + src.length : i] ?? null);
      return;
    }
    case 'Concat': {
      const parts = node.inputs.map((v) => knownInts(v));
      if (parts.some((p) => p === null)) return;
      out.shapeValue = parts.flat() as (number | string | null)[];
      return;
    }
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Identity':
    case 'Reshape':
    case 'Cast':
      out.shapeValue = knownInts(node.inputs[0]);
      return;
    case 'Slice': {
      const src = knownInts(node.inputs[0]);
      const st = concreteInts(node.inputs[1]), en = concreteInts(node.inputs[2]);
      if (!src || !st || !en || node.inputs[4]) return;
      const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + src.length : a, 0), src.length);
      out.shapeValue = src.slice(clamp(st[0]!), clamp(en[0]!));
      return;
    }
    default:
      return;
  }
}
