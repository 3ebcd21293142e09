import { Worker } from 'node:worker_threads';
import type { Tensor } from '../../ir/tensor.js';
import type { IterationStats, SequenceRequest } from './batcher.js';
import type { FromWorker, ToWorker, WorkerSetup } from './engine-protocol.js';

/** A worker thread running engine-worker.ts, started and ready. */
class EngineWorker {
  private dead: string | null = null;
  private readonly listeners: ((m: FromWorker) => void)[] = [];

  private constructor(private readonly worker: Worker, readonly reservedBytes: number) {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'fatal') this.die(m.message);
      for (const l of this.listeners) l(m);
    });
    worker.on('error', (e) => this.die(e.message));
    worker.on('exit', (code) => this.die(`the engine thread exited (code ${code})`));
  }

  static start(setup: WorkerSetup): Promise<EngineWorker> {
    const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: setup });
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'ready') {
          worker.off('message', onMessage);
          resolve(new EngineWorker(worker, m.reservedBytes ?? 0));
        } else if (m.type === 'fatal') reject(new Error(`the ${setup.kind} engine failed to start: ${m.message}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  get failure(): string | null {
    return this.dead;
  }

  onMessage(listener: (m: FromWorker) => void): void {
    this.listeners.push(listener);
  }

  send(m: ToWorker): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  async stop(): Promise<void> {
    if (this.dead) return;
    this.dead = 'stopped';
    this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }

  private die(message: string): void {
    if (this.dead) return;
    this.dead = message;
    for (const l of this.listeners) l({ type: 'fatal', message });
  }
}

export interface SequenceHandlers {
  /** A new token; `last` when it was the request's max_tokens-th. */
  token(token: number, last: boolean): void;
  /** The engine died: the sequence will get no more tokens. */
  failed(message: string): void;
}

export interface EngineSnapshot {
  running: number;
  queued: number;
}

/** The main thread's handle on the LM worker: submit sequences, get their tokens, cancel them. */
export class LmEngine {
  private nextId = 1;
  private readonly handlers = new Map<number, SequenceHandlers>();
  private readonly iterationListeners: ((stats: IterationStats, snapshot: EngineSnapshot) => void)[] = [];
  snapshot: EngineSnapshot = { running: 0, queued: 0 };

  private constructor(private readonly worker: EngineWorker) {
    worker.onMessage((m) => {
      if (m.type === 'iteration') {
        this.snapshot = { running: m.running, queued: m.queued };
        for (const e of m.events) {
          const h = this.handlers.get(e.id);
          if (!h) continue; // cancelled meanwhile
          if (e.last) this.handlers.delete(e.id);
          h.token(e.token, e.last);
        }
        for (const l of this.iterationListeners) l(m.stats, this.snapshot);
      } else if (m.type === 'fatal') {
        const all = [...this.handlers.values()];
        this.handlers.clear();
        for (const h of all) h.failed(m.message);
      }
    });
  }

  static async start(setup: Extract<WorkerSetup, { kind: 'lm' }>): Promise<LmEngine> {
    return new LmEngine(await EngineWorker.start(setup));
  }

  /** Bytes the batcher reserves for max-batch sequences' states and logits. */
  get reservedBytes(): number {
    return this.worker.reservedBytes;
  }

  /** Sequences submitted and not yet finished or cancelled. */
  get inFlight(): number {
    return this.handlers.size;
  }

  get failure(): string | null {
    return this.worker.failure;
  }

  submit(req: Omit<SequenceRequest, 'id'>, handlers: SequenceHandlers): { cancel(): void } {
    const id = this.nextId++;
    this.handlers.set(id, handlers);
    this.worker.send({ type: 'add', req: { ...req, id } });
    return {
      cancel: () => {
        if (this.handlers.delete(id)) this.worker.send({ type: 'cancel', id });
      },
    };
  }

  onIteration(listener: (stats: IterationStats, snapshot: EngineSnapshot) => void): void {
    this.iterationListeners.push(listener);
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }
}

export class InferFailure extends Error {
  constructor(message: string, readonly user: boolean) {
    super(message);
  }
}

/** The main thread's handle on the v2 worker: one request at a time, in order. */
export class InferEngine {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: { outputs: Map<string, Tensor>; ms: number }) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: EngineWorker) {
    worker.onMessage((m) => {
      if (m.type === 'inferred' || m.type === 'failed') {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.type === 'inferred') p.resolve({ outputs: new Map(m.outputs), ms: m.ms });
        else p.reject(new InferFailure(m.message, m.user));
      } else if (m.type === 'fatal') {
        const all = [...this.pending.values()];
        this.pending.clear();
        for (const p of all) p.reject(new InferFailure(`the inference engine stopped: ${m.message}`, false));
      }
    });
  }

  static async start(setup: Extract<WorkerSetup, { kind: 'infer' }>): Promise<InferEngine> {
    return new InferEngine(await EngineWorker.start(setup));
  }

  /** Requests queued or running. */
  get inFlight(): number {
    return this.pending.size;
  }

  get failure(): string | null {
    return this.worker.failure;
  }

  infer(feeds: Map<string, Tensor>, outputs: string[]): { result: Promise<{ outputs: Map<string, Tensor>; ms: number }>; cancel(): void } {
    const id = this.nextId++;
    const result = new Promise<{ outputs: Map<string, Tensor>; ms: number }>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.send({ type: 'infer', id, feeds: [...feeds], outputs });
    return {
      result,
      cancel: () => {
        if (this.pending.delete(id)) this.worker.send({ type: 'cancel', id });
      },
    };
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }
}
