import { Progress, type ProgressEvent } from '../../ir/progress.js';

/**
 * Progress drawn on a terminal: one live line (spinner, the open tasks, elapsed time) that is
 * rewritten in place, and a kept line for each finished stage — every top-level task, and deeper
 * tasks that took a while or failed. Only on a terminal: in a pipe, in CI or with --quiet nothing
 * is drawn (the caller gets Progress.none), and nothing ever goes to stdout.
 */

/** The part of a stream the drawing needs (process.stderr, or a test's recorder). */
export interface TerminalStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface TerminalOptions {
  /**
   * A second-level task keeps its line when it took at least this long (default 250 ms); each level
   * deeper needs 4× as long, so nested detail shows only where the time went.
   */
  keepMs?: number;
  /** Colours (default: unless NO_COLOR is set). */
  color?: boolean;
  /** Redraw the live line this often while work waits (ms; 0: only on events). Default 100. */
  tickMs?: number;
  now?: () => number;
}

/** Whether progress should be drawn on `stream`: a terminal, not CI, TERM not dumb, not --quiet. */
export function progressWanted(stream: TerminalStream, env: Record<string, string | undefined>, quiet: boolean): boolean {
  if (quiet || stream.isTTY !== true) return false;
  const ci = env.CI;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return false;
  return env.TERM !== 'dumb';
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}

interface OpenTask {
  path: readonly string[];
  t0: number;
  /** Its header line was written (a kept child line came before its own end). */
  headed: boolean;
}

export class TerminalProgress {
  private readonly open: OpenTask[] = [];
  private liveShown = false;
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly keepMs: number;
  private readonly color: boolean;
  private readonly now: () => number;

  constructor(private readonly stream: TerminalStream, opts: TerminalOptions = {}) {
    this.keepMs = opts.keepMs ?? 250;
    this.color = opts.color ?? true;
    this.now = opts.now ?? (() => performance.now());
    const tick = opts.tickMs ?? 100;
    if (tick > 0) {
      this.timer = setInterval(() => this.drawLive(), tick);
      this.timer.unref?.();
    }
  }

  /** The library's sink: give it to `new Progress(...)`. */
  readonly sink = (e: ProgressEvent): void => {
    if (e.kind === 'begin') {
      this.open.push({ path: e.path, t0: this.now(), headed: false });
      this.drawLive();
      return;
    }
    const at = this.open.findIndex((t) => sameTask(t.path, e.path));
    const task = at >= 0 ? this.open.splice(at, 1)[0]! : { path: e.path, t0: this.now(), headed: false };
    const depth = e.path.length;
    if (depth === 1 || task.headed || e.failed || (e.ms ?? 0) >= this.keepMs * 4 ** (depth - 2)) {
      this.clear();
      for (const parent of this.open) {
        if (parent.headed || parent.path.length >= depth || !sameTask(parent.path, e.path.slice(0, parent.path.length))) continue;
        this.stream.write(`${indent(parent.path.length)}${parent.path[parent.path.length - 1]}\n`);
        parent.headed = true;
      }
      const mark = e.failed ? this.paint('31', '✗') : this.paint('32', '✓');
      const label = e.path[depth - 1]!;
      const time = this.paint('2', formatMs(e.ms ?? 0));
      this.stream.write(this.fit(`${indent(depth)}${mark} ${label}  ${time}${e.detail ? `  ${e.detail}` : ''}`) + '\n');
    }
    this.drawLive();
  };

  /** Erase the live line (before anything else writes to the terminal); the next event or tick redraws it. */
  clear(): void {
    if (!this.liveShown) return;
    this.stream.write('\r\x1b[2K');
    this.liveShown = false;
  }

  /** Stop redrawing and erase the live line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  private drawLive(): void {
    const inner = this.open[this.open.length - 1];
    if (!inner) {
      this.clear();
      return;
    }
    const now = this.now();
    const outer = this.open[0]!;
    const spin = this.paint('36', SPINNER[this.frame++ % SPINNER.length]!);
    const line = `${spin} ${inner.path.join(' › ')}  ${this.paint('2', formatMs(now - outer.t0))}`;
    this.stream.write(`\r\x1b[2K${this.fit(line)}`);
    this.liveShown = true;
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** Cut a line to the terminal's width (escape sequences take no columns). */
  private fit(line: string): string {
    const width = (this.stream.columns ?? 100) - 1;
    let visible = 0, out = '';
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '\x1b') {
        const end = line.indexOf('m', i);
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
      if (visible === width - 1 && i < line.length - 1) return `${out}…${this.color ? '\x1b[0m' : ''}`;
      out += line[i];
      visible++;
    }
    return out;
  }
}

function sameTask(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function indent(depth: number): string {
  return '  '.repeat(depth);
}

/** What a command gets: the progress to hand the library, and `stop` for when its work is done. */
export interface CliProgress {
  progress: Progress;
  stop(): void;
}

/**
 * The CLI's progress: drawn on stderr when it is a terminal (and not CI, not --quiet), else none.
 * Anything else written to stdout or stderr meanwhile (results, warnings) first erases the live
 * line, so results and progress never share a line.
 */
export function cliProgress(quiet: boolean): CliProgress {
  const stderr = process.stderr, stdout = process.stdout;
  if (!progressWanted(stderr, process.env, quiet)) return { progress: Progress.none, stop: () => {} };
  const writeErr = stderr.write, writeOut = stdout.write;
  const drawing = new TerminalProgress({
    write: (text: string) => writeErr.call(stderr, text),
    isTTY: true,
    get columns() {
      return stderr.columns;
    },
  }, { color: process.env.NO_COLOR === undefined || process.env.NO_COLOR === '' });
  const guard = <W extends typeof writeErr>(stream: NodeJS.WriteStream, write: W): W => function (this: NodeJS.WriteStream, ...args: Parameters<W>) {
    drawing.clear();
    return (write as (...a: unknown[]) => boolean).apply(stream, args);
  } as W;
  stderr.write = guard(stderr, writeErr);
  if (stdout.isTTY) stdout.write = guard(stdout, writeOut);
  return {
    progress: new Progress(drawing.sink),
    stop: () => {
      drawing.stop();
      stderr.write = writeErr;
      stdout.write = writeOut;
    },
  };
}
