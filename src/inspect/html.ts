import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { printAttr, printTensorValue } from '../../ir/printer.js';
import { typeToString } from '../../ir/types.js';
import { layoutGraph, type Box, type Layout } from './layout.js';
import { allGraphs, qualifiedName, subgraphsOf, type GraphSite } from './walk.js';

/** Text safe inside HTML and SVG markup, attributes included. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** What the page shows for a clicked box. */
interface BoxInfo {
  title: string;
  kind: Box['kind'];
  inputs: [string, string][];
  outputs: [string, string][];
  attrs: [string, string][];
  /** Subgraph attributes: [label, section id]. */
  subgraphs: [string, string][];
  doc: string;
}

function ellipsis(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function category(node: Node | null): string {
  if (!node) return '';
  if (node.domain !== '' && node.domain !== 'ai.onnx') return 'custom';
  if (/^(MatMul|Gemm|Conv|ConvTranspose|DFT|Einsum|Attention)/.test(node.op)) return 'heavy';
  if (/^(If|Loop|Scan)$/.test(node.op)) return 'control';
  if (/^(Reshape|Transpose|Slice|Gather|Concat|Split|Squeeze|Unsqueeze|Shape|Identity|Cast|Expand|Pad|Constant|Flatten|Tile)/.test(node.op)) return 'data';
  return 'math';
}

function renderSvg(layout: Layout, gi: number): string {
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(layout.width)}" height="${Math.ceil(layout.height)}" viewBox="0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}" data-w="${Math.ceil(layout.width)}" data-h="${Math.ceil(layout.height)}">`);
  for (const e of layout.edges) {
    const a = layout.boxes[e.from]!, b = layout.boxes[e.to]!;
    const x1 = a.x + a.width / 2, y1 = a.y + a.height, x2 = b.x + b.width / 2, y2 = b.y;
    const dy = Math.max(12, (y2 - y1) / 2);
    parts.push(`<path class="edge" d="M${x1.toFixed(1)} ${y1} C${x1.toFixed(1)} ${y1 + dy} ${x2.toFixed(1)} ${y2 - dy} ${x2.toFixed(1)} ${y2 - 4}"><title>${escapeHtml(e.label)}</title></path>`);
    parts.push(`<polygon class="arrow" points="${(x2 - 4).toFixed(1)},${y2 - 6} ${(x2 + 4).toFixed(1)},${y2 - 6} ${x2.toFixed(1)},${y2}"/>`);
  }
  for (const b of layout.boxes) {
    const cls = b.kind === 'op' ? `box ${category(b.node)}` : `box ${b.kind}`;
    parts.push(`<g class="${b.kind}" data-k="${gi}:${b.id}" tabindex="0">` +
      `<title>${escapeHtml(`${b.label} ${b.sublabel}`)}</title>` +
      `<rect class="${cls}" x="${b.x.toFixed(1)}" y="${b.y}" width="${b.width}" height="${b.height}" rx="5"/>` +
      `<text class="label" x="${(b.x + b.width / 2).toFixed(1)}" y="${b.y + 15}">${escapeHtml(ellipsis(b.label, 40))}</text>` +
      `<text class="sub" x="${(b.x + b.width / 2).toFixed(1)}" y="${b.y + 30}">${escapeHtml(ellipsis(b.sublabel, 28))}</text></g>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function boxInfo(b: Box, sectionOf: Map<Graph, string>): BoxInfo {
  const t = (v: { name: string; type: Parameters<typeof typeToString>[0] } | null): [string, string] => (v ? [v.name, typeToString(v.type)] : ['(omitted)', '']);
  if (!b.node) {
    const v = b.value!;
    const what = b.kind === 'input' ? 'graph input' : b.kind === 'output' ? 'graph output' : 'value of an enclosing graph';
    return { title: `${what} ${v.name}`, kind: b.kind, inputs: [], outputs: [t(v)], attrs: [], subgraphs: [], doc: '' };
  }
  const n = b.node;
  const attrs: [string, string][] = [...n.attrs.keys()].sort().map((k) => {
    const a = n.attrs.get(k)!;
    return [k, a.kind === 'graph' || a.kind === 'graphs' ? printAttr(a) : ellipsis(printAttr(a), 400)];
  });
  const consts = n.inputs.filter((v) => v?.constant).map((v) => [`${v!.name} (constant)`, ellipsis(printTensorValue(v!.constant!), 200)] as [string, string]);
  return {
    title: `${qualifiedName(n.domain, n.op)} '${n.name}'`,
    kind: 'op',
    inputs: n.inputs.map((v) => t(v)),
    outputs: n.outputs.map((v) => t(v)),
    attrs: [...attrs, ...consts],
    subgraphs: subgraphsOf(n).map(([label, g]) => [label, sectionOf.get(g) ?? '']),
    doc: n.docString,
  };
}

function sectionTitle(site: GraphSite): string {
  if (site.kind === 'main') return `main graph '${site.graph.name}'`;
  if (site.kind === 'function') return site.path;
  return `subgraph ${site.path} (${site.owner!.op} '${site.owner!.name}', attribute ${site.attr})`;
}

const STYLE = `
body{font:14px system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:10px 16px;background:#24344d;color:#fff}header h1{font-size:18px;margin:0}header p{margin:4px 0 0;opacity:.85}
main{margin-right:340px;padding:8px 16px}
section,details{background:#fff;border:1px solid #ddd;border-radius:6px;margin:10px 0;padding:6px 10px}
summary,h2{font-weight:600;font-size:15px;cursor:pointer;margin:4px 0}
.canvas{overflow:auto;max-height:80vh;border-top:1px solid #eee}
.tools button{margin-right:4px}
aside{position:fixed;right:0;top:0;bottom:0;width:320px;overflow:auto;background:#fff;border-left:1px solid #ccc;padding:12px;box-sizing:border-box}
aside table{border-collapse:collapse;width:100%;font-size:12px}aside td{border-top:1px solid #eee;padding:3px;vertical-align:top;word-break:break-all}
aside h3{font-size:15px;margin:0 0 6px;word-break:break-all}aside h4{margin:10px 0 2px;font-size:13px}
.edge{fill:none;stroke:#8a94a6;stroke-width:1.2}.arrow{fill:#8a94a6}
.box{stroke:#555;stroke-width:1;fill:#e8eef8}.box.heavy{fill:#f7d9c4}.box.math{fill:#e3f1e1}.box.data{fill:#eeeeee}
.box.control{fill:#efe0f7}.box.custom{fill:#fff2b8}.box.input,.box.outer{fill:#d4e8ff}.box.output{fill:#ffd6d6}
g[data-k]{cursor:pointer}g.selected rect{stroke:#d00;stroke-width:2.5}
text{text-anchor:middle;font-family:ui-monospace,monospace}.label{font-size:12px;font-weight:600}.sub{font-size:10px;fill:#555}
`;

/** Click → details; zoom buttons; links to subgraph sections. No network access, no libraries. */
const SCRIPT = `
(function(){
  var info = JSON.parse(document.getElementById('graph-data').textContent);
  var panel = document.getElementById('info');
  function el(tag, text){ var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function rows(title, list){
    if (!list.length) return;
    panel.appendChild(el('h4', title));
    var t = el('table');
    list.forEach(function(r){ var tr = el('tr'); tr.appendChild(el('td', r[0])); tr.appendChild(el('td', r[1])); t.appendChild(tr); });
    panel.appendChild(t);
  }
  var selected = null;
  function show(g){
    var d = info[g.getAttribute('data-k')];
    if (!d) return;
    if (selected) selected.classList.remove('selected');
    selected = g; g.classList.add('selected');
    panel.textContent = '';
    panel.appendChild(el('h3', d.title));
    rows('inputs', d.inputs); rows('outputs', d.outputs); rows('attributes', d.attrs);
    if (d.subgraphs.length){
      panel.appendChild(el('h4', 'subgraphs'));
      d.subgraphs.forEach(function(s){
        var b = el('button', s[0]);
        b.onclick = function(){ var sec = document.getElementById(s[1]); if (sec){ sec.open = true; sec.scrollIntoView(); } };
        panel.appendChild(b);
      });
    }
    if (d.doc) panel.appendChild(el('p', d.doc));
  }
  document.querySelectorAll('g[data-k]').forEach(function(g){
    g.addEventListener('click', function(){ show(g); });
    g.addEventListener('keydown', function(e){ if (e.key === 'Enter') show(g); });
  });
  document.querySelectorAll('.tools').forEach(function(tools){
    var svg = tools.parentNode.querySelector('svg'); var scale = 1;
    function apply(){ svg.setAttribute('width', svg.getAttribute('data-w') * scale); svg.setAttribute('height', svg.getAttribute('data-h') * scale); }
    tools.querySelectorAll('button').forEach(function(b){
      b.onclick = function(){ var z = b.getAttribute('data-zoom'); scale = z === '1' ? 1 : scale * Number(z); apply(); };
    });
  });
})();
`;

/** JSON that is safe inside a <script> element (no '</script>' can appear in it). */
function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * One self-contained HTML page drawing the model: the main graph, and every subgraph and function
 * body in a section that expands on click; clicking a box shows its attributes and value shapes.
 * Inline SVG, CSS and script only: it opens from disk with no network access.
 */
export function graphHtml(model: Model, title = 'ONNX model'): string {
  const sites = allGraphs(model);
  const sectionOf = new Map<Graph, string>(sites.map((s, i) => [s.graph, `g${i}`]));
  const info: Record<string, BoxInfo> = {};
  const sections = sites.map((site, gi) => {
    const layout = layoutGraph(site.graph);
    for (const b of layout.boxes) info[`${gi}:${b.id}`] = boxInfo(b, sectionOf);
    const tools = '<div class="tools"><button data-zoom="1.25">zoom in</button><button data-zoom="0.8">zoom out</button><button data-zoom="1">reset</button></div>';
    const body = `${tools}<div class="canvas">\n${renderSvg(layout, gi)}\n</div>`;
    const head = `${escapeHtml(sectionTitle(site))} — ${site.graph.nodes.length} nodes`;
    return site.kind === 'main'
      ? `<section id="g${gi}"><h2>${head}</h2>${body}</section>`
      : `<details id="g${gi}"><summary>${head}</summary>${body}</details>`;
  });
  const opsets = [...model.opsetImports].map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ');
  const summary = `ir_version ${model.irVersion}; opsets ${opsets}; producer ${model.producerName || '?'} ${model.producerVersion}; ` +
    `${model.graph.nodes.length} nodes, ${model.functions.length} functions, ${sites.length - 1 - model.functions.length} subgraphs`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<header><h1>${escapeHtml(title)}</h1><p>${escapeHtml(summary)}</p></header>`,
    '<main>',
    ...sections,
    '</main>',
    '<aside id="info">Click a box to see its attributes and the shapes of its inputs and outputs.</aside>',
    `<script type="application/json" id="graph-data">${scriptJson(info)}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body></html>',
  ].join('\n');
}
