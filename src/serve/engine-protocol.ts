import type { Tensor } from '../../ir/tensor.js';
import type { BackendName } from '../runtime/backend.js';
import type { IterationStats, SequenceRequest, TokenEvent } from './batcher.js';
import type { LmGraphs } from './lm.js';

/** What a worker is started with (`workerData`). */
export type WorkerSetup =
  | { kind: 'lm'; lm: LmGraphs; backend: BackendName; threads: number; maxBatch: number; prefillBudget?: number }
  | { kind: 'infer'; model: Uint8Array; backend: BackendName; threads: number };

/** Main thread → worker. */
export type ToWorker =
  | { type: 'add'; req: SequenceRequest }
  | { type: 'cancel'; id: number }
  | { type: 'infer'; id: number; feeds: [string, Tensor][]; outputs: string[] }
  | { type: 'stop' };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready'; reservedBytes?: number }
  | { type: 'iteration'; events: TokenEvent[]; stats: IterationStats; running: number; queued: number }
  | { type: 'inferred'; id: number; outputs: [string, Tensor][]; ms: number }
  | { type: 'failed'; id: number; message: string; user: boolean }
  | { type: 'fatal'; message: string };
