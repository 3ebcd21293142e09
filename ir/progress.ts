/**
 * Progress of long work (a compile, a verification, a benchmark), reported as tasks that begin and
 * end. The library only calls a sink; where the reports go is the caller's choice — the CLI draws
 * them on a terminal's stderr and drops them in pipes (src/cli/progress-terminal.ts), a web page
 * may show them, the tests collect them. No I/O here, so the core stays browser-safe.
 */

export interface ProgressEvent {
  kind: 'begin' | 'end';
  /** The task and the tasks it runs inside, outermost first: ['passes', 'fold-constants']. */
  path: readonly string[];
  /** Milliseconds from the task's begin to its end (end events). */
  ms?: number;
  /** A short outcome shown after the task on its end ('338 nodes', 'PASS'). */
  detail?: string;
  /** The task ended by an exception (end events). */
  failed?: boolean;
}

export type ProgressSink = (event: ProgressEvent) => void;

/** What a task's work gets: the progress to report its own subtasks to, and a way to set its outcome. */
export interface TaskHandle {
  readonly progress: Progress;
  /** The short outcome its end event carries. */
  detail(text: string): void;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/**
 * Reports tasks to a sink (or nowhere). `run` times a piece of synchronous or asynchronous work
 * as a task: its begin now, its end when the work returns or its promise settles — also when it
 * throws, marked failed. Subtasks are run through the handle's `progress`.
 */
export class Progress {
  /** Reports nothing: the default wherever a caller gives no progress. */
  static readonly none = new Progress(null);

  constructor(
    private readonly sink: ProgressSink | null,
    private readonly path: readonly string[] = [],
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Whether anything listens (callers may skip preparing labels when not). */
  get active(): boolean {
    return this.sink !== null;
  }

  run<T>(label: string, work: (task: TaskHandle) => T): T {
    if (this.sink === null) return work({ progress: this, detail: () => {} });
    const sink = this.sink;
    const path = [...this.path, label];
    let detail: string | undefined;
    const handle: TaskHandle = { progress: new Progress(sink, path, this.clock), detail: (text) => (detail = text) };
    const t0 = this.clock();
    const end = (failed: boolean) => sink({ kind: 'end', path, ms: this.clock() - t0, ...(detail !== undefined ? { detail } : {}), ...(failed ? { failed } : {}) });
    sink({ kind: 'begin', path });
    let result: T;
    try {
      result = work(handle);
    } catch (e) {
      end(true);
      throw e;
    }
    if (isThenable(result)) {
      return result.then((v) => {
        end(false);
        return v;
      }, (e: unknown) => {
        end(true);
        throw e;
      }) as T;
    }
    end(false);
    return result;
  }
}
