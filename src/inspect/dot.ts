import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { typeToString } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { subgraphsOf } from './walk.js';

/** A DOT string literal. */
function q(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Graphviz of a model: the main graph, each subgraph as a cluster inside it (edges from the outer
 * values it reads), and each function body as a cluster of its own. Initializers are not drawn
 * (they would swamp the picture); ids are positional, so the same model gives the same text.
 */
export function graphDot(model: Model): string {
  const lines = ['digraph model {', '  rankdir=TB;', '  node [shape=box, style="rounded,filled", fillcolor="#e8eef8", fontname="Helvetica", fontsize=10];', '  edge [fontsize=8, color="#8a94a6"];'];
  let next = 0;
  const idOf = new Map<Value, string>();
  const emitGraph = (g: Graph, indent: string) => {
    for (const v of g.inputs) {
      const id = `v${next++}`;
      idOf.set(v, id);
      lines.push(`${indent}${id} [label=${q(`${v.name}\n${typeToString(v.type)}`)}, shape=ellipse, fillcolor="#d4e8ff"];`);
    }
    for (const node of g.nodes) {
      const id = `n${next++}`;
      lines.push(`${indent}${id} [label=${q(`${node.qualifiedOp}\n${node.name}`)}];`);
      for (const v of node.inputs) {
        const from = v ? idOf.get(v) : undefined;
        if (from) lines.push(`${indent}${from} -> ${id} [label=${q(typeToString(v!.type))}];`);
      }
      for (const v of node.outputs) idOf.set(v, id);
      for (const [attr, sub] of subgraphsOf(node)) {
        lines.push(`${indent}subgraph cluster_${next++} {`, `${indent}  label=${q(`${node.name}.${attr}`)}; style=dashed;`);
        emitGraph(sub, `${indent}  `);
        lines.push(`${indent}}`);
        // The body runs inside the node: tie its outputs back to it.
        for (const v of sub.outputs) {
          const from = idOf.get(v);
          if (from) lines.push(`${indent}${from} -> ${id} [style=dotted, label=${q(v.name)}];`);
        }
      }
    }
    for (const v of g.outputs) {
      const id = `v${next++}`;
      lines.push(`${indent}${id} [label=${q(`${v.name}\n${typeToString(v.type)}`)}, shape=ellipse, fillcolor="#ffd6d6"];`);
      const from = idOf.get(v);
      if (from) lines.push(`${indent}${from} -> ${id};`);
    }
  };
  emitGraph(model.graph, '  ');
  for (const f of model.functions) {
    lines.push(`  subgraph cluster_${next++} {`, `    label=${q(`function ${f.domain}.${f.name}`)}; style=filled; fillcolor="#fffbe6";`);
    emitGraph(f.body, '    ');
    lines.push('  }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
