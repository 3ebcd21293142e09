import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { printAttr, printTensorValue } from '../../ir/printer.js';
import { typeToString } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { estimateNodeFlops, isParameterDtype } from './cost.js';
import { drawSvg } from './draw.js';
import { human } from './format.js';
import { groupPaths, hasScopes } from './layers.js';
import { drawingOf, type DrawBox, type Drawing, type DrawGroup, type Grouping } from './layout.js';
import { elementCount, symbolicDims } from './shapes.js';
import { allGraphs, qualifiedName, subgraphsOf, type GraphSite } from './walk.js';

/** Text safe inside HTML and SVG markup, attributes included. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** What the page shows for a clicked box or group. */
interface BoxInfo {
  title: string;
  kind: DrawBox['kind'] | 'group';
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

function boxInfo(b: DrawBox, node: Node | null, value: Value | null, sectionOf: Map<Graph, string>): BoxInfo {
  const t = (v: { name: string; type: Parameters<typeof typeToString>[0] } | null): [string, string] => (v ? [v.name, typeToString(v.type)] : ['(omitted)', '']);
  if (!node) {
    const what = b.kind === 'input' ? 'graph input' : b.kind === 'output' ? 'graph output' : 'value of an enclosing graph';
    return { title: `${what} ${value!.name}`, kind: b.kind, inputs: [], outputs: [t(value)], attrs: [], subgraphs: [], doc: '' };
  }
  const n = node;
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

/** A group's totals: its nodes, their FLOPs (for the page's dims) and the parameters they read first. */
interface GroupTotals {
  nodes: number;
  flops: number;
  unknown: number;
  params: number;
  ops: Map<string, number>;
}

/**
 * The main graph's grouping with each group's totals. A parameter counts for the group of the
 * first node that reads it (one shared by several layers, or merged by CSE, counts once).
 */
function mainGrouping(model: Model, dims: Record<string, number>): { grouping: Grouping; totals: Map<string, GroupTotals> } {
  const paths = groupPaths(model, model.graph);
  const flops = estimateNodeFlops(model, dims);
  const firstReader = new Map<Value, Node>();
  const reads = (n: Node, into: Value[] = []): Value[] => {
    for (const v of n.inputs) if (v?.constant) into.push(v);
    for (const [, g] of subgraphsOf(n)) for (const m of g.nodes) reads(m, into);
    return into;
  };
  for (const n of model.graph.nodes) for (const v of reads(n)) if (!firstReader.has(v)) firstReader.set(v, n);
  const ownParams = new Map<Node, number>();
  for (const [v, n] of firstReader) {
    if (isParameterDtype(v.constant!.dtype)) ownParams.set(n, (ownParams.get(n) ?? 0) + (elementCount(v.constant!.dims) ?? 0));
  }
  const totals = new Map<string, GroupTotals>();
  const totalsOf = (path: string, nodes: readonly Node[]): GroupTotals => {
    let t = totals.get(path);
    if (!t) {
      t = { nodes: nodes.length, flops: 0, unknown: 0, params: 0, ops: new Map() };
      for (const n of nodes) {
        const c = flops.get(n);
        t.flops += c?.flops ?? 0;
        t.unknown += c && c.unknown > 0 ? 1 : 0;
        t.params += ownParams.get(n) ?? 0;
        t.ops.set(qualifiedName(n.domain, n.op), (t.ops.get(qualifiedName(n.domain, n.op)) ?? 0) + 1);
      }
      totals.set(path, t);
    }
    return t;
  };
  return {
    totals,
    grouping: {
      pathOf: (n) => paths.get(n) ?? [],
      stats: (path, nodes) => {
        const t = totalsOf(path, nodes);
        return `${t.nodes} node${t.nodes === 1 ? '' : 's'} · ${human(t.flops)}${t.unknown ? '+?' : ''} FLOPs · ${human(t.params)} params`;
      },
    },
  };
}

function groupInfo(g: DrawGroup, t: GroupTotals | undefined): BoxInfo {
  const ops = t ? [...t.ops].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([op, n]) => `${op}×${n}`).join(' ') : '';
  return {
    title: `group ${g.path}`,
    kind: 'group',
    inputs: [],
    outputs: [],
    attrs: t ? [['nodes', String(t.nodes)], ['FLOPs', `${human(t.flops)}${t.unknown ? ` (+ ${t.unknown} nodes unknown)` : ''}`], ['parameters', human(t.params)], ['ops', ops]] : [],
    subgraphs: [],
    doc: 'Click the group\'s title to fold or unfold it.',
  };
}

/**
 * Which groups start folded: with few nodes none; otherwise every sub-module (so each layer shows
 * its parts), and the layers themselves when there are many.
 */
function initialFolds(d: Drawing, nodes: number): Record<string, boolean> {
  const groups = d.units.filter((u): u is DrawGroup => u.kind === 'group' && u.id !== d.root);
  const top = groups.filter((g) => g.depth === 1).length;
  const folded: Record<string, boolean> = {};
  for (const g of groups) if (nodes > 120 && (g.depth >= 2 || top > 16 || nodes > 1500)) folded[g.id] = true;
  return folded;
}

/**
 * The dims the drawing's FLOPs are for: the given ones, and for symbols without a value 1 where the
 * name says batch, else 1024 (said on the page).
 */
function drawingDims(model: Model, given: Record<string, number>): { dims: Record<string, number>; assumed: string[] } {
  const dims = { ...given };
  const assumed: string[] = [];
  for (const s of symbolicDims(model)) {
    if (Object.hasOwn(dims, s)) continue;
    dims[s] = /batch|^b$|^n$/i.test(s) ? 1 : 1024;
    assumed.push(`${s}=${dims[s]}`);
  }
  return { dims, assumed };
}

function sectionTitle(site: GraphSite): string {
  if (site.kind === 'main') return `main graph '${site.graph.name}'`;
  if (site.kind === 'function') return site.path;
  return `subgraph ${site.path} (${site.owner!.op} '${site.owner!.name}', attribute ${site.attr})`;
}

const STYLE = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{padding:12px 18px;background:#1d2b44;color:#fff}header h1{font-size:18px;margin:0}header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{margin-right:340px;padding:8px 16px}
section,details{background:#fff;border:1px solid #e0e3ea;border-radius:8px;margin:10px 0;padding:6px 12px}
summary,h2{font-weight:600;font-size:15px;cursor:pointer;margin:4px 0}
.canvas{overflow:auto;max-height:82vh;border-top:1px solid #eef0f4}
.tools{display:flex;flex-wrap:wrap;gap:4px;margin:4px 0 6px}
.tools button{font:12px system-ui,sans-serif;border:1px solid #ccd2dd;background:#f6f7f9;border-radius:5px;padding:2px 8px;cursor:pointer}
.tools button:hover{background:#e9edf5}
.legend-note{color:#6b7385;font-size:12px;margin:0 0 4px}
pre.report{white-space:pre;overflow:auto;font:12px ui-monospace,monospace;max-height:70vh;margin:6px 0}
aside{position:fixed;right:0;top:0;bottom:0;width:320px;overflow:auto;background:#fff;border-left:1px solid #d5dae3;padding:12px}
aside table{border-collapse:collapse;width:100%;font-size:12px}aside td{border-top:1px solid #eee;padding:3px;vertical-align:top;overflow-wrap:anywhere}aside td:first-child{white-space:nowrap;color:#4b5568;padding-right:8px}
aside h3{font-size:15px;margin:0 0 6px;word-break:break-all}aside h4{margin:10px 0 2px;font-size:13px}
@media (max-width:800px){main{margin-right:0}aside{position:static;width:auto;border-left:none;border-top:1px solid #d5dae3}}
.edge .line{fill:none;stroke:#8a94a6;stroke-width:1.2}.edge .hit{fill:none;stroke:transparent;stroke-width:10}.arrow{fill:#8a94a6}
.edge .elabel{display:none;text-anchor:start;font-size:11px;fill:#1d2330;paint-order:stroke;stroke:#fff;stroke-width:3px}
.edge:hover .line{stroke:#d1495b;stroke-width:2}.edge:hover .arrow{fill:#d1495b}.edge:hover .elabel{display:block}
.box{stroke:#555;stroke-width:1;fill:#e8eef8}.box.heavy{fill:#f7d9c4}.box.math{fill:#e3f1e1}.box.data{fill:#eeeeee}
.box.control{fill:#efe0f7}.box.custom{fill:#fff2b8}.box.input,.box.outer{fill:#d4e8ff}.box.output{fill:#ffd6d6}
.gframe{fill:rgba(36,64,110,.035);stroke:#9fb0cc;stroke-width:1;stroke-dasharray:4 3}
.group.depth-1>.gframe{fill:rgba(36,64,110,.05);stroke:#6d83a8;stroke-dasharray:none}
.edge .line{pointer-events:none}
.ghit{fill:transparent}.ghead{cursor:pointer}.ghead:hover .ghit{fill:rgba(36,64,110,.08)}
.gbox{fill:#eef2fa;stroke:#6d83a8;stroke-width:1.2}.group.folded:hover .gbox{fill:#e2e9f7}
.gtitle{font:600 12px system-ui,sans-serif;fill:#1d2b44}.gstats{font:11px system-ui,sans-serif;fill:#5b6578}
text.left{text-anchor:start}
g[data-k],g[data-toggle]{cursor:pointer}g.selected>rect{stroke:#d00;stroke-width:2.5}
text{text-anchor:middle;font-family:ui-monospace,monospace}.label{font-size:12px;font-weight:600}.sub{font-size:10px;fill:#555}
`;

/**
 * Folding groups (drawn again by drawSvg, embedded below), click → details, zoom, fold all /
 * unfold all, links to subgraph sections. No network access, no libraries.
 */
const SCRIPT = `
(function(){
  var info = JSON.parse(document.getElementById('graph-data').textContent);
  var drawings = JSON.parse(document.getElementById('drawing-data').textContent);
  var panel = document.getElementById('info');
  var scale = {}, selected = null;
  function el(tag, text){ var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function rows(title, list){
    if (!list.length) return;
    panel.appendChild(el('h4', title));
    var t = el('table');
    list.forEach(function(r){ var tr = el('tr'); tr.appendChild(el('td', r[0])); tr.appendChild(el('td', r[1])); t.appendChild(tr); });
    panel.appendChild(t);
  }
  function mark(){
    document.querySelectorAll('.selected').forEach(function(g){ g.classList.remove('selected'); });
    if (selected) { var g = document.querySelector('[data-k="' + selected + '"]'); if (g) g.classList.add('selected'); }
  }
  function show(key){
    var d = info[key];
    if (!d) return;
    selected = key; mark();
    panel.textContent = '';
    panel.appendChild(el('h3', d.title));
    rows('inputs', d.inputs); rows('outputs', d.outputs); rows(d.kind === 'group' ? 'totals' : 'attributes', d.attrs);
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
  function render(gi){
    var canvas = document.querySelector('.canvas[data-gi="' + gi + '"]');
    canvas.innerHTML = drawSvg(drawings[gi].drawing, drawings[gi].folded, gi);
    zoom(gi);
    mark();
  }
  function zoom(gi){
    var svg = document.querySelector('.canvas[data-gi="' + gi + '"] svg'), k = scale[gi] || 1;
    svg.setAttribute('width', svg.getAttribute('data-w') * k); svg.setAttribute('height', svg.getAttribute('data-h') * k);
  }
  function activate(target){
    var canvas = target.closest('.canvas');
    if (!canvas) return false;
    var gi = canvas.getAttribute('data-gi');
    var toggle = target.closest('[data-toggle]');
    var key = target.closest('[data-k]');
    if (toggle) {
      var id = toggle.getAttribute('data-toggle'), folded = drawings[gi].folded;
      if (folded[id]) delete folded[id]; else folded[id] = true;
      render(gi);
      show(gi + ':' + id);
      var again = document.querySelector('[data-toggle="' + id + '"]');
      if (again && again.closest('.canvas') === canvas && again.focus) again.focus();
      return true;
    }
    if (key) { show(key.getAttribute('data-k')); return true; }
    return false;
  }
  document.addEventListener('click', function(e){ activate(e.target); });
  document.addEventListener('keydown', function(e){ if (e.key === 'Enter' && activate(e.target)) e.preventDefault(); });
  document.querySelectorAll('.tools').forEach(function(tools){
    var gi = tools.getAttribute('data-gi');
    tools.querySelectorAll('button').forEach(function(b){
      b.onclick = function(){
        var z = b.getAttribute('data-zoom'), f = b.getAttribute('data-fold');
        if (z) { scale[gi] = z === '1' ? 1 : (scale[gi] || 1) * Number(z); zoom(gi); }
        if (f) {
          var folded = drawings[gi].folded = {};
          if (f === 'all') drawings[gi].drawing.units.forEach(function(u){ if (u.kind === 'group' && u.id !== drawings[gi].drawing.root) folded[u.id] = true; });
          render(gi);
        }
      };
    });
  });
})();
`;

/** JSON that is safe inside a <script> element (no '</script>' can appear in it). */
function scriptJson(x: unknown): string {
  return JSON.stringify(x).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export interface GraphPageOptions {
  /** Values for symbolic dims, for the groups' FLOPs (others: 1 for batch-like names, else 1024). */
  dims?: Record<string, number>;
  /** A text report shown below the drawing (ssmc inspect's). */
  report?: string;
}

/**
 * One self-contained HTML page drawing the model: the main graph with its nodes grouped by the
 * model's layers and sub-modules (each group folds and unfolds, with its nodes, FLOPs and
 * parameters), then the text report when given, and every subgraph and function body in a section
 * that expands on click; clicking a box shows its attributes and value shapes, hovering an edge
 * its value and type. Inline SVG, CSS and script only: it opens from disk with no network access.
 */
export function graphHtml(model: Model, title = 'ONNX model', opts: GraphPageOptions = {}): string {
  const sites = allGraphs(model);
  const sectionOf = new Map<Graph, string>(sites.map((s, i) => [s.graph, `g${i}`]));
  const { dims, assumed } = drawingDims(model, opts.dims ?? {});
  const { grouping, totals } = mainGrouping(model, dims);
  const info: Record<string, BoxInfo> = {};
  const drawings: Record<string, { drawing: Drawing; folded: Record<string, boolean> }> = {};
  const sections = sites.map((site, gi) => {
    const graph = site.graph;
    const drawing = drawingOf(graph, site.kind === 'main' ? grouping : null);
    // Boxes were made in the order of the graph's inputs, nodes (each after the outer values it reads) and outputs.
    const nodeIter = graph.nodes[Symbol.iterator]();
    let inputs = 0, outputs = 0;
    for (const u of drawing.units) {
      if (u.kind === 'group') {
        if (u.id !== drawing.root) info[`${gi}:${u.id}`] = groupInfo(u, totals.get(u.path));
      } else if (u.kind === 'op') info[`${gi}:${u.id}`] = boxInfo(u, nodeIter.next().value as Node, null, sectionOf);
      else {
        const v = u.kind === 'input' ? graph.inputs[inputs++]! : u.kind === 'output' ? graph.outputs[outputs++]! : outerValue(graph, u.label);
        info[`${gi}:${u.id}`] = boxInfo(u, null, v, sectionOf);
      }
    }
    const folded = site.kind === 'main' ? initialFolds(drawing, graph.nodes.length) : {};
    drawings[gi] = { drawing, folded };
    const hasGroups = drawing.units.some((u) => u.kind === 'group' && u.id !== drawing.root);
    const tools = `<div class="tools" data-gi="${gi}"><button data-zoom="1.25">zoom in</button><button data-zoom="0.8">zoom out</button><button data-zoom="1">reset</button>` +
      (hasGroups ? '<button data-fold="none">unfold all</button><button data-fold="all">fold all</button>' : '') + '</div>';
    const note = hasGroups
      ? `<p class="legend-note">Nodes grouped by ${hasScopes(model) ? "the model's layers and sub-modules" : 'layer (from node and parameter names)'}; click a group's title to fold or unfold it. FLOPs for ${escapeHtml(Object.entries(dims).map(([k, v]) => `${k}=${v}`).join(' ') || 'the fixed shapes')}${assumed.length ? ` (assumed: ${escapeHtml(assumed.join(' '))}; inspect --dim sets them)` : ''}.</p>`
      : '';
    const body = `${tools}${note}<div class="canvas" data-gi="${gi}">\n${drawSvg(drawing, folded, gi)}\n</div>`;
    const head = `${escapeHtml(sectionTitle(site))} — ${graph.nodes.length} nodes`;
    return site.kind === 'main'
      ? `<section id="g${gi}"><h2>${head}</h2>${body}</section>`
      : `<details id="g${gi}"><summary>${head}</summary>${body}</details>`;
  });
  const opsets = [...model.opsetImports].map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ');
  const summary = `ir_version ${model.irVersion}; opsets ${opsets}; producer ${model.producerName || '?'} ${model.producerVersion}; ` +
    `${model.graph.nodes.length} nodes, ${model.functions.length} functions, ${sites.length - 1 - model.functions.length} subgraphs`;
  const report = opts.report === undefined ? '' : `<section id="report"><h2>Report</h2><pre class="report">${escapeHtml(opts.report)}</pre></section>`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<header><h1>${escapeHtml(title)}</h1><p>${escapeHtml(summary)}</p></header>`,
    '<main>',
    sections[0]!,
    report,
    ...sections.slice(1),
    '</main>',
    '<aside id="info">Click a box to see its attributes and the shapes of its inputs and outputs, a group for its totals; hover an edge for its value and type.</aside>',
    `<script type="application/json" id="graph-data">${scriptJson(info)}</script>`,
    `<script type="application/json" id="drawing-data">${scriptJson(drawings)}</script>`,
    `<script>var drawSvg = (${drawSvg.toString()});\n${SCRIPT}</script>`,
    '</body></html>',
  ].join('\n');
}

/** The value of an enclosing graph that a subgraph reads by this name. */
function outerValue(graph: Graph, name: string): Value {
  for (const n of graph.nodes) for (const v of n.inputs) if (v && v.name === name && !v.constant) return v;
  throw new Error(`internal: no outer value '${name}' in graph '${graph.name}'`);
}
