import { Builder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { ONNX_DOMAIN, type Node } from '../ir/node.js';
import type { Dim } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';

/** Ops that only re-view their input 0's elements in another shape. */
const VIEWS = new Set(['Reshape', 'Squeeze', 'Unsqueeze']);

/** Same static shape: equal rank and every dim the same number or the same symbol. */
function sameShape(a: readonly Dim[] | null, b: readonly Dim[] | null): boolean {
  return a !== null && b !== null && a.length === b.length && a.every((d, i) => d !== null && d === b[i]);
}

function isOnnx(n: Node, ops: ReadonlySet<string> | string): boolean {
  return n.domain === ONNX_DOMAIN && (typeof ops === 'string' ? n.op === ops : ops.has(n.op));
}

/** The producer of `v` when it is one of `ops` (default domain), else null. */
function producedBy(v: Value | null | undefined, ops: ReadonlySet<string> | string): Node | null {
  const p = v?.producer ?? null;
  return p && isOnnx(p, ops) ? p : null;
}

/** The constant scalar int64 index a Gather reads, or null. */
function scalarIndex(n: Node): number | null {
  const idx = n.inputs[1]?.constant;
  return idx && idx.dims.length === 0 && idx.data instanceof BigInt64Array ? Number(idx.data[0]) : null;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * What a node computes when it gives back a value already in the graph, or null:
 * - a view of a view whose result has the first view's input shape (Squeeze(Unsqueeze(x)) and the
 *   like) is that input;
 * - Concat over axis a of Unsqueeze(Gather(s, i, axis a), a) for i = 0..k−1, where s has k along
 *   a, is s: the parts of a packed tensor put back together (a step graph's state, read as
 *   (re, im) and returned so, when its update already produced the packed tensor).
 */
function sameAs(node: Node): Value | null {
  if (isOnnx(node, VIEWS)) {
    const inner = producedBy(node.input(0), VIEWS);
    if (inner && sameShape(node.outputs[0]!.type.shape, inner.input(0).type.shape)) return inner.input(0);
    return null;
  }
  if (!isOnnx(node, 'Concat')) return null;
  const rank = node.outputs[0]!.type.shape?.length;
  if (rank === undefined) return null;
  const axis = normAxis(node.attrInt('axis', 0), rank);
  let source: Value | null = null;
  for (let i = 0; i < node.inputs.length; i++) {
    const unsq = producedBy(node.inputs[i], 'Unsqueeze');
    if (!unsq) return null;
    const axes = unsq.inputs[1]?.constant;
    if (!axes || !(axes.data instanceof BigInt64Array) || axes.data.length !== 1 || normAxis(Number(axes.data[0]), rank) !== axis) return null;
    const gather = producedBy(unsq.input(0), 'Gather');
    if (!gather || scalarIndex(gather) !== i) return null;
    const s = gather.input(0);
    const shape = s.type.shape;
    if (!shape || shape.length !== rank || normAxis(gather.attrInt('axis', 0), rank) !== axis) return null;
    if (source !== null && s !== source) return null;
    source = s;
  }
  return source && source.type.shape![axis] === node.inputs.length && sameShape(source.type.shape, node.outputs[0]!.type.shape) ? source : null;
}

function simplify(model: Model): boolean {
  const graph: Graph = model.graph;
  let any = false;
  for (const node of [...graph.nodes]) {
    const out = node.outputs[0];
    if (node.outputs.length !== 1 || !out) continue;
    const by = sameAs(node);
    if (!by) continue;
    // A graph output keeps its public name; a value that cannot take it (a graph input, an
    // initializer, another output) reaches it through an Identity.
    const target = graph.isOutput(out) && (by.producer === null || graph.isOutput(by)) ? new Builder(graph, model.opset, node).op('Identity', [by]) : by;
    graph.replaceAllUsesWith(out, target, true);
    any = true;
  }
  return any;
}

export const simplifyViewsPass: Pass = {
  name: 'simplify-views',
  description: 'reshapes that undo each other, and a packed tensor split into parts and concatenated back, → the value itself',
  run: (model) => changed(simplify(model)),
};
