import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel, modelFromBytes, modelToBytes } from 'ssmc';
import { graphHtml } from 'ssmc/inspect';
import { loopModel } from './models.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/** The --html page opened from disk in headless Chromium with the network cut off. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`graph page browser test skipped: ${CHROMIUM} is missing`);

describe.skipIf(!haveChromium && !process.env.CI)('the graph page in a browser', () => {
  let browser: Browser;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssmc-graph-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens offline, shows a node\'s attributes and shapes on click, and expands its subgraph', async () => {
    const path = join(dir, 'loop.html');
    writeFileSync(path, graphHtml(modelFromBytes(modelToBytes(loopModel())), 'loop.onnx'));
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url().startsWith('file:') ? route.continue() : route.abort();
    });
    await page.goto(pathToFileURL(path).href);
    expect(await page.locator('details#g1').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await page.locator('#g0 g.op').first().click();
    const info = await page.locator('#info').innerText();
    expect(info).toContain("Loop 'y'");
    expect(info).toMatch(/trips\s+i64\[\]/);
    expect(info).toMatch(/y\s+f32\[4\]/);
    await page.locator('#info button', { hasText: 'body' }).click();
    expect(await page.locator('details#g1').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.locator('#g1 g.op').nth(1).click();
    expect(await page.locator('#info').innerText()).toMatch(/Add 'acc_out'[\s\S]*acc\s+f32\[4\][\s\S]*x\s+f32\[4\]/);
    const svg = page.locator('#g0 svg');
    const w0 = Number(await svg.getAttribute('width'));
    await page.locator('#g0 button[data-zoom="1.25"]').click();
    expect(Number(await svg.getAttribute('width'))).toBeCloseTo(w0 * 1.25, TOL.SVG_DIGITS);
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    await page.close();
  }, 60_000);

  it('draws the layers as groups that fold and unfold, with totals on click and edge shapes on hover', async () => {
    const lm = { arch: 'gss-lm', args: { num_tokens: 16, depth: 3, dim: 8, dss_kernel_N: 4, dss_kernel_H: 4 } };
    const model = modelFromBytes(modelToBytes(compileModel(lm, null, { seqLen: 64, opset: 17 }).model));
    const path = join(dir, 'lm.html');
    writeFileSync(path, graphHtml(model, 'lm.onnx', { report: 'the text report' }));
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url().startsWith('file:') ? route.continue() : route.abort();
    });
    await page.goto(pathToFileURL(path).href);
    // The drawing first, the report below it.
    const order = await page.evaluate(() => [...document.querySelectorAll('main > section')].map((s) => s.id));
    expect(order.slice(0, 2)).toEqual(['g0', 'report']);
    expect(await page.textContent('#report pre')).toBe('the text report');
    const layers = page.locator('#g0 g.group.depth-1');
    expect(await layers.count()).toBe(5); // token_emb, layers.0-2, to_logits, unfolded
    expect(await page.locator('#g0 g.group.open.depth-1').count()).toBe(5);
    const parts = await page.locator('#g0 g.group.folded.depth-2').count();
    expect(parts).toBeGreaterThanOrEqual(3 * 6); // every layer's sub-modules start folded: many nodes
    const ops = () => page.locator('#g0 svg g.op').count();
    const before = await ops();

    // Fold layers.1: its boxes and sub-modules give way to one box with its totals.
    const head = page.locator('#g0 g.ghead.depth-1', { hasText: 'layers.1' });
    await head.click();
    const folded = page.locator('#g0 g.group.folded.depth-1', { hasText: 'layers.1' });
    expect(await folded.count()).toBe(1);
    expect(await folded.locator('.gstats').textContent()).toMatch(/^\d+ nodes · .* FLOPs · .* params$/);
    expect(await ops()).toBeLessThan(before);
    expect(await page.locator('#info h3').textContent()).toBe('group layers.1');
    expect(await page.locator('#info').innerText()).toMatch(/nodes\s+\d+[\s\S]*FLOPs[\s\S]*parameters/);
    // Unfold it again, and unfold everything: every node drawn.
    await folded.click();
    expect(await page.locator('#g0 g.group.open.depth-1').count()).toBe(5);
    expect(await ops()).toBe(before);
    await page.locator('#g0 .tools button[data-fold="none"]').click();
    expect(await ops()).toBe(model.graph.nodes.length);
    expect(await page.locator('#g0 g.group.folded').count()).toBe(0);
    await page.locator('#g0 .tools button[data-fold="all"]').click();
    expect(await ops()).toBe(0);
    expect(await page.locator('#g0 g.group.folded').count()).toBe(5);

    // An edge's value and shape show on hover.
    const edge = page.locator('#g0 g.edge').first();
    const label = edge.locator('.elabel');
    expect(await label.evaluate((t) => getComputedStyle(t).display)).toBe('none');
    await edge.locator('.hit').hover({ force: true });
    expect(await label.evaluate((t) => getComputedStyle(t).display)).not.toBe('none');
    expect(await label.textContent()).toMatch(/: (f32|i64)\[/);
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#g0 .tools button[data-fold="none"]').click();
    await page.screenshot({ path: join(ARTIFACTS, 'grouped-graph.png') });
    await page.close();
  }, 60_000);
});
