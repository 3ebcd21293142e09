import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmaxRow } from '../../src/lm.js';
import { nodeBackend } from '../../src/runtime/node.js';
import { generateTokens } from '../../src/step-runner.js';
import { buildWeb, type WebBuild } from '../../web/build.js';
import { serveStatic, type RunningServer } from '../../web/serve.js';

/**
 * End to end: build the demo, serve it, and drive it in headless Chromium (Debian's package, not
 * a downloaded browser): type a prompt, generate greedily in the page's worker (onnxruntime-web,
 * wasm), and expect exactly the text onnxruntime-node generates from the same step graph.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PROMPT = 'import numpy as np\n\ndef softmax(x):\n';
const TOKENS = 48;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`demo e2e test skipped: ${CHROMIUM} is missing (install Debian's chromium: apt-get install -y --no-install-recommends chromium); in CI (CI set) it runs and fails instead`);
}

describe.skipIf(!haveChromium && !process.env.CI)('web demo in headless Chromium', () => {
  let outDir = '';
  let built: WebBuild;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let firstGenerated = '';

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing; .ci/run installs it (apt-get install -y --no-install-recommends chromium)`);
    outDir = mkdtempSync(join(tmpdir(), 'ssmc-web-'));
    built = await buildWeb(outDir);
    server = await serveStatic(outDir, 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('generates, token by token in a worker, the same greedy text as onnxruntime-node', async () => {
    // The Node result for the same step graph and greedy settings.
    const session = await nodeBackend.createSession(new Uint8Array(readFileSync(join(outDir, built.manifest.stepModel))));
    const promptBytes = [...new TextEncoder().encode(PROMPT)];
    const ids = await generateTokens(session, built.manifest.states, promptBytes, TOKENS, (logits) => argmaxRow(logits, 0, built.manifest.vocab));
    await session.release();
    const expected = new TextDecoder().decode(Uint8Array.from(ids.slice(promptBytes.length)));
    expect(expected.length).toBeGreaterThan(0);

    await page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error', null, { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/model loaded \(6 layers/);
    await page.fill('#prompt', '');
    await page.locator('#prompt').pressSequentially(PROMPT);
    await page.fill('#max-tokens', String(TOKENS));
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 40_000 });
    expect(await page.textContent('#status')).toBe('done');
    expect(await page.textContent('#output-prompt')).toBe(PROMPT);
    expect(await page.textContent('#output-generated')).toBe(expected);
    firstGenerated = expected;
    const rate = (await page.textContent('#rate')) ?? '';
    const perSecond = Number(/([\d.]+) tokens\/s/.exec(rate)?.[1]);
    expect(rate).toContain(`${TOKENS} tokens`);
    expect(perSecond).toBeGreaterThan(0);
    console.log(`web demo: ${rate}`);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-demo.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('compiles the step graph in the browser to the same bytes as the build, and generates the same text', async () => {
    const prebuilt = createHash('sha256').update(readFileSync(join(outDir, built.manifest.stepModel))).digest('hex');
    expect(await page.evaluate(() => document.body.dataset.modelSha256)).toBe(prebuilt);
    await page.selectOption('#source', 'compile');
    await page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error', null, { timeout: 40_000 });
    const status = (await page.textContent('#status')) ?? '';
    expect(status).toMatch(/compiled in the browser/);
    console.log(`web demo: ${status}`);
    expect(await page.evaluate(() => document.body.dataset.modelSha256)).toBe(prebuilt); // compile is deterministic across runtimes
    await page.fill('#max-tokens', '16');
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 30_000 });
    const got = (await page.textContent('#output-generated')) ?? '';
    expect(got.length).toBeGreaterThan(0);
    expect(firstGenerated.startsWith(got), `${JSON.stringify(got)} should start ${JSON.stringify(firstGenerated)}`).toBe(true);
    expect((await page.textContent('#rate')) ?? '').toContain('16 tokens');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('inspects the bundled convolution graph and draws it', async () => {
    await page.click('#tab-inspect');
    await page.click('#inspect-bundled');
    await page.waitForFunction(() => /inspected|cannot|not/.test(document.getElementById('inspect-status')?.textContent ?? ''), null, { timeout: 20_000 });
    expect(await page.textContent('#inspect-status')).toMatch(/^inspected gss-code\.conv\.onnx/);
    const summary = (await page.textContent('#summary')) ?? '';
    expect(await page.textContent('#ir')).toMatch(/^model ir=\d+ opsets/);
    expect(summary).toMatch(/inputs: +input i64\[batch,\s*L\]/);
    const nodes = Number(/nodes: (\d+)/.exec(summary)?.[1]);
    expect(nodes).toBeGreaterThan(50);
    const srcdoc = (await page.getAttribute('#graph', 'srcdoc')) ?? '';
    expect(srcdoc).toContain('<svg');
    const frame = page.frameLocator('#graph');
    expect(await frame.locator('svg g.op').count()).toBe(nodes); // one box per node of the summary
    expect(await frame.locator('svg g.input').count()).toBe(1);
    expect(await frame.locator('svg g.output').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'web-inspect.png') });
  }, 30_000);

  it('explains a file that is not ONNX instead of failing silently', async () => {
    await page.setInputFiles('#file', { name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a protobuf model') });
    await page.waitForFunction(() => !/^(inspected|reading)/.test(document.getElementById('inspect-status')?.textContent ?? ''), null, { timeout: 10_000 });
    const message = (await page.textContent('#inspect-status')) ?? '';
    expect(message).toMatch(/not a valid ONNX model/);
    console.log(`inspector on a broken file: ${message}`);
    expect(await page.getAttribute('#graph', 'srcdoc')).toBeNull();
    expect(pageErrors).toEqual([]);
  }, 20_000);
});
