import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Tensor } from 'ssmc/ir';
import { backendOfSessions, parsePlacementLog, prepareWebGpuEnvironment, type OrtBackend, type Placement, type RunOptions, type Session } from 'ssmc/runtime';
import { ORT_WASM_FILES, webGpuOrt } from '../../web/build.js';
import { projectRoot } from '../../web/paths.js';
import { serveStatic, type RunningServer } from '../../web/serve.js';
import type { CreatedSession, Runner, RunnerAdapter } from '../web/pages/webgpu-runner.js';
import { bytesToBase64, fromWire, toWire, type WireTensor } from '../web/pages/wire.js';

/**
 * onnxruntime-web's WebGPU provider in headless Chromium, as an OrtBackend the tests drive from
 * Node: test/web/pages/webgpu-runner.ts bundled (with the library's src/runtime/web.ts and the
 * WebGPU build of onnxruntime-web, as the demo bundles them), served on 127.0.0.1, one page, every
 * session made and run in it. `--enable-unsafe-webgpu` gives headless Chromium SwiftShader's
 * adapter (WebGPU on the CPU, through the Vulkan loader).
 */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser WebGPU tests run: with Chromium and the Vulkan loader present, and always under CI (where they fail without). */
export function browserWebGpuTestsRun(what: string): boolean {
  const missing = [...(existsSync(CHROMIUM) ? [] : [`${CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)`]), ...prepareWebGpuEnvironment().missing];
  if (missing.length === 0 || process.env.CI) return true;
  console.warn(`${what} skipped: ${missing.join('; ')}; in CI (CI set) it runs and fails instead`);
  return false;
}

export interface BrowserWebGpu {
  /** The page's sessions: the library's webgpuWebBackend, run in Chromium. */
  backend: OrtBackend;
  adapter: RunnerAdapter;
  /** onnxruntime-web's own node placement of a graph on WebGPU (its verbose session log). */
  placement(modelBytes: Uint8Array): Promise<Placement>;
  /** Errors the page threw outside a call. */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function openBrowserWebGpu(): Promise<BrowserWebGpu> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing; .ci/run installs it (apt-get install -y --no-install-recommends chromium)`);
  const root = projectRoot();
  const dir = mkdtempSync(join(tmpdir(), 'ssmc-webgpu-page-'));
  let server: RunningServer | null = null;
  let browser: Browser | null = null;
  try {
    mkdirSync(join(dir, 'ort'));
    await build({
      entryPoints: { runner: join(root, 'test/web/pages/webgpu-runner.ts') },
      outdir: dir, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning',
      conditions: ['source'], plugins: [webGpuOrt(root)],
    });
    for (const name of ORT_WASM_FILES) copyFileSync(join(root, 'node_modules/onnxruntime-web/dist', name), join(dir, 'ort', name));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>ssmc WebGPU runner</title><script type="module" src="runner.js"></script>\n');
    server = await serveStatic(dir, 0);
    // The WebGPU flag, and headless: Chromium then gives SwiftShader's adapter where there is no GPU.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-background-networking', '--enable-unsafe-webgpu'] });
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    const consoleLines: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => consoleLines.push(m.text()));
    await page.goto(server.url);
    await page.waitForFunction(() => 'ssmcRunner' in globalThis, null, { timeout: 30_000 });
    const adapter = await page.evaluate(() => (globalThis as unknown as OnPage).ssmcRunner.adapter());
    if ('error' in adapter) throw new Error(`headless Chromium with --enable-unsafe-webgpu has no WebGPU: ${adapter.error}`);
    const opened = { server, browser, dir };
    return {
      backend: pageBackend(page),
      adapter,
      pageErrors,
      placement: (bytes) => pagePlacement(page, consoleLines, bytes),
      async close() {
        await opened.browser.close();
        await opened.server.close();
        rmSync(opened.dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The page's global (page.evaluate sends a function's source to the page: it may name nothing of this module's). */
type OnPage = { ssmcRunner: Runner };

let marker = 0;

async function pagePlacement(page: Page, lines: string[], bytes: Uint8Array): Promise<Placement> {
  const n = ++marker;
  await page.evaluate(([model, m]) => (globalThis as unknown as OnPage).ssmcRunner.placement(model, m), [bytesToBase64(bytes), n] as const);
  const begin = `ssmc-placement-begin ${n}`, end = `ssmc-placement-end ${n}`;
  // Console events can trail the call's result: wait for the closing marker.
  for (let waited = 0; !lines.includes(end); waited += 20) {
    if (waited > 10_000) throw new Error(`the page's console never showed '${end}'`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const log = lines.slice(lines.indexOf(begin) + 1, lines.indexOf(end)).join('\n');
  const placement = parsePlacementLog(log);
  if (placement.groups.length === 0) throw new Error('onnxruntime-web logged no node placement (its verbose log format may have changed)');
  return placement;
}

/** An OrtBackend whose sessions live in the page (webgpuWebBackend there). */
function pageBackend(page: Page): OrtBackend {
  const createSession = async (bytes: Uint8Array, opts: RunOptions = {}): Promise<Session> => {
    const loadOpts: Pick<RunOptions, 'optimizations' | 'f16Fallback'> = { ...(opts.optimizations ? { optimizations: opts.optimizations } : {}), ...(opts.f16Fallback !== undefined ? { f16Fallback: opts.f16Fallback } : {}) };
    const created: CreatedSession = await page.evaluate(([model, o]) => (globalThis as unknown as OnPage).ssmcRunner.create(model, o), [bytesToBase64(bytes), loadOpts] as const);
    created.notes.forEach((line) => opts.onNote?.(line));
    return {
      backend: created.backend,
      inputNames: created.inputNames,
      outputNames: created.outputNames,
      async run(feeds: Map<string, Tensor>, into?: Map<string, Tensor>) {
        const wire = Object.fromEntries([...feeds].map(([name, t]) => [name, toWire(t)]));
        const out: Record<string, WireTensor> = await page.evaluate(([id, f]) => (globalThis as unknown as OnPage).ssmcRunner.run(id, f), [created.id, wire] as const);
        const outputs = new Map(Object.entries(out).map(([name, w]) => [name, fromWire(w)]));
        // The Session contract: outputs named in `into` are written there (the tensors cross as copies).
        for (const [name, target] of into ?? []) {
          const got = outputs.get(name);
          if (!got || target.dims.join() !== got.dims.join() || !ArrayBuffer.isView(target.data) || !ArrayBuffer.isView(got.data)) throw new Error(`output '${name}' cannot be written into the tensor given for it`);
          new Uint8Array(target.data.buffer, target.data.byteOffset, target.data.byteLength).set(new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength));
          outputs.set(name, target);
        }
        return outputs;
      },
      release: () => page.evaluate((id) => (globalThis as unknown as OnPage).ssmcRunner.release(id), created.id),
    };
  };
  return backendOfSessions('webgpu', 'onnxruntime-web (WebGPU) in headless Chromium', createSession);
}
