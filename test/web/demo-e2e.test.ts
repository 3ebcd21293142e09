import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmaxRow, generateTokens, modelToBytes, Sampler } from 'ssmc';
import { formatReport, human, inspectBytes } from 'ssmc/inspect';
import { nodeBackend } from 'ssmc/runtime';
import { buildWeb, type WebBuild } from '../../web/build.js';
import { serveStatic, type RunningServer } from '../../web/serve.js';
import { inspectOnnx } from '../../web/src/inspect-view.js';
import { loopModel } from '../inspect/models.js';

/**
 * End to end: build the demo, serve it, and drive it in headless Chromium (Debian's package, not
 * a downloaded browser; no WebGPU flag, so the page falls back to wasm — demo-webgpu-e2e.test.ts
 * runs it on WebGPU): type a prompt, generate greedily in the page's worker (onnxruntime-web,
 * wasm), and expect exactly the text onnxruntime-node generates from the same step graph. Then the
 * inspector view: the library's report and graph page for the bundled model and for dropped files.
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
  /** Paths the page and its worker fetched. */
  const requested: string[] = [];
  let firstGenerated = '';

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing; .ci/run installs it (apt-get install -y --no-install-recommends chromium)`);
    outDir = mkdtempSync(join(tmpdir(), 'ssmc-web-'));
    built = await buildWeb(outDir);
    server = await serveStatic(outDir, 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.context().on('request', (r) => requested.push(new URL(r.url()).pathname));
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
    // The live figures: tokens/s as a number, the backend in use, the count.
    expect(Number(await page.textContent('#tokens-per-second'))).toBeCloseTo(perSecond, 0);
    expect(await page.textContent('#stat-tokens')).toBe(String(TOKENS));
    expect(await page.textContent('#backend')).toBe('wasm');
    // Without --enable-unsafe-webgpu headless Chromium gives no adapter: the page falls back and says why.
    expect(await page.getAttribute('#backend', 'title')).toMatch(/^onnxruntime-web on the CPU .*WebGPU/);
    // Without WebGPU the page loads the plain wasm build (14 MB), not the WebGPU build's (27 MB).
    expect(requested).toContain('/ort/ort-wasm-simd-threaded.wasm');
    expect(requested.filter((p) => p.includes('asyncify'))).toEqual([]);
    expect(await page.textContent('#model-badge-text')).toBe('ready');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-demo.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('samples with a temperature and top-k, seeded: the same bytes as the library\'s sampler in Node', async () => {
    const session = await nodeBackend.createSession(new Uint8Array(readFileSync(join(outDir, built.manifest.stepModel))));
    const promptBytes = [...new TextEncoder().encode(PROMPT)];
    const V = built.manifest.vocab;
    const sampler = new Sampler({ temperature: 0.8, topK: 8, topP: 1, seed: 3 });
    const ids = await generateTokens(session, built.manifest.states, promptBytes, 24, (logits) => sampler.pick(logits.subarray(0, V)));
    await session.release();
    const expected = new TextDecoder().decode(Uint8Array.from(ids.slice(promptBytes.length)));
    await page.fill('#temperature', '0.8');
    await page.fill('#top-k', '8');
    await page.fill('#seed', '3');
    expect(await page.textContent('#temperature-value')).toBe('0.80');
    expect(await page.textContent('#top-k-value')).toBe('8');
    await page.fill('#max-tokens', '24');
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', null, { timeout: 30_000 });
    expect(await page.textContent('#output-generated')).toBe(expected);
    expect(expected).not.toBe(firstGenerated.slice(0, expected.length)); // sampling, not greedy
    // A long generation stops on request, keeping what it made.
    await page.fill('#max-tokens', '2000');
    await page.click('#generate');
    await page.waitForFunction(() => Number(document.getElementById('stat-tokens')?.textContent) >= 5, null, { timeout: 30_000 });
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 30_000 });
    expect(await page.textContent('#status')).toBe('stopped');
    expect(Number(await page.textContent('#stat-tokens'))).toBeLessThan(2000);
    await page.click('#greedy');
    expect(await page.inputValue('#temperature')).toBe('0');
    await page.fill('#max-tokens', String(TOKENS));
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('looks right at phone width: one column, nothing wider than the screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const errors: string[] = [];
    phone.on('pageerror', (e) => errors.push(e.message));
    await phone.goto(server.url);
    await phone.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
    await phone.fill('#max-tokens', '24');
    await phone.click('#generate');
    await phone.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 30_000 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    const box = (sel: string) => phone.locator(sel).boundingBox();
    const [play, side, button] = [await box('.playground'), await box('.side'), await box('#generate')];
    expect(side!.y).toBeGreaterThan(play!.y + play!.height - 1); // the side cards stack below
    expect(button!.width).toBeGreaterThan(150);
    mkdirSync(ARTIFACTS, { recursive: true });
    await phone.screenshot({ path: join(ARTIFACTS, 'web-demo-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
    await phone.close();
  }, 60_000);

  it('shows loading and failure as what they are, and recovers on a retry', async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let block = true, delayMs = 0;
    await p.route('**/gss-code.step.onnx', async (route) => {
      if (block) return route.fulfill({ status: 404, body: 'gone' });
      await new Promise((r) => setTimeout(r, delayMs));
      return route.continue();
    });
    await p.goto(server.url);
    expect(await p.evaluate(() => document.body.dataset.state)).toMatch(/^(loading|error)$/);
    await p.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 30_000 });
    expect(await p.isVisible('#error')).toBe(true);
    expect(await p.textContent('#error-message')).toMatch(/cannot fetch gss-code\.step\.onnx: HTTP 404/);
    expect(await p.textContent('#model-badge-text')).toBe('error');
    expect(await p.isDisabled('#generate')).toBe(true);
    const colour = await p.locator('#error').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(colour).not.toBe(await p.locator('.model-card').evaluate((el) => getComputedStyle(el).backgroundColor)); // not the grey of success
    mkdirSync(ARTIFACTS, { recursive: true });
    await p.screenshot({ path: join(ARTIFACTS, 'web-demo-error.png') });
    expect(await p.isVisible('#model-facts')).toBe(false); // no empty facts beside the error
    expect(await p.textContent('#backend')).toBe('…'); // no backend claimed before one runs
    // Loading (held a moment): a spinner and a badge saying so, the button waiting, no error.
    block = false;
    delayMs = 1500;
    await p.click('#retry');
    expect(await p.evaluate(() => document.body.dataset.state)).toBe('loading');
    expect(await p.isVisible('#model-loading')).toBe(true);
    expect(await p.isVisible('#error')).toBe(false);
    expect(await p.textContent('#model-badge-text')).toBe('loading');
    expect(await p.isDisabled('#generate')).toBe(true);
    await p.screenshot({ path: join(ARTIFACTS, 'web-demo-loading.png') });
    await p.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30_000 });
    expect(await p.isVisible('#model-loading')).toBe(false);
    expect(await p.isVisible('#model-facts')).toBe(true);
    expect(await p.isVisible('#error')).toBe(false);
    expect(await p.isDisabled('#generate')).toBe(false);
    await p.close();
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

  /** Wait for the inspector to finish what the last action started; 'shown' or 'error'. */
  const inspected = async (): Promise<string> => {
    await page.waitForFunction(() => document.body.dataset.inspect === 'shown' || document.body.dataset.inspect === 'error', null, { timeout: 20_000 });
    return (await page.evaluate(() => document.body.dataset.inspect)) ?? '';
  };
  /** Everything the page requested: the inspector, its graph frame included, must stay on the demo's own server. */
  const requests: string[] = [];

  it('inspects the bundled convolution graph with the library: the same report as in Node, SSM layers and FLOPs, the drawn graph', async () => {
    page.on('request', (r) => requests.push(r.url()));
    const convBytes = new Uint8Array(readFileSync(join(outDir, built.manifest.convModel)));
    const expected = inspectBytes(convBytes, { dims: { L: 1024, batch: 1 } });
    await page.click('#tab-inspect');
    await page.click('#inspect-bundled');
    expect(await inspected()).toBe('shown');
    const status = (await page.textContent('#inspect-status')) ?? '';
    expect(status).toMatch(/^inspected gss-code\.conv\.onnx in \d+ ms: 6 SSM layers \(gss-lm\), [\d.]+ M parameters, .*\(L, batch still symbolic\)$/);
    expect(await page.getAttribute('#dims', 'placeholder')).toBe(expected.symbols.map((d) => `${d}=…`).join(' '));

    // The estimate for given dims: typed in the field, applied on Enter, without choosing the file again.
    await page.fill('#dims', 'L=1024 batch=1');
    await page.press('#dims', 'Enter');
    await page.waitForFunction(() => document.getElementById('summary')?.textContent?.includes('for L=1024 batch=1'), null, { timeout: 20_000 });
    expect(await inspected()).toBe('shown');
    console.log(`web inspector: ${await page.textContent('#inspect-status')}`);
    const summary = (await page.textContent('#summary')) ?? '';
    const values = (await page.textContent('#values')) ?? '';
    const [head, ...report] = summary.split('\n');
    expect(head).toBe(`gss-code.conv.onnx: ${(convBytes.byteLength / 1e6).toFixed(2)} MB`);
    // The browser bundle of the library reports exactly what it reports in Node.
    expect(`${report.join('\n')}\n\n${values}`).toBe(formatReport(expected));
    expect(summary).toMatch(/\ninputs:\n\s+input\s+i64\[batch,L\]\n/);
    expect(summary).toMatch(/\nSSM layers:\n  made by ssmc: yes; arch gss-lm; mode conv/);
    expect(summary.match(/^\s+layers\.\d+\.\S+\s+\S+\s+lowering /gm)?.length).toBe(6);
    expect(summary).toContain(`FLOPs: ${human(expected.cost.flops)}`);
    expect(expected.cost.flops).toBeGreaterThan(1e9); // 6 layers of 256×1024 projections over 1024 positions
    expect(await page.textContent('#ir')).toMatch(/^model ir=\d+ opsets/);

    // The drawing is the library's page, above the report: the layers as groups, every node when unfolded, details on click.
    expect(await page.evaluate(() => document.getElementById('graph')!.compareDocumentPosition(document.getElementById('summary')!) & Node.DOCUMENT_POSITION_FOLLOWING)).toBeTruthy();
    const srcdoc = (await page.getAttribute('#graph', 'srcdoc')) ?? '';
    expect(srcdoc).toContain('<svg');
    const frame = page.frameLocator('#graph');
    expect(await frame.locator('#g0 svg g.group.depth-1').count()).toBe(8); // token_emb, layers.0-5, to_logits
    expect(await frame.locator('#g0 g.ghead.depth-1', { hasText: 'layers.3' }).locator('.gstats').textContent()).toMatch(/^\d+ nodes · [\d.]+ [kMG]? ?FLOPs · [\d.]+ k params$/);
    await frame.locator('#g0 .tools button[data-fold="none"]').click();
    expect(await frame.locator('#g0 svg g.op').count()).toBe(expected.nodes);
    expect(await frame.locator('#g0 svg g.input').count()).toBe(1);
    expect(await frame.locator('#g0 svg g.output').count()).toBe(1);
    expect(await frame.locator('details').count()).toBe(expected.functions.length + expected.subgraphs.length);
    await frame.locator('#g0 svg g.input').click();
    expect(await frame.locator('#info').innerText()).toMatch(/graph input input[\s\S]*input\s+i64\[batch,L\]/);
    await frame.locator('#g0 svg g.op').first().click();
    expect(await frame.locator('#info h3').innerText()).toMatch(/^\S+ '.*'$/);
    await page.screenshot({ path: join(ARTIFACTS, 'web-inspect.png') });
    expect(pageErrors).toEqual([]);
  }, 40_000);

  it('opens a dropped model with a Loop: its body expands from the clicked node, shapes shown', async () => {
    const bytes = modelToBytes(loopModel());
    await page.setInputFiles('#file', { name: 'loop.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    expect(await inspected()).toBe('shown');
    expect(await page.inputValue('#dims')).toBe(''); // the previous model's dims do not carry over
    const status = (await page.textContent('#inspect-status')) ?? '';
    expect(status.replace(/ in \d+ ms:/, ':')).toBe(`inspected loop.onnx: ${inspectOnnx(bytes, 'loop.onnx').highlights}`);
    expect(status).toMatch(/, 4 parameters, 12 FLOPs$/); // zeros [4]; three Adds of 4 elements
    expect(await page.textContent('#summary')).toMatch(/\nsubgraphs:\n\s+\S+: Loop 'y' body/);
    const frame = page.frameLocator('#graph');
    expect(await frame.locator('details#g1').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await frame.locator('#g0 g.op').first().click();
    expect(await frame.locator('#info').innerText()).toMatch(/Loop 'y'[\s\S]*trips\s+i64\[\]/);
    await frame.locator('#info button', { hasText: 'body' }).click();
    expect(await frame.locator('details#g1').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await frame.locator('#g1 g.op').nth(1).click();
    expect(await frame.locator('#info').innerText()).toMatch(/Add 'acc_out'[\s\S]*acc\s+f32\[4\]/);
    expect(pageErrors).toEqual([]);
  }, 40_000);

  it('refuses symbolic dims the model does not have, naming the field', async () => {
    await page.fill('#dims', 'seq=4');
    await page.press('#dims', 'Enter');
    expect(await inspected()).toBe('error');
    expect(await page.textContent('#inspect-status')).toBe("symbolic dims: the model has no symbolic dim 'seq'; its symbolic dims are: none");
    expect(await page.getAttribute('#graph', 'srcdoc')).toBeNull();
    expect(await page.textContent('#summary')).toBe('');
  }, 40_000);

  it('explains a file that is not ONNX instead of failing silently', async () => {
    await page.setInputFiles('#file', { name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a protobuf model') });
    expect(await inspected()).toBe('error');
    const message = (await page.textContent('#inspect-status')) ?? '';
    expect(message).toMatch(/not a valid ONNX model/);
    console.log(`inspector on a broken file: ${message}`);
    expect(await page.getAttribute('#graph', 'srcdoc')).toBeNull();
    expect(await page.textContent('#summary')).toBe('');
    expect(await page.textContent('#values')).toBe('');
    expect(pageErrors).toEqual([]);
    // Offline: nothing the inspector did, in the page or its graph frame, left the demo's server.
    const origin = new URL(server.url).origin;
    expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('about:'))).toEqual([]);
  }, 40_000);
});
