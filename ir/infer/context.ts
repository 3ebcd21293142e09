import type { Node } from '../node.js';
import type { Tensor } from '../tensor.js';
import { toNumbers } from '../tensor.js';
import type { Dim, DType, TensorType } from '../types.js';
import type { Value } from '../value.js';

/** Raised when a node's inputs break the op's typing rule. */
export class TypeInferenceError extends Error {
  constructor(node: Node, rule: string) {
    super(`node '${node.name}' (${node.qualifiedOp}): ${rule}`);
    this.name = 'TypeInferenceError';
  }
}

export type InferRule = (node: Node, opset: number) => TensorType[];

export function inType(node: Node, i: number): TensorType {
  return node.input(i).type;
}

export function shapeOf(node: Node, i: number): readonly Dim[] | null {
  return node.input(i).type.shape;
}

/** The integer values of an input when known: from a constant, or from shape propagation. */
export function knownInts(v: Value | null | undefined): Dim[] | null {
  if (!v) return null;
  if (v.constant) return constInts(v.constant);
  return v.shapeValue ? [...v.shapeValue] : null;
}

export function constInts(t: Tensor): number[] | null {
  // The dtype first: a float constant's data may be computed on first read (lazyTensor).
  if (t.dtype !== 'int64' && t.dtype !== 'int32') return null;
  if (t.data === null || Array.isArray(t.data)) return null;
  return toNumbers(t);
}

/** Integer values that are all concrete numbers, else null. */
export function concreteInts(v: Value | null | undefined): number[] | null {
  const k = knownInts(v);
  if (!k || k.some((d) => typeof d !== 'number')) return null;
  return k as number[];
}

export function normAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new TypeInferenceError(node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** numpy broadcasting of shapes; symbolic dims broadcast against 1 and equal symbols. */
export function broadcastShapes(node: Node, shapes: (readonly Dim[] | null)[]): Dim[] | null {
  if (shapes.some((s) => s === null)) return null;
  const rank = shapes.reduce((m, s) => Math.max(m, s!.length), 0);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s![s!.length - rank + i];
      if (x === undefined || x === 1) continue;
      if (d === 1) d = x;
      else if (x === null || d === null) d = typeof d === 'number' && typeof x !== 'number' ? x : d;
      else if (d !== x) {
        if (typeof d === 'number' && typeof x === 'number') {
          throw new TypeInferenceError(node, `cannot broadcast shapes ${shapes.map((q) => `[${q!.join(',')}]`).join(' and ')}`);
        }
        d = typeof d === 'number' ? d : typeof x === 'number' ? x : null;
      }
    }
    out.push(d);
  }
  return out;
}

export function same(dtype: DType, shape: readonly Dim[] | null): TensorType {
  return { dtype, shape: shape === null ? null : [...shape] };
}
