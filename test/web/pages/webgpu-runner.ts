import * as ort from 'onnxruntime-web';
import type { Tensor } from 'ssmc/ir';
import { adapterWords, configureWasm, webgpuAdapter, webgpuWebBackend, type RunOptions, type Session } from 'ssmc/runtime/web';
import { base64ToBytes, fromWire, toWire, type WireTensor } from './wire.js';

/**
 * The page test/web/golden-webgpu-browser.test.ts drives in headless Chromium: the library's
 * onnxruntime-web WebGPU backend (src/runtime/web.ts, the one the demo runs), exposed to the test
 * as window.ssmcRunner — sessions made from model bytes, runs, and onnxruntime's own node
 * placement, which a session created at verbose severity logs to the console between two markers.
 */
export interface RunnerAdapter {
  words: string;
  shaderF16: boolean;
}

export interface CreatedSession {
  id: number;
  /** The backend the session runs on ('wasm' when the shader-f16 check moved it). */
  backend: Session['backend'];
  inputNames: string[];
  outputNames: string[];
  /** What the backend said while loading (the shader-f16 fallback's note). */
  notes: string[];
}

export interface Runner {
  /** The WebGPU adapter onnxruntime-web will use, or why there is none. */
  adapter(): Promise<RunnerAdapter | { error: string }>;
  /** Logs onnxruntime's placement of the graph on WebGPU between 'ssmc-placement-begin N' and 'ssmc-placement-end N'. */
  placement(model: string, marker: number): Promise<void>;
  create(model: string, opts: Pick<RunOptions, 'optimizations' | 'f16Fallback'>): Promise<CreatedSession>;
  run(id: number, feeds: Record<string, WireTensor>): Promise<Record<string, WireTensor>>;
  release(id: number): Promise<void>;
}

configureWasm({ wasmPaths: new URL('ort/', location.href).href });
const sessions = new Map<number, Session>();
let nextId = 1;

const runner: Runner = {
  async adapter() {
    try {
      const adapter = await webgpuAdapter();
      return { words: adapterWords(adapter), shaderF16: adapter.features.has('shader-f16') };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  },
  async placement(model, marker) {
    await webgpuAdapter();
    console.log(`ssmc-placement-begin ${marker}`);
    try {
      const session = await ort.InferenceSession.create(base64ToBytes(model), { executionProviders: ['webgpu'], logSeverityLevel: 0, logVerbosityLevel: 0 });
      await session.release();
    } finally {
      console.log(`ssmc-placement-end ${marker}`);
    }
  },
  async create(model, opts) {
    const notes: string[] = [];
    const session = await webgpuWebBackend.createSession(base64ToBytes(model), { ...opts, onNote: (line) => notes.push(line) });
    const id = nextId++;
    sessions.set(id, session);
    return { id, backend: session.backend, inputNames: [...session.inputNames], outputNames: [...session.outputNames], notes };
  },
  async run(id, feeds) {
    const session = sessions.get(id);
    if (!session) throw new Error(`no session ${id}`);
    const outputs = await session.run(new Map(Object.entries(feeds).map(([name, w]): [string, Tensor] => [name, fromWire(w)])));
    return Object.fromEntries([...outputs].map(([name, t]) => [name, toWire(t)]));
  },
  async release(id) {
    await sessions.get(id)?.release();
    sessions.delete(id);
  },
};

(globalThis as unknown as { ssmcRunner: Runner }).ssmcRunner = runner;
