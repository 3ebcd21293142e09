import { describeInspectError, inspectOnnx } from './inspect-view.js';
import type { DemoManifest, FromWorker, ModelSource, ToWorker } from './protocol.js';

/** The demo page: a generation view (worker-driven) and an inspector view. Vanilla DOM, no framework. */

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

// --- tabs -------------------------------------------------------------------------------------

for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll<HTMLButtonElement>('.tab')) t.classList.toggle('active', t === tab);
    for (const view of document.querySelectorAll<HTMLElement>('.view')) view.hidden = view.id !== `view-${tab.dataset.view}`;
  });
}

// --- generation -------------------------------------------------------------------------------

const promptBox = $<HTMLTextAreaElement>('prompt');
const maxTokensBox = $<HTMLInputElement>('max-tokens');
const generateButton = $<HTMLButtonElement>('generate');
const status = $<HTMLElement>('status');
const outPrompt = $<HTMLElement>('output-prompt');
const outGenerated = $<HTMLElement>('output-generated');
const rate = $<HTMLElement>('rate');
const output = $<HTMLElement>('output');
const sourceBox = $<HTMLSelectElement>('source');

const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const send = (msg: ToWorker) => worker.postMessage(msg);

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const msg = e.data;
  switch (msg.kind) {
    case 'loaded': {
      const how = msg.source === 'compile' ? 'compiled in the browser' : 'fetched';
      status.textContent = `model loaded (${msg.layers} layers, ${(msg.modelBytes / 1e6).toFixed(1)} MB ${how} in ${(msg.loadMs / 1000).toFixed(1)} s, sha256 ${msg.sha256.slice(0, 12)}…)`;
      generateButton.disabled = false;
      sourceBox.disabled = false;
      document.body.dataset.state = 'ready';
      document.body.dataset.modelSha256 = msg.sha256;
      break;
    }
    case 'token':
      outGenerated.textContent += msg.text;
      rate.textContent = `${msg.generated} tokens, ${msg.tokensPerSecond.toFixed(1)} tokens/s`;
      break;
    case 'done':
      outGenerated.textContent = msg.text; // the whole text, with the decoder's trailing partial character flushed
      rate.textContent = `${msg.generated} tokens, ${msg.tokensPerSecond.toFixed(1)} tokens/s (after a prompt of ${msg.promptBytes} bytes fed step by step)`;
      status.textContent = 'done';
      generateButton.disabled = false;
      sourceBox.disabled = false;
      document.body.dataset.state = 'done';
      output.dataset.generated = msg.text;
      break;
    case 'error':
      status.textContent = `error: ${msg.message}`;
      generateButton.disabled = false;
      sourceBox.disabled = false;
      document.body.dataset.state = 'error';
      break;
  }
};

generateButton.addEventListener('click', () => {
  const maxTokens = Number(maxTokensBox.value);
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 2000) {
    status.textContent = 'tokens to generate must be a whole number from 1 to 2000';
    return;
  }
  if (promptBox.value.length === 0) {
    status.textContent = 'type a prompt first: the model needs at least one byte to condition on';
    return;
  }
  generateButton.disabled = true;
  sourceBox.disabled = true; // no model swap in the middle of a generation
  document.body.dataset.state = 'generating';
  delete output.dataset.generated;
  outPrompt.textContent = promptBox.value;
  outGenerated.textContent = '';
  rate.textContent = '';
  status.textContent = 'generating…';
  send({ kind: 'generate', prompt: promptBox.value, maxTokens });
});

let manifest: DemoManifest | null = null;
fetch('gss-code.json').then(async (res) => {
  manifest = (await res.json()) as DemoManifest;
  if (promptBox.value === '') promptBox.value = manifest.prompt;
}).catch((e: unknown) => (status.textContent = `cannot load gss-code.json: ${String(e)}`));
function loadModel(): void {
  generateButton.disabled = true;
  sourceBox.disabled = true;
  document.body.dataset.state = 'loading';
  delete document.body.dataset.modelSha256;
  const source = sourceBox.value as ModelSource;
  status.textContent = source === 'compile' ? 'compiling the step graph from the checkpoint…' : 'loading the model…';
  send({ kind: 'load', source });
}
sourceBox.addEventListener('change', loadModel);
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

/** For scripts and tests driving the page: 'busy' while reading, then 'shown' or 'error'. */
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
    // The library's page runs in a sandboxed frame: its own styles and script stay out of this page's.
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
