import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import { typeToString } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';

/** One box of a drawn graph: a node, a graph input, a graph output, or a value of an enclosing graph. */
export interface Box {
  id: number;
  kind: 'op' | 'input' | 'output' | 'outer';
  label: string;
  sublabel: string;
  node: Node | null;
  value: Value | null;
  rank: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Edge {
  from: number;
  to: number;
  /** The value carried, with its type. */
  label: string;
}

export interface Layout {
  boxes: Box[];
  edges: Edge[];
  width: number;
  height: number;
}

const ROW = 72, BOX_H = 38, GAP = 18, MARGIN = 16, CHAR_W = 7;

/**
 * A layered drawing of one graph, computed here rather than in the browser so the page needs no
 * layout library: ranks by longest path from the sources (nodes are in topological order, so one
 * pass does it), then two barycenter sweeps to untangle each rank, then packing left to right.
 */
export function layoutGraph(graph: Graph): Layout {
  const boxes: Box[] = [];
  const edges: Edge[] = [];
  const boxOfValue = new Map<Value, number>();
  const add = (kind: Box['kind'], label: string, sublabel: string, node: Node | null, value: Value | null): Box => {
    const width = Math.max(56, CHAR_W * Math.max(label.length, Math.min(sublabel.length, 28)) + 20);
    const b: Box = { id: boxes.length, kind, label, sublabel, node, value, rank: 0, x: 0, y: 0, width, height: BOX_H };
    boxes.push(b);
    return b;
  };
  for (const v of graph.inputs) boxOfValue.set(v, add('input', v.name, typeToString(v.type), null, v).id);
  const preds: number[][] = [];
  const source = (v: Value): number | null => {
    const known = boxOfValue.get(v);
    if (known !== undefined) return known;
    if (v.constant) return null; // initializers are listed on the node, not drawn
    // A value of an enclosing graph, read by a subgraph: draw it once as an input-like box.
    const b = add('outer', v.name, `outer ${typeToString(v.type)}`, null, v);
    boxOfValue.set(v, b.id);
    return b.id;
  };
  for (const node of graph.nodes) {
    const ins = node.inputs.flatMap((v) => (v ? [[v, source(v)] as const] : []));
    const b = add('op', node.op, node.name, node, null);
    for (const [v, from] of ins) if (from !== null) edges.push({ from, to: b.id, label: `${v.name}: ${typeToString(v.type)}` });
    for (const v of node.outputs) boxOfValue.set(v, b.id);
  }
  for (const v of graph.outputs) {
    const b = add('output', v.name, typeToString(v.type), null, v);
    const from = boxOfValue.get(v);
    if (from !== undefined) edges.push({ from, to: b.id, label: `${v.name}: ${typeToString(v.type)}` });
  }
  for (const b of boxes) preds[b.id] = [];
  for (const e of edges) preds[e.to]!.push(e.from);
  // Boxes were created in topological order, so every predecessor already has its rank.
  for (const b of boxes) b.rank = preds[b.id]!.reduce((r, p) => Math.max(r, boxes[p]!.rank + 1), 0);
  const ranks: Box[][] = [];
  for (const b of boxes) (ranks[b.rank] ??= []).push(b);
  const order = new Map<number, number>();
  const place = () => ranks.forEach((r) => r.forEach((b, i) => order.set(b.id, i)));
  place();
  for (let sweep = 0; sweep < 2; sweep++) {
    for (const r of ranks) {
      const center = (b: Box) => {
        const ps = preds[b.id]!;
        return ps.length ? ps.reduce((s, p) => s + order.get(p)!, 0) / ps.length : order.get(b.id)!;
      };
      const keyed = r.map((b) => [center(b), b] as const);
      keyed.sort((a, b) => a[0] - b[0] || a[1].id - b[1].id);
      keyed.forEach(([, b], i) => (r[i] = b));
      r.forEach((b, i) => order.set(b.id, i));
    }
  }
  let width = 0;
  const rowWidths = ranks.map((r) => r.reduce((s, b) => s + b.width, 0) + GAP * Math.max(0, r.length - 1));
  const widest = rowWidths.reduce((m, w) => Math.max(m, w), 0);
  ranks.forEach((r, i) => {
    let x = MARGIN + (widest - rowWidths[i]!) / 2;
    for (const b of r) {
      b.x = x;
      b.y = MARGIN + i * ROW;
      x += b.width + GAP;
    }
    width = Math.max(width, x - GAP + MARGIN);
  });
  return { boxes, edges, width: Math.max(width, 2 * MARGIN), height: MARGIN * 2 + Math.max(1, ranks.length) * ROW - (ROW - BOX_H) };
}
