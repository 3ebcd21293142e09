import { parentPort, workerData } from 'node:worker_threads';
import type { Tensor } from '../../ir/tensor.js';
import { UserError } from '../errors.js';
import type { Session } from '../runtime/backend.js';
import { backendNamed } from '../runtime/select.js';
import { ContinuousBatcher } from './batcher.js';
import type { FromWorker, ToWorker, WorkerSetup } from './engine-protocol.js';

/**
 * The inference side of the server, one per worker thread so that onnxruntime's runs (which
 * block the thread they run on) never stall HTTP: an `lm` worker runs the continuous batcher
 * over the step and prefill graphs; an `infer` worker runs the v2 API's requests one at a time.
 */
const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (m: FromWorker) => port.postMessage(m);

async function main(): Promise<void> {
  const backend = await backendNamed(setup.backend);
  const opts = { threads: setup.threads, onNote: (line: string) => console.error(`ssmc serve: ${line}`) };
  if (setup.kind === 'lm') {
    const step = await backend.createSession(setup.lm.step, opts);
    const prefill = setup.lm.prefill ? await backend.createSession(setup.lm.prefill, opts) : null;
    await runBatcher(new ContinuousBatcher(setup.lm, step, prefill, { maxBatch: setup.maxBatch, prefillBudget: setup.prefillBudget }));
  } else {
    await runInfer(await backend.createSession(setup.model, opts));
  }
}

async function runBatcher(batcher: ContinuousBatcher): Promise<void> {
  let stopping = false;
  let wake: (() => void) | null = null;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'add') batcher.add(m.req);
    else if (m.type === 'cancel') batcher.cancel(m.id);
    else if (m.type === 'stop') stopping = true;
    wake?.();
  });
  post({ type: 'ready', reservedBytes: batcher.reservedBytes });
  while (!stopping) {
    if (!batcher.hasWork()) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      continue;
    }
    const { events, stats } = await batcher.iterate();
    post({ type: 'iteration', events, stats, running: batcher.running, queued: batcher.queued });
    // Let arrivals and cancellations in before the next step.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  port.close();
}

async function runInfer(session: Session): Promise<void> {
  const queue: Extract<ToWorker, { type: 'infer' }>[] = [];
  let busy = false;
  const drain = async () => {
    if (busy) return;
    busy = true;
    while (queue.length > 0) {
      const job = queue.shift()!;
      const t0 = performance.now();
      try {
        const out = await session.run(new Map(job.feeds));
        const outputs = job.outputs.map((name) => [name, out.get(name)!] as [string, Tensor]);
        post({ type: 'inferred', id: job.id, outputs, ms: performance.now() - t0 });
      } catch (e) {
        post({ type: 'failed', id: job.id, message: (e as Error).message, user: e instanceof UserError });
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    busy = false;
  };
  port.on('message', (m: ToWorker) => {
    if (m.type === 'infer') {
      queue.push(m);
      void drain();
    } else if (m.type === 'cancel') {
      // A request that timed out or whose client left: drop it if it has not started.
      const i = queue.findIndex((job) => job.id === m.id);
      if (i >= 0) queue.splice(i, 1);
    } else if (m.type === 'stop') port.close();
  });
  post({ type: 'ready' });
}

main().catch((e) => post({ type: 'fatal', message: (e as Error).stack ?? String(e) }));
