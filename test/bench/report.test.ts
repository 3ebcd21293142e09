import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchReportHtml } from '../../bench/report.js';

/**
 * The benchmark report (bench/report.ts) made from a bench-results.json of a real `npm run bench
 * -- --quick` run (this folder's fixture), with sections the report has never seen added the way
 * other benchmarks will add theirs: charts for the sections it knows, one series per lowering,
 * tables for the rest; then the page in headless Chromium, offline.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = join(ROOT, 'test/bench/bench-results.quick.json');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = '/usr/bin/chromium';

type Json = { date: string; results: Record<string, unknown> };
const saved = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;
/** The fixture plus sections of benchmarks being written now (WebGPU, compile time, a whole model). */
const extended: Json = {
  ...saved,
  results: {
    ...saved.results,
    'webgpu-targets': { bench: 'webgpu-targets', rows: [{ target: 'webgpu', graph: 'step', ms: 0.84 }, { target: 'wasm', graph: 'step', ms: 7.9 }] },
    'compile-time': [{ family: 'gss-lm', seconds: 1.25, nodes: 338 }, { family: 's4-dplr', seconds: 18.2, nodes: 28 }],
    'whole-lra-cifar': { bench: 'whole-lra-cifar', accuracy: 0.874, note: '<b>not markup</b>' },
    // bench/whole-model.ts's shape; PyTorch did not run at 2 threads.
    'whole-model': {
      bench: 'whole-model', model: 'lra/s4-cifar', L: 1024, batch: 1, params: 3_570_000, compile_fixed_s: 21.4, compile_dynamic_s: 9.8, lowerings: ['fourstep'],
      rows: [
        { threads: 1, ssmc_fixed_ms: 180.5, ssmc_dynamic_ms: 240.2, torch_ms: 610.3, torch_cached_kernels_ms: 420.1 },
        { threads: 2, ssmc_fixed_ms: 101.2, ssmc_dynamic_ms: 139.9, torch_ms: null, torch_cached_kernels_ms: null },
      ],
      torch: 'PyTorch 1.13.1, BLAS <openblas>',
    },
  },
};

interface ConvRow { layer: string; width: number; L: number; threads: number; part: string; lowering: string; ms: number | null }
const convRows = (saved.results['conv-lowerings'] as { rows: ConvRow[] }).rows;
/** The lowerings with at least one timed point in a (layer, width, threads, part) group: the series its chart must draw. */
function expectedSeries(part: string): string[][] {
  const groups = [...new Set(convRows.map((r) => `${r.layer}|${r.width}|${r.threads}`))];
  return groups.map((g) => [...new Set(convRows.filter((r) => `${r.layer}|${r.width}|${r.threads}` === g && r.part === part && r.ms !== null).map((r) => r.lowering))]);
}

describe('bench report from bench-results.json', () => {
  const html = benchReportHtml(extended);

  it('is one page with no script and nothing fetched, the machine and the date on top', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link[^>]+href=|@import|url\(/i);
    expect(new Set(html.match(/https?:\/\/[^\s"')]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).toContain('Sat, 05 Dec 2026');
    expect(html).toMatch(/<dt>CPU<\/dt><dd>[^<]+<\/dd>/);
    expect(html).toMatch(/<dt>cores<\/dt><dd>2<\/dd>/);
  });

  it('charts latency against length per lowering, PyTorch beside them, speed-ups and node counts', () => {
    const charts = (kind: string) => [...html.matchAll(new RegExp(`<svg class="chart" data-chart="${kind}"[\\s\\S]*?</svg>`, 'g'))].map((m) => m[0]);
    const series = (svg: string) => [...svg.matchAll(/<g class="series" data-series="([^"]+)"/g)].map((m) => m[1]!);
    expect(charts('latency-layer').map(series)).toEqual(expectedSeries('layer'));
    expect(charts('latency-conv').map(series)).toEqual(expectedSeries('conv'));
    expect(expectedSeries('layer').every((s) => s.includes('torch-eager'))).toBe(true);
    expect(charts('latency-layer')[0]).toContain('stroke-dasharray="5 4"'); // PyTorch, dashed
    expect(charts('speedup-dft')).toHaveLength(3);
    expect(charts('speedup-torch')).toHaveLength(3);
    expect(charts('nodes-layer')).toHaveLength(1);
    for (const kind of ['latency-fftconv', 'step-vs-conv', 'step-speedup', 'web-vs-node', 'serve-throughput', 'serve-latency']) expect(charts(kind), kind).toHaveLength(1);
    // Every timed row is a point with its figure on hover.
    const timed = convRows.filter((r) => r.ms !== null);
    const points = charts('latency-layer').concat(charts('latency-conv')).join('').match(/<circle /g)!.length;
    expect(points).toBe(timed.length);
    expect(html).toContain(`<title>chunked, L=1K: ${convRows.find((r) => r.layer === 's4d' && r.L === 1024 && r.part === 'layer' && r.lowering === 'chunked')!.ms!.toFixed(2).replace(/\.?0+$/, '')} ms</title>`);
  });

  it('charts the whole model beside PyTorch per thread count, a bar for each figure there is', () => {
    const svg = /<svg class="chart" data-chart="whole-model"[\s\S]*?<\/svg>/.exec(html)![0];
    expect([...svg.matchAll(/<g class="series" data-series="([^"]+)"/g)].map((m) => m[1])).toEqual(['fixed L', 'dynamic L', 'PyTorch', 'PyTorch cached']);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(6); // 4 bars at 1 thread, the 2 of ssmc at 2 threads (legend swatches have no title)
    expect(svg).toContain('<title>PyTorch, 1 thread: 610 ms</title>');
    expect(html).toContain('BLAS &lt;openblas&gt;'); // the JSON's text escaped in the lead
    expect(html).toMatch(/<section id="bench-whole-model" class="bench"/);
  });

  it('shows sections it does not know as tables, so new benchmarks appear before anyone draws them', () => {
    for (const name of ['webgpu-targets', 'compile-time', 'whole-lra-cifar']) expect(html).toMatch(new RegExp(`<section id="bench-${name}" class="bench generic"`));
    expect(html).toMatch(/<th>target<\/th><th>graph<\/th><th>ms<\/th>/);
    expect(html).toMatch(/<td>webgpu<\/td><td>step<\/td><td class="n">0.84<\/td>/);
    expect(html).toMatch(/<td>s4-dplr<\/td><td class="n">18.2<\/td><td class="n">28<\/td>/);
    expect(html).toContain('<dt>accuracy</dt><dd>0.874</dd>');
    expect(html).toContain('&lt;b&gt;not markup&lt;/b&gt;');
    expect(html).not.toContain('<b>not markup');
  });

  it('falls back to a table when a known section changes shape, and says so', () => {
    const changed = benchReportHtml({ date: saved.date, results: { 'step-vs-conv': { rows: [{ tokens: 5, per_token_ms: 1.2 }] } } });
    expect(changed).toContain('class="bench generic" data-bench="step-vs-conv"');
    expect(changed).toContain('no longer has the shape this report draws');
    expect(changed).toMatch(/<td class="n">5<\/td><td class="n">1.2<\/td>/);
    expect(benchReportHtml({})).toContain('No benchmark results in this file.');
  });

  it('is made again from a saved JSON by a command, the same page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-report-'));
    try {
      const out = join(dir, 'report.html');
      const r = spawnSync(process.execPath, [join(ROOT, 'dist/bench/report.js'), FIXTURE, '-o', out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(benchReportHtml(saved));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('bench report in headless Chromium', () => {
  let browser: Browser;
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssmc-report-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws every chart with one line per lowering, offline, and the tables of new sections', async () => {
    const path = join(dir, 'bench-report.html');
    writeFileSync(path, benchReportHtml(extended));
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    const errors: string[] = [], requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url().startsWith('file:') ? route.continue() : route.abort();
    });
    await page.goto(pathToFileURL(path).href);
    const drawn = await page.evaluate(() => [...document.querySelectorAll('svg.chart[data-chart="latency-layer"]')].map((svg) => [...svg.querySelectorAll('g.series')].map((g) => {
      const line = g.querySelector('path')!;
      const box = line.getBBox();
      return { name: g.getAttribute('data-series'), points: g.querySelectorAll('circle').length, drawn: box.width > 0 || box.height > 0 || g.querySelectorAll('circle').length === 1, stroke: getComputedStyle(line).stroke };
    })));
    expect(drawn.map((c) => c.map((s) => s.name))).toEqual(expectedSeries('layer'));
    for (const chart of drawn) {
      expect(chart.every((s) => s.drawn && s.points > 0)).toBe(true);
      expect(new Set(chart.map((s) => s.stroke)).size).toBe(chart.length); // a colour per lowering
    }
    // The charts sit inside the page's width at desktop size, and the new sections are readable tables.
    const widest = await page.evaluate(() => Math.max(...[...document.querySelectorAll('svg.chart')].map((s) => s.getBoundingClientRect().right)));
    expect(widest).toBeLessThanOrEqual(1300);
    expect(await page.locator('section[data-bench="webgpu-targets"] table tbody tr').count()).toBe(2);
    expect(await page.locator('section[data-bench="compile-time"] table tbody tr').count()).toBe(2);
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'bench-report.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0); // charts shrink to a phone's width
    await page.screenshot({ path: join(ARTIFACTS, 'bench-report-phone.png') });
    await page.close();
  }, 60_000);
});
