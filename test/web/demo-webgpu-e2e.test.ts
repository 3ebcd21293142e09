import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmaxRow, generateTokens } from 'ssmc';
import { nodeBackend } from 'ssmc/runtime';
import { buildWeb, type WebBuild } from '../../web/build.js';
import { serveStatic, type RunningServer } from '../../web/serve.js';

/**
 * The demo on WebGPU: Chromium with --enable-unsafe-webgpu gives headless pages SwiftShader's
 * adapter (WebGPU on the CPU, no shader-f16), so the page picks WebGPU, runs the step graph planned
 * for ort-webgpu, says so, and generates greedily the same text onnxruntime-node generates from
 * that graph. Without the flag (demo-e2e.test.ts) the same page reports wasm. SwiftShader is slow:
 * few tokens.
 */
const CHROMIUM = '/usr/bin/chromium';
const PROMPT = 'def add(a, b):\n';
const TOKENS = 8;

const haveChromium = existsSync(CHROMIUM);

describe.skipIf(!haveChromium && !process.env.CI)('web demo on WebGPU (SwiftShader) in headless Chromium', () => {
  let outDir = '';
  let built: WebBuild;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing; .ci/run installs it (apt-get install -y --no-install-recommends chromium)`);
    outDir = mkdtempSync(join(tmpdir(), 'ssmc-webgpu-'));
    built = await buildWeb(outDir);
    server = await serveStatic(outDir, 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-background-networking', '--enable-unsafe-webgpu'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('picks WebGPU, shows it, and generates the same greedy text as onnxruntime-node', async () => {
    const stepBytes = new Uint8Array(readFileSync(join(outDir, built.manifest.stepModelWebGpu)));
    const session = await nodeBackend.createSession(stepBytes);
    const promptBytes = [...new TextEncoder().encode(PROMPT)];
    const ids = await generateTokens(session, built.manifest.statesWebGpu, promptBytes, TOKENS, (logits) => argmaxRow(logits, 0, built.manifest.vocab));
    await session.release();
    const expected = new TextDecoder().decode(Uint8Array.from(ids.slice(promptBytes.length)));
    expect(expected.length).toBeGreaterThan(0);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const requested: string[] = [];
    page.context().on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error', null, { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/model loaded \(6 layers/);
    expect(await page.textContent('#backend')).toBe('webgpu');
    expect(await page.getAttribute('#backend', 'title')).toMatch(/WebGPU \(google swiftshader/);
    // WebGPU needs the WebGPU build's wasm; the plain one is never fetched.
    expect(requested).toContain('/ort/ort-wasm-simd-threaded.asyncify.wasm');
    expect(requested).not.toContain('/ort/ort-wasm-simd-threaded.wasm');
    await page.fill('#prompt', PROMPT);
    await page.fill('#max-tokens', String(TOKENS));
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 120_000 });
    expect(await page.textContent('#status')).toBe('done');
    expect(await page.textContent('#output-generated')).toBe(expected);
    const rate = (await page.textContent('#rate')) ?? '';
    expect(rate).toContain(`${TOKENS} tokens`);
    expect(Number(/([\d.]+) tokens\/s/.exec(rate)?.[1])).toBeGreaterThan(0);
    console.log(`web demo on WebGPU (SwiftShader): ${rate}`);
    expect(await page.evaluate(() => document.body.dataset.modelSha256)).toBe(createHash('sha256').update(stepBytes).digest('hex'));

    // Compiled in the page for WebGPU: the same bytes as the build's WebGPU step graph, on WebGPU again.
    await page.selectOption('#source', 'compile');
    await page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error', null, { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/compiled in the browser/);
    expect(await page.textContent('#backend')).toBe('webgpu');
    expect(await page.evaluate(() => document.body.dataset.modelSha256)).toBe(createHash('sha256').update(stepBytes).digest('hex'));
    await page.fill('#max-tokens', '3');
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 120_000 });
    const got = (await page.textContent('#output-generated')) ?? '';
    expect(got.length).toBeGreaterThan(0);
    expect(expected.startsWith(got), `${JSON.stringify(got)} should start ${JSON.stringify(expected)}`).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 240_000);
});
