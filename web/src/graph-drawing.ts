import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';

/**
 * A self-contained HTML page drawing a model's top-level graph as an SVG: nodes in layers by
 * their longest distance from the graph inputs (so every edge points down), graph inputs on top
 * and outputs at the bottom. Used by the inspector view until src/inspect/html.ts provides one.
 */
const BOX_W = 150, BOX_H = 34, GAP_X = 24, GAP_Y = 46, MARGIN = 20;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface Box { label: string; detail: string; layer: number; x: number; y: number; kind: 'input' | 'op' | 'output' }

export function drawGraphPage(model: Model, title: string): string {
  const g = model.graph;
  const boxes: Box[] = [];
  const boxOfNode = new Map<Node, Box>();
  const boxOfInput = new Map<string, Box>();
  for (const v of g.inputs) {
    const b: Box = { label: v.name, detail: `input ${v.type.dtype}`, layer: 0, x: 0, y: 0, kind: 'input' };
    boxes.push(b);
    boxOfInput.set(v.name, b);
  }
  // Nodes are stored in topological order, so producers get their layer before their users.
  let deepest = 0;
  for (const n of g.nodes) {
    let layer = 1;
    for (const v of n.inputs) {
      if (!v) continue;
      const from = v.producer ? boxOfNode.get(v.producer) : boxOfInput.get(v.name);
      if (from) layer = Math.max(layer, from.layer + 1);
    }
    const b: Box = { label: n.qualifiedOp, detail: n.name, layer, x: 0, y: 0, kind: 'op' };
    boxes.push(b);
    boxOfNode.set(n, b);
    deepest = Math.max(deepest, layer);
  }
  const outputBoxes = g.outputs.map((v) => {
    const b: Box = { label: v.name, detail: `output ${v.type.dtype}`, layer: deepest + 1, x: 0, y: 0, kind: 'output' as const };
    boxes.push(b);
    return b;
  });

  const perLayer = new Map<number, Box[]>();
  for (const b of boxes) perLayer.set(b.layer, [...(perLayer.get(b.layer) ?? []), b]);
  const widest = Math.max(...[...perLayer.values()].map((l) => l.length));
  const width = 2 * MARGIN + widest * (BOX_W + GAP_X);
  for (const [layer, row] of perLayer) {
    const rowWidth = row.length * (BOX_W + GAP_X) - GAP_X;
    row.forEach((b, i) => {
      b.x = (width - rowWidth) / 2 + i * (BOX_W + GAP_X);
      b.y = MARGIN + layer * (BOX_H + GAP_Y);
    });
  }
  const height = 2 * MARGIN + (deepest + 2) * (BOX_H + GAP_Y);

  const edges: string[] = [];
  const edge = (from: Box, to: Box) => {
    const x1 = from.x + BOX_W / 2, y1 = from.y + BOX_H, x2 = to.x + BOX_W / 2, y2 = to.y;
    const my = (y1 + y2) / 2;
    edges.push(`<path d="M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}" />`);
  };
  for (const n of g.nodes) {
    for (const v of n.inputs) {
      const from = v && (v.producer ? boxOfNode.get(v.producer) : boxOfInput.get(v.name));
      if (from) edge(from, boxOfNode.get(n)!);
    }
  }
  g.outputs.forEach((v, i) => {
    const from = v.producer ? boxOfNode.get(v.producer) : boxOfInput.get(v.name);
    if (from) edge(from, outputBoxes[i]!);
  });

  const shapes = boxes.map((b) => `<g class="${b.kind}"><title>${escapeHtml(b.detail)}</title>`
    + `<rect x="${b.x}" y="${b.y}" width="${BOX_W}" height="${BOX_H}" rx="5" />`
    + `<text x="${b.x + BOX_W / 2}" y="${b.y + BOX_H / 2 + 4}">${escapeHtml(b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label)}</text></g>`);

  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>
body{margin:0;font-family:system-ui,sans-serif}h1{font-size:1rem;margin:.5rem 1rem}
path{fill:none;stroke:#9aa3b5;stroke-width:1.2}rect{stroke:#4b5568;fill:#eef3ff}
.input rect{fill:#e4f7ea}.output rect{fill:#fdf0e0}text{font-size:12px;text-anchor:middle;fill:#1d2330}
</style></head><body><h1>${escapeHtml(title)} — ${g.nodes.length} nodes</h1>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${edges.join('\n')}
${shapes.join('\n')}
</svg></body></html>`;
}
