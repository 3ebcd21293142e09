/// <reference lib="webworker" />
import { argmaxRow, compileModel, generateTokens, modelToBytes, parseModelFile, readSafetensors, readStates, Sampler, type StateInfo } from 'ssmc';
import type { Session } from 'ssmc/runtime/web';
import { pickBackend, wasmFallback, type PickedBackend } from './backend.js';
import type { DemoManifest, DemoSampling, FromWorker, ModelSource, ToWorker } from './protocol.js';

/**
 * Generation off the page's thread: the step graph runs in onnxruntime-web here, on the backend
 * pickBackend chooses (web/src/backend.ts), one position per call, with the layer states carried
 * between calls (src/step-runner.ts), so typing and scrolling stay smooth while tokens stream back. The step graph is either the one compiled at
 * build time or compiled here, by the same library, from the model file and checkpoint.
 */
declare const self: DedicatedWorkerGlobalScope;

let loaded: { session: Session; specs: StateInfo[]; manifest: DemoManifest } | null = null;

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

async function fetchBytes(path: string): Promise<Uint8Array> {
  const res = await fetch(new URL(path, self.location.href));
  if (!res.ok) throw new Error(`cannot fetch ${path}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The step graph as compileModel makes it for `ssmc compile --mode step [--target ort-webgpu]` (opset 17, dynamic batch). */
async function compileHere(manifest: DemoManifest, webgpu: boolean): Promise<{ bytes: Uint8Array; specs: StateInfo[] }> {
  const { modelFile, weights } = manifest.checkpoint;
  const file = parseModelFile(new TextDecoder().decode(await fetchBytes(modelFile)), modelFile);
  const tensors = readSafetensors(await fetchBytes(weights), weights);
  const model = compileModel(file, { tensors, source: weights }, { seqLen: null, opset: 17, mode: 'step', ...(webgpu ? { runtime: 'ort-webgpu' } : {}) }).model;
  return { bytes: modelToBytes(model), specs: readStates(model) };
}

async function load(source: ModelSource): Promise<void> {
  const t0 = performance.now();
  const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes('gss-code.json'))) as DemoManifest;
  let picked: PickedBackend = await pickBackend(new URL(manifest.wasmDir, self.location.href).href, manifest.plainWasm);
  const stepGraph = async (webgpu: boolean) =>
    source === 'compile' ? compileHere(manifest, webgpu) : webgpu ? { bytes: await fetchBytes(manifest.stepModelWebGpu), specs: manifest.statesWebGpu } : { bytes: await fetchBytes(manifest.stepModel), specs: manifest.states };
  let { bytes, specs } = await stepGraph(picked.name === 'webgpu');
  let session: Session;
  try {
    session = await picked.backend.createSession(bytes);
  } catch (e) {
    // An adapter that cannot take the graph (a device lost, a missing limit): run on the CPU instead, and say why.
    if (picked.name !== 'webgpu') throw e;
    picked = wasmFallback(`WebGPU could not load the step graph (${e instanceof Error ? e.message : String(e)})`);
    ({ bytes, specs } = await stepGraph(false));
    session = await picked.backend.createSession(bytes);
  }
  await loaded?.session.release();
  loaded = { session, specs, manifest };
  post({ kind: 'loaded', source, layers: specs.length, loadMs: performance.now() - t0, modelBytes: bytes.byteLength, sha256: await sha256(bytes), backend: picked.name, backendWhy: picked.why });
}

/** Set by a 'stop' message; the running generation ends before its next step. */
let stopRequested = false;
class Stopped extends Error {}

// onnxruntime-web's wasm runs settle as microtasks, so a generation never yields to the worker's
// message queue and a 'stop' would wait for its end. A MessageChannel round trip before each step
// is a macrotask (tens of microseconds): the message posted earlier is handled first.
const channel = new MessageChannel();
const wakers: (() => void)[] = [];
channel.port1.onmessage = () => wakers.shift()?.();
const nextTask = () => new Promise<void>((resolve) => {
  wakers.push(resolve);
  channel.port2.postMessage(null);
});

/** The session, taking messages before each step and ending the generation once a stop came. */
function stoppable(session: Session): Session {
  return {
    backend: session.backend,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: async (feeds, into) => {
      await nextTask();
      if (stopRequested) throw new Stopped();
      return session.run(feeds, into);
    },
    release: () => session.release(),
  };
}

/** Greedy at temperature 0, as `ssmc generate` (the same text); else the library's sampler, seeded. */
async function generate(prompt: string, maxTokens: number, sampling: DemoSampling): Promise<void> {
  if (!loaded) throw new Error('the model is not loaded yet');
  const bytes = [...new TextEncoder().encode(prompt)];
  if (bytes.length === 0) throw new Error('type a prompt first: the model needs at least one byte to condition on');
  const decoder = new TextDecoder();
  const { manifest } = loaded;
  const sampler = sampling.temperature > 0 ? new Sampler({ temperature: sampling.temperature, topK: sampling.topK, topP: 1, seed: sampling.seed }) : null;
  const pick = sampler ? (logits: Float32Array) => sampler.pick(logits.subarray(0, manifest.vocab)) : (logits: Float32Array) => argmaxRow(logits, 0, manifest.vocab);
  stopRequested = false;
  let generated = 0;
  let text = '';
  const t0 = performance.now();
  let firstTokenAt = 0;
  // Rate from the first generated token on: the prompt is fed step by step before it.
  const rate = () => (generated > 1 ? (generated - 1) / ((performance.now() - firstTokenAt) / 1000) : 0);
  let stopped = false;
  try {
    await generateTokens(stoppable(loaded.session), loaded.specs, bytes, maxTokens, pick, (token) => {
      if (generated === 0) firstTokenAt = performance.now();
      generated++;
      const piece = decoder.decode(Uint8Array.of(token), { stream: true });
      text += piece;
      post({ kind: 'token', text: piece, generated, tokensPerSecond: rate(), firstTokenMs: firstTokenAt - t0 });
    });
  } catch (e) {
    if (!(e instanceof Stopped)) throw e;
    stopped = true;
  }
  text += decoder.decode();
  post({ kind: 'done', text, generated, tokensPerSecond: rate(), promptBytes: bytes.length, firstTokenMs: generated > 0 ? firstTokenAt - t0 : 0, stopped });
}

// Jobs run one after another: a reload never swaps the session under a running generation.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.kind === 'stop') {
    stopRequested = true;
    return;
  }
  queue = queue
    .then(() => (msg.kind === 'load' ? load(msg.source) : generate(msg.prompt, msg.maxTokens, msg.sampling)))
    .catch((err: unknown) => post({ kind: 'error', message: err instanceof Error ? err.message : String(err) }));
};
