import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import type { Value } from '../../ir/value.js';
import { readMetadata } from '../metadata.js';

/** Nodes no layer claims: those before the first parameter, reading only graph inputs and constants. */
export const NO_LAYER = '(other)';

/**
 * The layer a dotted or slashed name belongs to: its path without the leaf, cut after the first
 * numeric segment ('model.layers.3.mlp.fc1.weight' → 'model.layers.3', '/encoder/layer.0/attn/MatMul'
 * → 'encoder/layer.0'), or its first segment when no segment is a number ('token_emb.weight' →
 * 'token_emb'). Plain names ('const_1', 'W') have no layer.
 */
export function layerOfName(name: string, separators: string): string | null {
  const segments = [...name.matchAll(new RegExp(`[^${separators}]+`, 'g'))];
  if (segments.length < 2) return null;
  const path = segments.slice(0, -1);
  const numeric = path.findIndex((m) => /^\d+$/.test(m[0]));
  const last = path[numeric >= 0 ? numeric : 0]!;
  // Slice the name itself so the key keeps the name's own separators.
  return name.slice(path[0]!.index, last.index + last[0].length);
}

/** A parameter's layer: initializer names use dots (PyTorch state dicts) or slashes (TF). */
export function layerOfParameter(name: string): string | null {
  // '<node>.folded' is a constant the compiler folded, named after a node, not a parameter.
  if (name.endsWith('.folded')) return null;
  return layerOfName(name, './');
}

/** A node's own layer: only path-like node names count (exporters write '/model/layers.0/attn/MatMul'). */
function layerOfNodeName(name: string): string | null {
  return name.includes('/') ? layerOfName(name, './') : null;
}

/** The initializers a node reads, also from inside its subgraphs. */
function parametersRead(node: Node, out: Value[] = []): Value[] {
  for (const v of node.inputs) if (v?.constant) out.push(v);
  for (const a of node.attrs.values()) {
    const subs = a.kind === 'graph' ? [a.value] : a.kind === 'graphs' ? a.value : [];
    for (const g of subs) for (const n of g.nodes) parametersRead(n, out);
  }
  return out;
}

/**
 * Assign every node of a graph to a layer: by its path-like name, else by the named parameters it
 * reads (a parameter read in several places — shared, or merged by CSE — only counts for its first
 * reader), else the
 * most recently started layer among its inputs' layers (so a residual Add joins the layer whose
 * branch it closes, not the layer its skip connection comes from).
 */
export function assignLayers(graph: Graph): Map<Node, string> {
  const byNode = new Map<Node, string>();
  const started = new Map<string, number>();
  for (const node of graph.nodes) {
    let layer = layerOfNodeName(node.name);
    if (layer === null) {
      for (const p of parametersRead(node)) {
        const named = layerOfParameter(p.name);
        // A shared parameter only opens its layer; later readers may belong to any layer.
        if (named !== null && (p.uses.length === 1 || !started.has(named))) {
          layer = named;
          break;
        }
      }
    }
    if (layer === null) {
      let latest = -1;
      for (const v of node.inputs) {
        const from = v?.producer ? byNode.get(v.producer) : undefined;
        if (from !== undefined && from !== NO_LAYER && started.get(from)! > latest) {
          latest = started.get(from)!;
          layer = from;
        }
      }
    }
    layer ??= NO_LAYER;
    if (!started.has(layer)) started.set(layer, started.size);
    byNode.set(node, layer);
  }
  return byNode;
}

/**
 * The layer of an initializer: the layer of the first node reading it (so parameters and the nodes
 * using them share one key even when names and node paths are spelt differently), else its name's.
 */
export function layerOfInitializer(v: Value, byNode: Map<Node, string>, ownerOf: ReadonlyMap<Graph, Node> = new Map()): string {
  for (const u of v.uses) {
    // A use inside a subgraph (a Scan body reading an outer constant) counts for the node owning it.
    let node: Node | undefined = u.node;
    while (node && !byNode.has(node)) node = ownerOf.get(node.graph);
    const l = node ? byNode.get(node) : undefined;
    if (l !== undefined) return l;
  }
  return layerOfParameter(v.name) ?? NO_LAYER;
}

/** The node owning each subgraph of `graph`, at any depth. */
export function subgraphOwners(graph: Graph, into = new Map<Graph, Node>()): Map<Graph, Node> {
  for (const n of graph.nodes) {
    for (const a of n.attrs.values()) {
      const subs = a.kind === 'graph' ? [a.value] : a.kind === 'graphs' ? a.value : [];
      for (const g of subs) {
        into.set(g, n);
        subgraphOwners(g, into);
      }
    }
  }
  return into;
}

/**
 * Whether the model's node names carry module scopes ('layers.3/dss/conv/matmul'): ssmc writes
 * them, and says so with the `ssmc.scopes` metadata; files of other tools (or older ssmc files)
 * are grouped by the heuristic above.
 */
export function hasScopes(model: Model): boolean {
  return (readMetadata(model).meta.scopes?.length ?? 0) > 0;
}

/** A scoped node's scope: its name up to the last '/' ('layers.3/dss/conv/matmul_2' → 'layers.3/dss/conv'; '' for 'add_4'). */
export function scopeOfName(name: string): string {
  const i = name.lastIndexOf('/');
  return i > 0 ? name.slice(0, i) : '';
}

/**
 * Every main-graph node's layer: in a scoped model the first segment of its scope (nodes outside
 * every scope are NO_LAYER), else `assignLayers`' heuristic.
 */
export function layersOf(model: Model): Map<Node, string> {
  if (!hasScopes(model)) return assignLayers(model.graph);
  return new Map(model.graph.nodes.map((n) => [n, scopeOfName(n.name).split('/')[0] || NO_LAYER]));
}

/**
 * The nested groups a drawing puts each node of `graph` in, outermost first: the scope's segments
 * in a scoped model (['layers.3', 'dss', 'conv']); for other files the path of a path-like name
 * ('/encoder/layer.0/attn/MatMul' → ['encoder', 'layer.0', 'attn']), else the heuristic layer of
 * the main graph; nodes of subgraphs and function bodies are not grouped.
 */
export function groupPaths(model: Model, graph: Graph): Map<Node, string[]> {
  const out = new Map<Node, string[]>();
  if (graph !== model.graph) return out;
  if (hasScopes(model)) {
    for (const n of graph.nodes) out.set(n, scopeOfName(n.name).split('/').filter(Boolean));
    return out;
  }
  const layers = assignLayers(graph);
  for (const n of graph.nodes) {
    const segments = n.name.includes('/') ? n.name.split('/').slice(0, -1).filter(Boolean) : [];
    const layer = layers.get(n);
    out.set(n, segments.length > 0 ? segments : layer && layer !== NO_LAYER ? [layer] : []);
  }
  return out;
}
