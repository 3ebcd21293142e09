import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';

/** Where a graph sits in a model: the main graph, a subgraph attribute of a node, or a function body. */
export interface GraphSite {
  graph: Graph;
  /** A readable path: 'main', 'main/loop.body', 'function ai.ssmc.LongConv', … */
  path: string;
  kind: 'main' | 'subgraph' | 'function';
  /** The node owning a subgraph, and the attribute holding it. */
  owner: Node | null;
  attr: string | null;
  depth: number;
}

/** Every graph of a model, parents before children: main, its subgraphs, then function bodies. */
export function allGraphs(model: Model): GraphSite[] {
  const out: GraphSite[] = [];
  const visit = (site: GraphSite) => {
    out.push(site);
    for (const node of site.graph.nodes) {
      for (const [attr, sub] of subgraphsOf(node)) {
        visit({ graph: sub, path: `${site.path}/${node.name}.${attr}`, kind: 'subgraph', owner: node, attr, depth: site.depth + 1 });
      }
    }
  };
  visit({ graph: model.graph, path: 'main', kind: 'main', owner: null, attr: null, depth: 0 });
  for (const f of model.functions) {
    visit({ graph: f.body, path: `function ${qualifiedName(f.domain, f.name)}`, kind: 'function', owner: null, attr: null, depth: 0 });
  }
  return out;
}

/** The subgraph attributes of a node, as [label, graph] pairs ('body', 'then_branch', 'branches[1]'). */
export function subgraphsOf(node: Node): [string, Graph][] {
  const out: [string, Graph][] = [];
  for (const [name, a] of node.attrs) {
    if (a.kind === 'graph') out.push([name, a.value]);
    else if (a.kind === 'graphs') a.value.forEach((g, i) => out.push([`${name}[${i}]`, g]));
  }
  return out;
}

/** 'Add' for the ONNX domain, 'ai.ssmc.LongConv' otherwise. */
export function qualifiedName(domain: string, op: string): string {
  return domain === '' || domain === 'ai.onnx' ? op : `${domain}.${op}`;
}

/** The ONNX domain's display name. */
export function domainName(domain: string): string {
  return domain === '' ? 'ai.onnx' : domain;
}
