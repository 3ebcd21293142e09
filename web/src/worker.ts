/// <reference lib="webworker" />
import { argmaxRow, compileModel, generateTokens, modelToBytes, parseModelFile, readSafetensors, readStates, type StateInfo } from 'ssmc';
import type { Session } from 'ssmc/runtime';
import { configureWasm, wasmBackend } from 'ssmc/runtime/web';
import type { DemoManifest, FromWorker, ModelSource, ToWorker } from './protocol.js';

/**
 * Generation off the page's thread: the step graph runs in onnxruntime-web (wasm) here, one
 * position per call, with the layer states carried between calls (src/step-runner.ts), so typing
 * and scrolling stay smooth while tokens stream back. The step graph is either the one compiled at
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

/** The step graph as compileModel makes it for `ssmc compile --mode step` (opset 17, dynamic batch). */
async function compileHere(manifest: DemoManifest): Promise<{ bytes: Uint8Array; specs: StateInfo[] }> {
  const { modelFile, weights } = manifest.checkpoint;
  const file = parseModelFile(new TextDecoder().decode(await fetchBytes(modelFile)), modelFile);
  const tensors = readSafetensors(await fetchBytes(weights), weights);
  const model = compileModel(file, { tensors, source: weights }, { seqLen: null, opset: 17, mode: 'step' }).model;
  return { bytes: modelToBytes(model), specs: readStates(model) };
}

async function load(source: ModelSource): Promise<void> {
  const t0 = performance.now();
  const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes('gss-code.json'))) as DemoManifest;
  configureWasm({ wasmPaths: new URL(manifest.wasmDir, self.location.href).href });
  const { bytes, specs } = source === 'compile' ? await compileHere(manifest) : { bytes: await fetchBytes(manifest.stepModel), specs: manifest.states };
  const session = await wasmBackend.createSession(bytes);
  await loaded?.session.release();
  loaded = { session, specs, manifest };
  post({ kind: 'loaded', source, layers: specs.length, loadMs: performance.now() - t0, modelBytes: bytes.byteLength, sha256: await sha256(bytes) });
}

/** Greedy decoding, as `ssmc generate` does at temperature 0. */
async function generate(prompt: string, maxTokens: number): Promise<void> {
  if (!loaded) throw new Error('the model is not loaded yet');
  const bytes = [...new TextEncoder().encode(prompt)];
  if (bytes.length === 0) throw new Error('type a prompt first: the model needs at least one byte to condition on');
  const decoder = new TextDecoder();
  const { manifest } = loaded;
  let generated = 0;
  let text = '';
  let firstTokenAt = 0;
  // Rate from the first generated token on: the prompt is fed step by step before it.
  const rate = () => (generated > 1 ? (generated - 1) / ((performance.now() - firstTokenAt) / 1000) : 0);
  await generateTokens(loaded.session, loaded.specs, bytes, maxTokens, (logits) => argmaxRow(logits, 0, manifest.vocab), (token) => {
    if (generated === 0) firstTokenAt = performance.now();
    generated++;
    const piece = decoder.decode(Uint8Array.of(token), { stream: true });
    text += piece;
    post({ kind: 'token', text: piece, generated, tokensPerSecond: rate() });
  });
  text += decoder.decode();
  post({ kind: 'done', text, generated, tokensPerSecond: rate(), promptBytes: bytes.length });
}

// Jobs run one after another: a reload never swaps the session under a running generation.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  queue = queue
    .then(() => (msg.kind === 'load' ? load(msg.source) : generate(msg.prompt, msg.maxTokens)))
    .catch((err: unknown) => post({ kind: 'error', message: err instanceof Error ? err.message : String(err) }));
};
