import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from 'ssmc';
import { graphHtml } from 'ssmc/inspect';
import { loopModel } from './models.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/** The --html page opened from disk in headless Chromium with the network cut off. */
const CHROMIUM = '/usr/bin/chromium';
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
});
