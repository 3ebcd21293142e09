import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import { typeToString } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';

/**
 * The structure of a drawn graph: boxes (nodes, graph inputs and outputs, values of an enclosing
 * graph) inside nested groups (the model's layers and sub-modules), and, for every group, its
 * children in ranks (top to bottom) and their order within a rank. Computed here once; the
 * coordinates follow from it and from which groups are collapsed (draw.ts), so the page can fold
 * and unfold groups without a layout library. Plain data: it is embedded in the page as JSON.
 */
export interface DrawBox {
  id: number;
  kind: 'op' | 'input' | 'output' | 'outer';
  label: string;
  sub: string;
  /** Colour class: heavy, math, data, control, custom for ops; the kind otherwise. */
  cls: string;
  w: number;
  /** Its group (a unit id). */
  parent: number;
}

export interface DrawGroup {
  id: number;
  kind: 'group';
  /** Its own segment ('dss') and its whole path ('layers.3/dss'); the root's are ''. */
  label: string;
  path: string;
  /** 'N nodes · F FLOPs · P params', shown on the group. */
  stats: string;
  depth: number;
  parent: number;
  children: number[];
  /** The children by rank, each rank in drawing order. */
  ranks: number[][];
}

export type DrawUnit = DrawBox | DrawGroup;

export interface DrawEdge {
  from: number;
  to: number;
  /** The value carried, with its type: 'x: f32[batch,L,256]'. */
  label: string;
}

export interface Drawing {
  units: DrawUnit[];
  /** The root group's id (always 0). */
  root: number;
  edges: DrawEdge[];
}

/** What the caller says about groups: each node's group path, and each group's stats line. */
export interface Grouping {
  pathOf(node: Node): readonly string[];
  stats(path: string, nodes: readonly Node[]): string;
}

const CHAR_W = 7;

function category(node: Node): string {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return 'custom';
  if (/^(MatMul|Gemm|Conv|ConvTranspose|DFT|Einsum|Attention)/.test(node.op)) return 'heavy';
  if (/^(If|Loop|Scan)$/.test(node.op)) return 'control';
  if (/^(Reshape|Transpose|Slice|Gather|Concat|Split|Squeeze|Unsqueeze|Shape|Identity|Cast|Expand|Pad|Constant|Flatten|Tile)/.test(node.op)) return 'data';
  return 'math';
}

/** The node's name without its scope, which the group around it already shows. */
function leafName(node: Node, path: readonly string[]): string {
  const prefix = path.length ? `${path.join('/')}/` : '';
  return prefix && node.name.startsWith(prefix) ? node.name.slice(prefix.length) : node.name;
}

export function drawingOf(graph: Graph, grouping: Grouping | null = null): Drawing {
  const units: DrawUnit[] = [];
  const edges: DrawEdge[] = [];
  const root: DrawGroup = { id: 0, kind: 'group', label: '', path: '', stats: '', depth: 0, parent: -1, children: [], ranks: [] };
  units.push(root);
  const groupByPath = new Map<string, DrawGroup>([['', root]]);
  const nodesOfGroup = new Map<DrawGroup, Node[]>([[root, []]]);
  const groupFor = (path: readonly string[]): DrawGroup => {
    let g = root;
    for (let i = 0; i < path.length; i++) {
      const key = path.slice(0, i + 1).join('/');
      let next = groupByPath.get(key);
      if (!next) {
        next = { id: units.length, kind: 'group', label: path[i]!, path: key, stats: '', depth: i + 1, parent: g.id, children: [], ranks: [] };
        units.push(next);
        g.children.push(next.id);
        groupByPath.set(key, next);
        nodesOfGroup.set(next, []);
      }
      g = next;
    }
    return g;
  };
  const addBox = (kind: DrawBox['kind'], label: string, sub: string, cls: string, group: DrawGroup): DrawBox => {
    const w = Math.max(56, CHAR_W * Math.max(label.length, Math.min(sub.length, 28)) + 20);
    const b: DrawBox = { id: units.length, kind, label, sub, cls, w, parent: group.id };
    units.push(b);
    group.children.push(b.id);
    return b;
  };
  const boxOfValue = new Map<Value, number>();
  const nodeOfBox = new Map<number, Node>();
  for (const v of graph.inputs) boxOfValue.set(v, addBox('input', v.name, typeToString(v.type), 'input', root).id);
  const source = (v: Value): number | null => {
    const known = boxOfValue.get(v);
    if (known !== undefined) return known;
    if (v.constant) return null; // initializers are listed on the node, not drawn
    // A value of an enclosing graph, read by a subgraph: drawn once as an input-like box.
    const b = addBox('outer', v.name, `outer ${typeToString(v.type)}`, 'outer', root);
    boxOfValue.set(v, b.id);
    return b.id;
  };
  for (const node of graph.nodes) {
    const ins = node.inputs.flatMap((v) => (v ? [[v, source(v)] as const] : []));
    const path = grouping?.pathOf(node) ?? [];
    const group = groupFor(path);
    for (let g: DrawGroup | undefined = group; g; g = g.parent >= 0 ? (units[g.parent] as DrawGroup) : undefined) nodesOfGroup.get(g)!.push(node);
    const b = addBox('op', node.op, leafName(node, path), category(node), group);
    nodeOfBox.set(b.id, node);
    for (const [v, from] of ins) if (from !== null) edges.push({ from, to: b.id, label: `${v.name}: ${typeToString(v.type)}` });
    for (const v of node.outputs) boxOfValue.set(v, b.id);
  }
  for (const v of graph.outputs) {
    const b = addBox('output', v.name, typeToString(v.type), 'output', root);
    const from = boxOfValue.get(v);
    if (from !== undefined) edges.push({ from, to: b.id, label: `${v.name}: ${typeToString(v.type)}` });
  }
  for (const g of groupByPath.values()) {
    if (g === root) continue;
    g.stats = grouping?.stats(g.path, nodesOfGroup.get(g)!) ?? '';
  }
  rankGroups(units, edges);
  return { units, root: 0, edges };
}

/** The child of `g` that holds unit `u` (u itself when it is a child), or null when g does not hold it. */
function childOf(units: DrawUnit[], g: number, u: number): number | null {
  let at = u;
  while (at >= 0) {
    const parent = units[at]!.parent;
    if (parent === g) return at;
    at = parent;
  }
  return null;
}

/**
 * Ranks and order of every group's children: the children's own graph (an edge between two
 * boxes is an edge between the children of their lowest common group that hold them) is ranked
 * by longest path in topological order — a cycle, which groups of another tool's names can form,
 * is broken at the earliest child — then two barycenter sweeps untangle each rank.
 */
function rankGroups(units: DrawUnit[], edges: DrawEdge[]): void {
  const ancestors = (u: number) => {
    const out: number[] = [];
    for (let at = units[u]!.parent; at >= 0; at = units[at]!.parent) out.push(at);
    return out;
  };
  const preds = new Map<number, number[]>();
  for (const e of edges) {
    const up = new Set(ancestors(e.from));
    const common = ancestors(e.to).find((g) => up.has(g));
    if (common === undefined) continue;
    const a = childOf(units, common, e.from)!, b = childOf(units, common, e.to)!;
    if (a === b) continue;
    const list = preds.get(b) ?? [];
    if (!list.includes(a)) list.push(a);
    preds.set(b, list);
  }
  for (const g of units) {
    if (g.kind !== 'group') continue;
    const kids = g.children;
    const index = new Map(kids.map((k, i) => [k, i]));
    const inside = (k: number) => (preds.get(k) ?? []).filter((p) => index.has(p));
    // Kahn's order, earliest child first; stuck on a cycle, take the earliest remaining child.
    const waiting = new Map(kids.map((k) => [k, inside(k).length]));
    const succs = new Map<number, number[]>(kids.map((k) => [k, []]));
    for (const k of kids) for (const p of inside(k)) succs.get(p)!.push(k);
    const order: number[] = [];
    const done = new Set<number>();
    while (order.length < kids.length) {
      const next = kids.find((k) => !done.has(k) && waiting.get(k) === 0) ?? kids.find((k) => !done.has(k))!;
      done.add(next);
      order.push(next);
      for (const s of succs.get(next)!) waiting.set(s, waiting.get(s)! - 1);
    }
    const rank = new Map<number, number>();
    for (const k of order) rank.set(k, inside(k).filter((p) => rank.has(p)).reduce((r, p) => Math.max(r, rank.get(p)! + 1), 0));
    const ranks: number[][] = [];
    for (const k of kids) (ranks[rank.get(k)!] ??= []).push(k);
    const pos = new Map<number, number>();
    const place = () => ranks.forEach((r) => r.forEach((k, i) => pos.set(k, i)));
    place();
    for (let sweep = 0; sweep < 2; sweep++) {
      for (const r of ranks) {
        const center = (k: number) => {
          const ps = inside(k).filter((p) => rank.get(p)! < rank.get(k)!);
          return ps.length ? ps.reduce((s, p) => s + pos.get(p)!, 0) / ps.length : pos.get(k)!;
        };
        const keyed = r.map((k) => [center(k), k] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        keyed.forEach(([, k], i) => (r[i] = k));
        r.forEach((k, i) => pos.set(k, i));
      }
    }
    g.ranks = ranks.filter((r) => r !== undefined);
  }
}
