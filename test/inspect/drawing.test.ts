import { describe, expect, it } from 'vitest';
import { compileModel, modelFromBytes, modelToBytes } from 'ssmc';
import type { Model } from 'ssmc/ir';
import { allGraphs, graphDot, graphHtml, inspectModel } from 'ssmc/inspect';
import { drawSvg } from '../../src/inspect/draw.js';
import { drawingOf, type Drawing, type DrawGroup } from '../../src/inspect/layout.js';
import { functionModel, kitchenSinkModel, mlpModel } from '../export/fixtures.js';
import { attentionModel, convModel, loopModel, scanModel } from './models.js';

const viaBytes = (m: Model) => modelFromBytes(modelToBytes(m));

function count(text: string, re: RegExp): number {
  return text.match(re)?.length ?? 0;
}

describe('graphDot', () => {
  it('draws every node once, every value edge, and a cluster per subgraph and function', () => {
    for (const make of [convModel, loopModel, scanModel, kitchenSinkModel, () => functionModel(2)]) {
      const m = viaBytes(make());
      const dot = graphDot(m);
      const sites = allGraphs(m);
      const nodes = sites.reduce((s, g) => s + g.graph.nodes.length, 0);
      expect(count(dot, /^\s*n\d+ \[label=/gm)).toBe(nodes);
      expect(count(dot, /subgraph cluster_\d+/g)).toBe(sites.length - 1);
      expect(dot.startsWith('digraph model {')).toBe(true);
      expect(dot.trimEnd().endsWith('}')).toBe(true);
      expect(graphDot(m)).toBe(dot); // deterministic
    }
  });

  it('escapes quotes and backslashes in names', () => {
    const m = mlpModel();
    m.graph.nodes[0]!.name = 'say "hi" \\ there';
    const dot = graphDot(m);
    expect(dot).toContain('label="MatMul\\nsay \\"hi\\" \\\\ there"');
  });
});

/** Where drawSvg put each unit (box or group), from its markup: data-k → rect. */
function placed(svg: string): Map<number, { x: number; y: number; w: number; h: number }> {
  const out = new Map<number, { x: number; y: number; w: number; h: number }>();
  const rect = (m: RegExpMatchArray) => ({ x: Number(m[2]), y: Number(m[3]), w: Number(m[4]), h: Number(m[5]) });
  for (const m of svg.matchAll(/data-k="\d+:(\d+)"[^>]*>(?:<title>[^<]*<\/title>)?<rect class="[^"]*" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)) out.set(Number(m[1]), rect(m));
  // An unfolded group's frame (its title bar, which holds data-k, is drawn above the edges).
  for (const m of svg.matchAll(/data-group="(\d+)"><rect class="gframe" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)) out.set(Number(m[1]), rect(m));
  return out;
}

/** Distinct (from, to) box pairs: the edges a drawing with nothing folded shows. */
const edgePairs = (d: Drawing) => new Set(d.edges.map((e) => `${e.from}>${e.to}`)).size;

describe('graphHtml', () => {
  it('is one self-contained page: inline SVG, CSS and script, nothing fetched', () => {
    const html = graphHtml(viaBytes(convModel()), 'cnn.onnx');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(/i);
    // The only URL is the SVG namespace name (in the markup and the drawing code), which browsers never fetch.
    expect(new Set(html.match(/https?:\/\/[^\s"')`]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).toContain('<title>cnn.onnx</title>');
  });

  it('draws one box per node, input and output, one edge per pair of boxes, and details for every box', () => {
    for (const make of [convModel, attentionModel, loopModel, scanModel, kitchenSinkModel]) {
      const m = viaBytes(make());
      const html = graphHtml(m);
      const drawings = allGraphs(m).map((s) => drawingOf(s.graph));
      const nodes = allGraphs(m).reduce((s, g) => s + g.graph.nodes.length, 0);
      const markup = html.slice(0, html.indexOf('<script')); // the page's script holds the drawing code too
      expect(count(markup, /<g class="op"/g)).toBe(nodes);
      expect(count(markup, /<g class="input"/g)).toBe(allGraphs(m).reduce((s, g) => s + g.graph.inputs.length, 0));
      expect(count(markup, /<g class="output"/g)).toBe(allGraphs(m).reduce((s, g) => s + g.graph.outputs.length, 0));
      expect(count(markup, /<g class="edge">/g)).toBe(drawings.reduce((s, d) => s + edgePairs(d), 0));
      const data = JSON.parse(/<script type="application\/json" id="graph-data">(.*?)<\/script>/s.exec(html)![1]!) as Record<string, { title: string; attrs: [string, string][]; outputs: [string, string][] }>;
      const drawn = JSON.parse(/id="drawing-data">(.*?)<\/script>/s.exec(html)![1]!) as Record<string, { drawing: Drawing }>;
      expect(Object.values(drawn).map((x) => x.drawing.units.filter((u) => u.kind !== 'group').length)).toEqual(drawings.map((d) => d.units.length - 1));
      expect(Object.keys(data)).toHaveLength(Object.values(drawn).reduce((s, x) => s + x.drawing.units.length - 1, 0)); // every box and group, not the roots
      for (const key of markup.matchAll(/data-k="([^"]+)"/g)) expect(data[key[1]!]).toBeDefined();
    }
  });

  it('puts subgraphs and function bodies in expandable sections linked from their node', () => {
    const m = viaBytes(loopModel());
    const html = graphHtml(m);
    expect(count(html, /<details id="g\d+">/g)).toBe(1);
    const data = JSON.parse(/id="graph-data">(.*?)<\/script>/s.exec(html)![1]!) as Record<string, { title: string; subgraphs: [string, string][]; attrs: [string, string][]; inputs: [string, string][] }>;
    const loop = Object.values(data).find((d) => d.title.startsWith('Loop'))!;
    expect(loop.subgraphs).toEqual([['body', 'g1']]);
    expect(html).toContain('<details id="g1"><summary>subgraph main/y.body');
    expect(loop.inputs).toEqual([['trips', 'i64[]'], ['keep_going', 'bool[]'], ['zeros', 'f32[4]']]);
    expect(loop.attrs.map(([k]) => k)).toEqual(['body', 'trips (constant)', 'keep_going (constant)', 'zeros (constant)']);
    const fn = graphHtml(viaBytes(functionModel(2)));
    expect(fn).toContain('<details id="g1"><summary>function ai.ssmc.ScaledSoftplus');
    const body = JSON.parse(/id="graph-data">(.*?)<\/script>/s.exec(fn)![1]!) as Record<string, { title: string; attrs: [string, string][] }>;
    expect(Object.values(body).find((d) => d.title.startsWith('Constant'))!.attrs).toEqual([['value_float', '@alpha']]);
  });

  it('escapes names so a model cannot inject markup or script', () => {
    const m = mlpModel();
    m.graph.nodes[0]!.name = '</script><script>alert(1)</script>';
    m.graph.inputs[0]!.name = '<img src=x onerror=alert(2)>';
    const html = graphHtml(m, '<b>title</b>', { report: '<i>report</i>' });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>title');
    expect(html).not.toContain('<i>report');
    expect(count(html, /<\/script>/g)).toBe(3); // the two data blocks and the page script
    expect(html).toContain('&lt;/script&gt;');
  });

  it('lays out boxes without overlap, each below its inputs', () => {
    const d = drawingOf(viaBytes(attentionModel()).graph);
    const at = placed(drawSvg(d, {}, 0));
    expect(at.size).toBe(d.units.length - 1);
    for (const e of d.edges) expect(at.get(e.to)!.y).toBeGreaterThan(at.get(e.from)!.y);
    const byRow = new Map<number, { x: number; w: number }[]>();
    for (const b of at.values()) byRow.set(b.y, [...(byRow.get(b.y) ?? []), b]);
    for (const row of byRow.values()) {
      const sorted = [...row].sort((a, b) => a.x - b.x);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.x).toBeGreaterThanOrEqual(sorted[i - 1]!.x + sorted[i - 1]!.w);
    }
    const width = Number(/<svg [^>]*width="(\d+)"/.exec(drawSvg(d, {}, 0))![1]);
    for (const b of at.values()) expect(b.x + b.w).toBeLessThanOrEqual(width);
  });
});

describe('graphs grouped by the model\'s layers', () => {
  const lm = { arch: 'gss-lm', args: { num_tokens: 16, depth: 3, dim: 8, dss_kernel_N: 4, dss_kernel_H: 4 } };
  const model = viaBytes(compileModel(lm, null, { seqLen: 64, opset: 17 }).model);
  const html = graphHtml(model, 'lm.onnx', { dims: { batch: 1 } });
  const { drawing, folded } = (JSON.parse(/id="drawing-data">(.*?)<\/script>/s.exec(html)![1]!) as Record<string, { drawing: Drawing; folded: Record<string, boolean> }>)['0']!;
  const groups = drawing.units.filter((u): u is DrawGroup => u.kind === 'group' && u.id !== drawing.root);

  it('makes a group per layer and sub-module from the node scopes, every node inside one', () => {
    const top = groups.filter((g) => g.depth === 1).map((g) => g.path);
    expect(top).toEqual(['token_emb', 'layers.0', 'layers.1', 'layers.2', 'to_logits']);
    for (const i of [0, 1, 2]) for (const part of ['norm', 'to_u', 'to_v', 'dss', 'dss/conv', 'to_gate', 'to_out']) expect(groups.map((g) => g.path)).toContain(`layers.${i}/${part}`);
    const ops = drawing.units.filter((u) => u.kind === 'op');
    expect(ops).toHaveLength(model.graph.nodes.length);
    for (const o of ops) expect(o.parent).not.toBe(drawing.root);
  });

  it('gives each group its nodes, FLOPs and parameters, adding up to the model\'s', () => {
    const report = inspectModel(model, { dims: { batch: 1 } });
    const stats = (path: string) => groups.find((g) => g.path === path)!.stats;
    const nodesOf = (path: string) => Number(/^(\d+) node/.exec(stats(path))![1]);
    expect(groups.filter((g) => g.depth === 1).reduce((s, g) => s + nodesOf(g.path), 0)).toBe(model.graph.nodes.length);
    for (const row of report.cost.byLayer) {
      expect(nodesOf(row.layer)).toBe(row.nodes);
      expect(stats(row.layer)).toMatch(/ FLOPs · /);
    }
    expect(stats('layers.1')).toMatch(/^\d+ nodes · [\d.]+ [kMG]? ?FLOPs · [\d.]+ k? ?params$/);
    // The per-layer table reads the same scopes: one row per top-level group, every node in one.
    expect(report.cost.byLayer.map((l) => l.layer)).toEqual(['token_emb', 'layers.0', 'layers.1', 'layers.2', 'to_logits']);
    // Per layer, parameters are the floating-point initializer elements its nodes read first (folded
    // kernels included), so they add up to the initializers' total, not to the checkpoint's count.
    expect(report.cost.byLayer.reduce((s, l) => s + l.parameters, 0)).toBe(report.initializerElements);
  });

  it('folds sub-modules when there are many nodes, and draws a folded group as one box with its stats', () => {
    expect(model.graph.nodes.length).toBeGreaterThan(120);
    expect(groups.filter((g) => folded[g.id]).every((g) => g.depth >= 2)).toBe(true);
    expect(groups.filter((g) => g.depth >= 2).every((g) => folded[g.id])).toBe(true);
    const allFolded = Object.fromEntries(groups.map((g) => [g.id, true]));
    const svg = drawSvg(drawing, allFolded, 0);
    expect(count(svg, /<g class="op"/g)).toBe(0);
    expect(count(svg, /<g class="group folded depth-1"/g)).toBe(5);
    // One edge between consecutive layers: the input through every layer to the output.
    expect(count(svg, /<g class="edge">/g)).toBe(6);
    const open = drawSvg(drawing, {}, 0);
    expect(count(open, /<g class="op"/g)).toBe(model.graph.nodes.length);
    expect(count(open, /<g class="group open/g)).toBe(groups.length);
    expect(drawSvg(drawing, allFolded, 0)).toBe(svg); // deterministic
  });

  it('keeps groups inside their parent and children below their inputs', () => {
    const at = placed(drawSvg(drawing, {}, 0));
    for (const u of drawing.units) {
      if (u.id === drawing.root || u.parent === drawing.root) continue;
      const p = at.get(u.parent)!, c = at.get(u.id)!;
      expect(c.x).toBeGreaterThanOrEqual(p.x);
      expect(c.y).toBeGreaterThan(p.y);
      expect(c.x + c.w).toBeLessThanOrEqual(p.x + p.w + 0.01);
      expect(c.y + c.h).toBeLessThanOrEqual(p.y + p.h + 0.01);
    }
    for (const e of drawing.edges) expect(at.get(e.to)!.y).toBeGreaterThan(at.get(e.from)!.y);
  });

  it('groups another tool\'s files by their path-like node names', () => {
    const m = viaBytes(attentionModel());
    m.graph.nodes.forEach((n, i) => (n.name = `/encoder/layers.${i % 2}/${n.op}_${i}`));
    const d = drawingOf(m.graph, { pathOf: (n) => n.name.split('/').slice(1, -1), stats: (_p, nodes) => `${nodes.length}` });
    expect(d.units.filter((u) => u.kind === 'group' && u.id !== d.root).map((u) => (u as DrawGroup).path)).toEqual(['encoder', 'encoder/layers.0', 'encoder/layers.1']);
    const page = graphHtml(m);
    expect(page).toContain('Nodes grouped by layer (from node and parameter names)');
  });
});
