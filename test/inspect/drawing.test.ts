import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from 'ssmc';
import type { Model } from 'ssmc/ir';
import { allGraphs, graphDot, graphHtml } from 'ssmc/inspect';
import { layoutGraph } from '../../src/inspect/layout.js';
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

describe('graphHtml', () => {
  it('is one self-contained page: inline SVG, CSS and script, nothing fetched', () => {
    const html = graphHtml(viaBytes(convModel()), 'cnn.onnx');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(/i);
    // The only URL is the SVG namespace name, which browsers never fetch.
    expect(html.match(/https?:\/\/[^\s"')]+/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).toContain('<title>cnn.onnx</title>');
  });

  it('draws one box per node, input and output, one path per edge, and details for every box', () => {
    for (const make of [convModel, attentionModel, loopModel, scanModel, kitchenSinkModel]) {
      const m = viaBytes(make());
      const html = graphHtml(m);
      const layouts = allGraphs(m).map((s) => layoutGraph(s.graph));
      const nodes = allGraphs(m).reduce((s, g) => s + g.graph.nodes.length, 0);
      expect(count(html, /<g class="op"/g)).toBe(nodes);
      expect(count(html, /<g class="input"/g)).toBe(allGraphs(m).reduce((s, g) => s + g.graph.inputs.length, 0));
      expect(count(html, /<g class="output"/g)).toBe(allGraphs(m).reduce((s, g) => s + g.graph.outputs.length, 0));
      expect(count(html, /<path /g)).toBe(layouts.reduce((s, l) => s + l.edges.length, 0));
      const data = JSON.parse(/<script type="application\/json" id="graph-data">(.*?)<\/script>/s.exec(html)![1]!) as Record<string, { title: string; attrs: [string, string][]; outputs: [string, string][] }>;
      expect(Object.keys(data)).toHaveLength(layouts.reduce((s, l) => s + l.boxes.length, 0));
      for (const key of html.matchAll(/data-k="([^"]+)"/g)) expect(data[key[1]!]).toBeDefined();
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
    const html = graphHtml(m, '<b>title</b>');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>title');
    expect(count(html, /<\/script>/g)).toBe(2); // the data block and the page script
    expect(html).toContain('&lt;/script&gt;');
  });

  it('lays out boxes without overlap, each below its inputs', () => {
    const layout = layoutGraph(viaBytes(attentionModel()).graph);
    for (const e of layout.edges) expect(layout.boxes[e.to]!.y).toBeGreaterThan(layout.boxes[e.from]!.y);
    const byRow = new Map<number, typeof layout.boxes>();
    for (const b of layout.boxes) byRow.set(b.y, [...(byRow.get(b.y) ?? []), b]);
    for (const row of byRow.values()) {
      const sorted = [...row].sort((a, b) => a.x - b.x);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.x).toBeGreaterThanOrEqual(sorted[i - 1]!.x + sorted[i - 1]!.width);
    }
    for (const b of layout.boxes) expect(b.x + b.width).toBeLessThanOrEqual(layout.width);
  });
});
