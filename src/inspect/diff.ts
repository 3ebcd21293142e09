import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { printAttr, printGraph } from '../../ir/printer.js';
import type { Tensor } from '../../ir/tensor.js';
import { typeToString } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { table } from './format.js';
import { subgraphsOf } from './walk.js';

export interface ValueDelta {
  maxAbs: number;
  maxRel: number;
  /** Elements compared. */
  count: number;
}

export interface ModelDiff {
  identical: boolean;
  /** ir_version, opsets, producer, metadata. */
  header: string[];
  /** Interface changes: 'input x: f32[4] → f32[8]', 'output y removed'. */
  interface: string[];
  /** Op counts that differ. */
  ops: { op: string; a: number; b: number }[];
  nodes: { added: string[]; removed: string[]; changed: { node: string; changes: string[] }[] };
  initializers: {
    added: string[];
    removed: string[];
    changed: { name: string; change: string }[];
    /** Same name, dtype and shape; values compared. Only those that differ are listed. */
    values: ({ name: string } & ValueDelta)[];
  };
  functions: string[];
}

function describe(v: Value): string {
  return typeToString(v.type);
}

function headerDiff(a: Model, b: Model): string[] {
  const out: string[] = [];
  const cmp = (what: string, x: unknown, y: unknown) => {
    if (x !== y) out.push(`${what}: ${String(x)} → ${String(y)}`);
  };
  cmp('ir_version', a.irVersion, b.irVersion);
  cmp('producer', `${a.producerName} ${a.producerVersion}`, `${b.producerName} ${b.producerVersion}`);
  for (const d of new Set([...a.opsetImports.keys(), ...b.opsetImports.keys()])) {
    cmp(`opset ${d || 'ai.onnx'}`, a.opsetImports.get(d) ?? 'none', b.opsetImports.get(d) ?? 'none');
  }
  for (const k of new Set([...a.metadata.keys(), ...b.metadata.keys()])) {
    const x = a.metadata.get(k), y = b.metadata.get(k);
    if (x !== y) out.push(x === undefined ? `metadata ${k} added` : y === undefined ? `metadata ${k} removed` : `metadata ${k} changed`);
  }
  return out;
}

function interfaceDiff(kind: string, a: Value[], b: Value[]): string[] {
  const out: string[] = [];
  const bm = new Map(b.map((v) => [v.name, v]));
  const am = new Map(a.map((v) => [v.name, v]));
  for (const v of a) {
    const w = bm.get(v.name);
    if (!w) out.push(`${kind} ${v.name} removed`);
    else if (describe(v) !== describe(w)) out.push(`${kind} ${v.name}: ${describe(v)} → ${describe(w)}`);
  }
  for (const w of b) if (!am.has(w.name)) out.push(`${kind} ${w.name} added: ${describe(w)}`);
  const order = (vs: Value[]) => vs.map((v) => v.name).filter((n) => am.has(n) && bm.has(n)).join(',');
  if (order(a) !== order(b)) out.push(`${kind}s are in a different order`);
  return out;
}

function opCounts(g: Graph, into = new Map<string, number>()): Map<string, number> {
  for (const n of g.nodes) {
    into.set(n.qualifiedOp, (into.get(n.qualifiedOp) ?? 0) + 1);
    for (const [, sub] of subgraphsOf(n)) opCounts(sub, into);
  }
  return into;
}

/** How one node differs from its counterpart: op, wiring (by value name), output types, attributes. */
function nodeChanges(x: Node, y: Node): string[] {
  const out: string[] = [];
  if (x.qualifiedOp !== y.qualifiedOp) out.push(`op ${x.qualifiedOp} → ${y.qualifiedOp}`);
  const names = (vs: readonly (Value | null)[]) => vs.map((v) => v?.name ?? '_').join(', ');
  if (names(x.inputs) !== names(y.inputs)) out.push(`inputs (${names(x.inputs)}) → (${names(y.inputs)})`);
  const types = (n: Node) => n.outputs.map(describe).join(', ');
  if (types(x) !== types(y)) out.push(`output types ${types(x)} → ${types(y)}`);
  for (const k of new Set([...x.attrs.keys(), ...y.attrs.keys()])) {
    const p = x.attrs.get(k), q = y.attrs.get(k);
    if (!p) out.push(`attribute ${k} added`);
    else if (!q) out.push(`attribute ${k} removed`);
    else if (p.kind === 'graph' && q.kind === 'graph') {
      if (printGraph(p.value) !== printGraph(q.value)) out.push(`subgraph ${k} differs`);
    } else if (p.kind === 'graphs' && q.kind === 'graphs') {
      if (p.value.map((g) => printGraph(g)).join('\n') !== q.value.map((g) => printGraph(g)).join('\n')) out.push(`subgraphs ${k} differ`);
    } else if (printAttr(p) !== printAttr(q)) out.push(`attribute ${k}: ${printAttr(p)} → ${printAttr(q)}`);
  }
  return out;
}

/**
 * Pair the nodes of two graphs: by name first (exporters keep names stable), then the rest in order
 * by op type, so a renamed but otherwise unchanged node still pairs up.
 */
function nodeDiff(a: Graph, b: Graph): ModelDiff['nodes'] {
  const byName = new Map(b.nodes.map((n) => [n.name, n]));
  const paired = new Map<Node, Node>();
  const taken = new Set<Node>();
  for (const n of a.nodes) {
    const m = byName.get(n.name);
    if (m && !taken.has(m)) {
      paired.set(n, m);
      taken.add(m);
    }
  }
  const restB = b.nodes.filter((n) => !taken.has(n));
  for (const n of a.nodes) {
    if (paired.has(n)) continue;
    const i = restB.findIndex((m) => m.qualifiedOp === n.qualifiedOp);
    if (i >= 0) {
      paired.set(n, restB[i]!);
      taken.add(restB[i]!);
      restB.splice(i, 1);
    }
  }
  const changed: ModelDiff['nodes']['changed'] = [];
  for (const [x, y] of paired) {
    const c = nodeChanges(x, y);
    if (x.name !== y.name) c.unshift(`renamed to '${y.name}'`);
    if (c.length) changed.push({ node: `${x.qualifiedOp} '${x.name}'`, changes: c });
  }
  return {
    removed: a.nodes.filter((n) => !paired.has(n)).map((n) => `${n.qualifiedOp} '${n.name}'`),
    added: b.nodes.filter((n) => !taken.has(n)).map((n) => `${n.qualifiedOp} '${n.name}'`),
    changed,
  };
}

/** Numeric view of a tensor's values, or null (raw bytes, strings, external data). */
function numbers(t: Tensor): ArrayLike<number | bigint> | null {
  if (t.data === null || Array.isArray(t.data)) return null;
  return t.data as ArrayLike<number | bigint>;
}

/** max |a−b| and max |a−b| / max(|a|, |b|) over the elements (0/0 counts as equal). */
export function valueDelta(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): ValueDelta {
  let maxAbs = 0, maxRel = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]!), y = Number(b[i]!);
    if (Object.is(x, y) || x === y) continue;
    const d = Number.isNaN(x) || Number.isNaN(y) ? Infinity : Math.abs(x - y);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(x), Math.abs(y)));
  }
  return { maxAbs, maxRel, count: a.length };
}

function bytesEqual(x: Uint8Array | undefined, y: Uint8Array | undefined): boolean {
  if (!x || !y) return x === y;
  if (x.byteLength !== y.byteLength) return false;
  for (let i = 0; i < x.byteLength; i++) if (x[i] !== y[i]) return false;
  return true;
}

function initializerDiff(a: Graph, b: Graph): ModelDiff['initializers'] {
  const bm = new Map(b.initializers.map((v) => [v.name, v.constant!]));
  const am = new Map(a.initializers.map((v) => [v.name, v.constant!]));
  const out: ModelDiff['initializers'] = { added: [], removed: [], changed: [], values: [] };
  for (const [name, s] of am) {
    const t = bm.get(name);
    if (!t) {
      out.removed.push(name);
      continue;
    }
    const sig = (x: Tensor) => `${x.dtype}[${x.dims.join(',')}]`;
    if (sig(s) !== sig(t)) {
      out.changed.push({ name, change: `${sig(s)} → ${sig(t)}` });
      continue;
    }
    if (s.external || t.external) {
      if (JSON.stringify(s.external ?? null) !== JSON.stringify(t.external ?? null)) out.changed.push({ name, change: 'external data reference changed' });
      continue;
    }
    const x = numbers(s), y = numbers(t);
    if (x && y) {
      const d = valueDelta(x, y);
      if (d.maxAbs > 0) out.values.push({ name, ...d });
    } else if (Array.isArray(s.data) && Array.isArray(t.data)) {
      if (s.data.join('\u0000') !== t.data.join('\u0000')) out.changed.push({ name, change: 'string values differ' });
    } else if (!bytesEqual(s.raw, t.raw)) out.changed.push({ name, change: 'raw bytes differ' });
  }
  for (const name of bm.keys()) if (!am.has(name)) out.added.push(name);
  out.values.sort((p, q) => q.maxAbs - p.maxAbs || p.name.localeCompare(q.name));
  return out;
}

function functionDiff(a: Model, b: Model): string[] {
  const out: string[] = [];
  const key = (f: Model['functions'][number]) => `${f.domain}.${f.name}`;
  const bm = new Map(b.functions.map((f) => [key(f), f]));
  const am = new Map(a.functions.map((f) => [key(f), f]));
  for (const [k, f] of am) {
    const g = bm.get(k);
    if (!g) out.push(`function ${k} removed`);
    else if (printGraph(f.body) !== printGraph(g.body) || f.attributes.join() !== g.attributes.join()) out.push(`function ${k} body differs`);
  }
  for (const k of bm.keys()) if (!am.has(k)) out.push(`function ${k} added`);
  return out;
}

/** Structural and initializer-value differences between two models (a → b). */
export function diffModels(a: Model, b: Model): ModelDiff {
  const ca = opCounts(a.graph), cb = opCounts(b.graph);
  const ops = [...new Set([...ca.keys(), ...cb.keys()])].sort()
    .map((op) => ({ op, a: ca.get(op) ?? 0, b: cb.get(op) ?? 0 }))
    .filter((o) => o.a !== o.b);
  const d: ModelDiff = {
    identical: false,
    header: headerDiff(a, b),
    interface: [...interfaceDiff('input', a.graph.inputs, b.graph.inputs), ...interfaceDiff('output', a.graph.outputs, b.graph.outputs)],
    ops,
    nodes: nodeDiff(a.graph, b.graph),
    initializers: initializerDiff(a.graph, b.graph),
    functions: functionDiff(a, b),
  };
  const i = d.initializers, n = d.nodes;
  d.identical = !d.header.length && !d.interface.length && !ops.length && !n.added.length && !n.removed.length && !n.changed.length &&
    !i.added.length && !i.removed.length && !i.changed.length && !i.values.length && !d.functions.length;
  return d;
}

/** The diff as plain text. */
export function formatDiff(d: ModelDiff): string {
  if (d.identical) return 'no structural or initializer differences';
  const out: string[] = [];
  // One push per line: spreading a file-sized list into push() overflows the call stack.
  const add = (lines: readonly string[]) => {
    for (const l of lines) out.push(l);
  };
  const block = (title: string, lines: string[]) => {
    if (lines.length) add([`${title}:`, ...lines.map((l) => `  ${l}`)]);
  };
  block('header', d.header);
  block('interface', d.interface);
  if (d.ops.length) add(['op counts (a → b):', ...table(d.ops.map((o) => [o.op, `${o.a} → ${o.b}`]))]);
  block('nodes removed', d.nodes.removed);
  block('nodes added', d.nodes.added);
  for (const c of d.nodes.changed) block(`node ${c.node}`, c.changes);
  block('initializers removed', d.initializers.removed);
  block('initializers added', d.initializers.added);
  block('initializers changed', d.initializers.changed.map((c) => `${c.name}: ${c.change}`));
  if (d.initializers.values.length) {
    add(['initializer values (max abs / max rel difference):',
      ...table(d.initializers.values.map((v) => [v.name, v.maxAbs.toExponential(3), v.maxRel.toExponential(3), `${v.count} elements`]))]);
  }
  block('functions', d.functions);
  return out.join('\n');
}
