import { describeInspectError, inspectOnnx } from './inspect-view.js';
import type { DemoManifest, DemoSampling, FromWorker, ModelSource, ToWorker } from './protocol.js';

/**
 * The demo page: a generation view (worker-driven) and an inspector view. Vanilla DOM, no
 * framework. The page's state is `body[data-state]` — loading, ready, generating, done, error —
 * and the styles make each look like what it is; scripts and tests read the same attribute.
 */

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

// --- tabs -------------------------------------------------------------------------------------

for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll<HTMLButtonElement>('.tab')) {
      t.classList.toggle('active', t === tab);
      if (t === tab) t.setAttribute('aria-current', 'page');
      else t.removeAttribute('aria-current');
    }
    for (const view of document.querySelectorAll<HTMLElement>('.view')) view.hidden = view.id !== `view-${tab.dataset.view}`;
  });
}

// --- generation -------------------------------------------------------------------------------

const promptBox = $<HTMLTextAreaElement>('prompt');
const maxTokensBox = $<HTMLInputElement>('max-tokens');
const generateButton = $<HTMLButtonElement>('generate');
const generateLabel = generateButton.querySelector<HTMLElement>('.btn-label')!;
const stopButton = $<HTMLButtonElement>('stop');
const status = $<HTMLElement>('status');
const output = $<HTMLElement>('output');
const outPrompt = $<HTMLElement>('output-prompt');
const outGenerated = $<HTMLElement>('output-generated');
const progressBar = $<HTMLElement>('progress-bar');
const rate = $<HTMLElement>('rate');
const sourceBox = $<HTMLSelectElement>('source');
const badge = $<HTMLElement>('model-badge');
const badgeText = $<HTMLElement>('model-badge-text');
const loadingTitle = $<HTMLElement>('loading-title');
const facts = $<HTMLElement>('model-facts');
const errorBox = $<HTMLElement>('error');
const errorMessage = $<HTMLElement>('error-message');
const backendLabel = $<HTMLElement>('backend');
const tokensPerSecond = $<HTMLElement>('tokens-per-second');
const statTokens = $<HTMLElement>('stat-tokens');
const statFirst = $<HTMLElement>('stat-first');
const statPrompt = $<HTMLElement>('stat-prompt');
const temperature = $<HTMLInputElement>('temperature');
const temperatureValue = $<HTMLOutputElement>('temperature-value');
const topK = $<HTMLInputElement>('top-k');
const topKValue = $<HTMLOutputElement>('top-k-value');
const seedBox = $<HTMLInputElement>('seed');

type PageState = 'loading' | 'ready' | 'generating' | 'done' | 'error';

/** One place that moves the page between states: the body attribute, the badge, the buttons. */
function setState(state: PageState): void {
  document.body.dataset.state = state;
  const busy = state === 'loading' || state === 'generating';
  generateButton.disabled = busy || (state === 'error' && !document.body.dataset.modelSha256);
  sourceBox.disabled = busy; // no model swap in the middle of a generation
  stopButton.hidden = state !== 'generating';
  generateLabel.textContent = state === 'loading' ? 'Loading the model…' : state === 'generating' ? 'Generating…' : 'Generate';
  badge.className = `badge ${state === 'loading' ? 'loading' : state === 'generating' ? 'busy' : state === 'error' ? 'error' : 'ready'}`;
  badgeText.textContent = state === 'loading' ? 'loading' : state === 'generating' ? 'generating' : state === 'error' ? 'error' : 'ready';
  if (state !== 'error') errorBox.hidden = true;
}

function showError(message: string): void {
  errorMessage.textContent = message;
  errorBox.hidden = false;
  status.textContent = `error: ${message}`;
  setState('error');
}

const ms = (t: number) => (t >= 1000 ? `${(t / 1000).toFixed(1)} s` : `${Math.round(t)} ms`);

/** The live figure: redrawn once per animation frame however fast tokens come. */
let pendingRate: { tps: number; generated: number; firstTokenMs: number } | null = null;
function showRate(r: { tps: number; generated: number; firstTokenMs: number }): void {
  if (pendingRate === null) requestAnimationFrame(() => {
    const p = pendingRate!;
    pendingRate = null;
    tokensPerSecond.textContent = p.generated > 1 ? p.tps.toFixed(1) : '…';
    statTokens.textContent = String(p.generated);
    statFirst.textContent = p.generated > 0 ? ms(p.firstTokenMs) : '—';
  });
  pendingRate = r;
}

let maxTokens = 0;
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const send = (msg: ToWorker) => worker.postMessage(msg);

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const msg = e.data;
  switch (msg.kind) {
    case 'loaded': {
      const how = msg.source === 'compile' ? 'compiled in the browser' : 'fetched';
      status.textContent = `model loaded (${msg.layers} layers, ${(msg.modelBytes / 1e6).toFixed(1)} MB ${how} in ${(msg.loadMs / 1000).toFixed(1)} s, sha256 ${msg.sha256.slice(0, 12)}…)`;
      $('fact-layers').textContent = `${msg.layers} GSS`;
      $('fact-size').textContent = `${(msg.modelBytes / 1e6).toFixed(1)} MB`;
      $('fact-load').textContent = `${(msg.loadMs / 1000).toFixed(1)} s (${msg.source === 'compile' ? 'compiled here' : 'fetched'})`;
      $('fact-sha').innerHTML = '';
      const code = document.createElement('code');
      code.textContent = `${msg.sha256.slice(0, 12)}…`;
      code.title = msg.sha256;
      $('fact-sha').appendChild(code);
      facts.hidden = false;
      backendLabel.textContent = msg.backend;
      backendLabel.title = msg.backendWhy;
      document.body.dataset.backend = msg.backend;
      document.body.dataset.modelSha256 = msg.sha256;
      setState('ready');
      break;
    }
    case 'token':
      outGenerated.textContent += msg.text;
      output.scrollTop = output.scrollHeight;
      progressBar.style.width = `${(100 * msg.generated) / Math.max(1, maxTokens)}%`;
      showRate({ tps: msg.tokensPerSecond, generated: msg.generated, firstTokenMs: msg.firstTokenMs });
      rate.textContent = `${msg.generated} tokens, ${msg.tokensPerSecond.toFixed(1)} tokens/s`;
      break;
    case 'done':
      outGenerated.textContent = msg.text; // the whole text, with the decoder's trailing partial character flushed
      showRate({ tps: msg.tokensPerSecond, generated: msg.generated, firstTokenMs: msg.firstTokenMs });
      rate.textContent = `${msg.generated} tokens, ${msg.tokensPerSecond.toFixed(1)} tokens/s (after a prompt of ${msg.promptBytes} bytes fed step by step)${msg.stopped ? ', stopped' : ''}`;
      status.textContent = msg.stopped ? 'stopped' : 'done';
      progressBar.style.width = '100%';
      output.dataset.generated = msg.text;
      setState('done');
      break;
    case 'error':
      showError(msg.message);
      break;
  }
};
worker.onerror = (e) => showError(`the worker failed: ${e.message || 'it could not start (is the page served over http?)'}`);

/** The sampling controls as the worker takes them, or a sentence saying what to fix. */
function readSampling(): DemoSampling | string {
  const t = Number(temperature.value), k = Number(topK.value), seed = Number(seedBox.value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return 'the seed must be a whole number from 0 to 4294967295';
  return { temperature: t, topK: k, seed };
}

function describeSampling(): void {
  const t = Number(temperature.value), k = Number(topK.value);
  temperatureValue.textContent = t === 0 ? '0 · greedy' : t.toFixed(2);
  topKValue.textContent = k === 0 ? 'off' : String(k);
  topK.disabled = t === 0; // greedy ignores top-k
}
temperature.addEventListener('input', describeSampling);
topK.addEventListener('input', describeSampling);
$('greedy').addEventListener('click', () => {
  temperature.value = '0';
  topK.value = '0';
  describeSampling();
});
describeSampling();

generateButton.addEventListener('click', () => {
  const tokens = Number(maxTokensBox.value);
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > 2000) {
    status.textContent = 'tokens to generate must be a whole number from 1 to 2000';
    maxTokensBox.focus();
    return;
  }
  if (promptBox.value.length === 0) {
    status.textContent = 'type a prompt first: the model needs at least one byte to condition on';
    promptBox.focus();
    return;
  }
  const sampling = readSampling();
  if (typeof sampling === 'string') {
    status.textContent = sampling;
    seedBox.focus();
    return;
  }
  maxTokens = tokens;
  delete output.dataset.generated;
  outPrompt.textContent = promptBox.value;
  outGenerated.textContent = '';
  output.classList.add('has-text');
  progressBar.style.width = '0%';
  rate.textContent = '';
  tokensPerSecond.textContent = '…';
  statTokens.textContent = '0';
  statFirst.textContent = '—';
  statPrompt.textContent = String(new TextEncoder().encode(promptBox.value).length);
  status.textContent = 'generating…';
  setState('generating');
  send({ kind: 'generate', prompt: promptBox.value, maxTokens: tokens, sampling });
});
stopButton.addEventListener('click', () => send({ kind: 'stop' }));
promptBox.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !generateButton.disabled) generateButton.click();
});

let manifest: DemoManifest | null = null;
fetch('gss-code.json').then(async (res) => {
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  manifest = (await res.json()) as DemoManifest;
  if (promptBox.value === '') promptBox.value = manifest.prompt;
}).catch((e: unknown) => showError(`cannot load gss-code.json: ${e instanceof Error ? e.message : String(e)}`));

function loadModel(): void {
  delete document.body.dataset.modelSha256;
  const source = sourceBox.value as ModelSource;
  status.textContent = source === 'compile' ? 'compiling the step graph from the checkpoint…' : 'loading the model…';
  loadingTitle.textContent = source === 'compile' ? 'Compiling the step graph in your browser…' : 'Loading the model…';
  facts.hidden = true;
  setState('loading');
  send({ kind: 'load', source });
}
sourceBox.addEventListener('change', loadModel);
$('retry').addEventListener('click', loadModel);
loadModel();

// --- inspector --------------------------------------------------------------------------------

const drop = $<HTMLElement>('drop');
const fileInput = $<HTMLInputElement>('file');
const dimsBox = $<HTMLInputElement>('dims');
const inspectStatus = $<HTMLElement>('inspect-status');
const summary = $<HTMLElement>('summary');
const valuesText = $<HTMLElement>('values');
let graphFrame = $<HTMLIFrameElement>('graph');
const irText = $<HTMLElement>('ir');

/** The file on show, kept so a change of the dims field re-inspects it without asking for it again. */
let shown: { bytes: Uint8Array; name: string } | null = null;

/**
 * Shows a graph page, or none, in a fresh <iframe>. Re-navigating one frame (srcdoc removed, then
 * set again) makes the browser swap the sandboxed frame's document twice in a row; a new element
 * per page gives each drawing its own frame, and nothing of the previous page can linger.
 */
function showGraphPage(page: string | null): void {
  if (page === null && !graphFrame.hasAttribute('srcdoc')) return;
  const fresh = graphFrame.cloneNode(false) as HTMLIFrameElement;
  fresh.removeAttribute('srcdoc');
  if (page !== null) fresh.srcdoc = page;
  graphFrame.replaceWith(fresh);
  graphFrame = fresh;
}

function clearInspection(): void {
  summary.textContent = '';
  valuesText.textContent = '';
  irText.textContent = '';
}

/** For scripts and tests driving the page, and the status line's look: 'busy' while reading, then 'shown' or 'error'. */
function setInspectState(state: 'busy' | 'shown' | 'error'): void {
  document.body.dataset.inspect = state;
}

function showInspection(bytes: Uint8Array, name: string): void {
  shown = { bytes, name };
  clearInspection();
  try {
    const t0 = performance.now();
    const result = inspectOnnx(bytes, name, dimsBox.value);
    summary.textContent = result.summary;
    valuesText.textContent = result.values;
    irText.textContent = result.irText;
    // The library's page runs in a sandboxed frame, above the report: its own styles and script stay out of this page's.
    showGraphPage(result.graphPage);
    dimsBox.placeholder = result.symbols.length ? result.symbols.map((s) => `${s}=…`).join(' ') : 'this model has no symbolic dims';
    inspectStatus.textContent = `inspected ${name} in ${(performance.now() - t0).toFixed(0)} ms: ${result.highlights}`;
    setInspectState('shown');
  } catch (e) {
    showGraphPage(null);
    inspectStatus.textContent = describeInspectError(e);
    setInspectState('error');
  }
}

/** A newly opened file starts with no dims: they name the previous model's symbols, which this one may not have. */
function openModel(bytes: Uint8Array, name: string): void {
  dimsBox.value = '';
  showInspection(bytes, name);
}

async function inspectFile(file: File): Promise<void> {
  setInspectState('busy');
  inspectStatus.textContent = `reading ${file.name}…`;
  openModel(new Uint8Array(await file.arrayBuffer()), file.name);
}

drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void inspectFile(file);
});
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) void inspectFile(file);
});
dimsBox.addEventListener('change', () => {
  if (shown) showInspection(shown.bytes, shown.name);
});
$<HTMLButtonElement>('inspect-bundled').addEventListener('click', async () => {
  if (!manifest) {
    inspectStatus.textContent = 'gss-code.json is not loaded yet; try again in a moment';
    setInspectState('error');
    return;
  }
  const url = manifest.convModel;
  setInspectState('busy');
  inspectStatus.textContent = `fetching ${url}…`;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    openModel(new Uint8Array(await res.arrayBuffer()), url);
  } catch (e) {
    inspectStatus.textContent = `cannot fetch ${url}: ${e instanceof Error ? e.message : String(e)}`;
    setInspectState('error');
  }
});
