import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModel, Progress, type ProgressEvent } from 'ssmc';
import { formatMs, progressWanted, TerminalProgress } from 'ssmc/terminal';

/**
 * Progress of long work: the library reports tasks to a sink (ir/progress.ts); the CLI draws them
 * on stderr when it is a terminal and nowhere else (src/cli/progress-terminal.ts). Checked as
 * units, then through the real CLI: under a pseudo-terminal (util-linux `script`) progress shows
 * on stderr and stays out of stdout; in a pipe, in CI and with --quiet there is none.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
const SCRIPT = '/usr/bin/script';
const haveScript = existsSync(SCRIPT);
if (!haveScript && !process.env.CI) console.warn(`progress terminal tests skipped: ${SCRIPT} is missing (Debian's bsdutils)`);

function collect(): { events: ProgressEvent[]; progress: Progress } {
  const events: ProgressEvent[] = [];
  let t = 0;
  return { events, progress: new Progress((e) => events.push(e), [], () => (t += 10)) };
}

describe('Progress (the library side)', () => {
  it('reports nested tasks as begin/end pairs with their paths, times and details', () => {
    const { events, progress } = collect();
    const r = progress.run('build', (task) => {
      task.progress.run('layers.0', () => 1);
      task.detail('12 nodes');
      return 42;
    });
    expect(r).toBe(42);
    expect(events).toEqual([
      { kind: 'begin', path: ['build'] },
      { kind: 'begin', path: ['build', 'layers.0'] },
      { kind: 'end', path: ['build', 'layers.0'], ms: 10 },
      { kind: 'end', path: ['build'], ms: 30, detail: '12 nodes' },
    ]);
  });

  it('ends a task that throws or rejects, marked failed, and passes the error on', async () => {
    const { events, progress } = collect();
    expect(() => progress.run('sync', () => {
      throw new Error('boom');
    })).toThrow('boom');
    await expect(progress.run('async', async () => {
      throw new Error('later');
    })).rejects.toThrow('later');
    await expect(progress.run('fine', async () => 7)).resolves.toBe(7);
    expect(events.filter((e) => e.kind === 'end').map((e) => [e.path[0], e.failed ?? false])).toEqual([['sync', true], ['async', true], ['fine', false]]);
  });

  it('costs nothing when nobody listens', () => {
    expect(Progress.none.active).toBe(false);
    expect(Progress.none.run('x', (task) => task.progress === Progress.none)).toBe(true);
  });

  it('comes from a compile per stage, per layer and per pass, kernel precomputation included', () => {
    const { events, progress } = collect();
    compileModel({ arch: 'gss-lm', args: { num_tokens: 16, depth: 2, dim: 8, dss_kernel_N: 4, dss_kernel_H: 4 } }, null, { seqLen: 32, opset: 17, progress });
    const ends = events.filter((e) => e.kind === 'end').map((e) => e.path.join(' › '));
    expect(ends).toContain('initialise');
    expect(ends).toContain('build › layers.0 › dss › kernel');
    expect(ends).toContain('build › layers.1');
    expect(ends).toContain('lower › fold-constants');
    expect(ends.filter((p) => p.startsWith('lower › ')).length).toBeGreaterThanOrEqual(10);
    expect(ends[ends.length - 1]).toBe('lower');
    expect(events.filter((e) => e.kind === 'begin')).toHaveLength(ends.length);
  });
});

describe('TerminalProgress (the terminal side)', () => {
  const drawn = (events: [ProgressEvent['kind'], string[], number, string?][], opts: { keepMs?: number } = {}) => {
    let out = '', now = 0;
    const term = new TerminalProgress({ write: (s: string) => (out += s), isTTY: true, columns: 60 }, { tickMs: 0, color: false, now: () => now, ...opts });
    for (const [kind, path, at, detail] of events) {
      now = at;
      term.sink(kind === 'begin' ? { kind, path } : { kind, path, ms: at - 0, ...(detail ? { detail } : {}) });
    }
    term.stop();
    return out;
  };

  it('keeps a line per top-level task and per slow inner task, and draws the live line in place', () => {
    const out = drawn([
      ['begin', ['build'], 0], ['begin', ['build', 'fast'], 0], ['end', ['build', 'fast'], 5],
      ['begin', ['build', 'slow'], 5], ['end', ['build', 'slow'], 900], ['end', ['build'], 1000, '12 nodes'],
    ]);
    expect(screen(out)).toEqual(['  build', '    ✓ slow  900 ms', '  ✓ build  1.00 s  12 nodes']);
    expect(out).toContain('\r\x1b[2K⠋ build  0 ms'); // the live line: spinner, path, elapsed
    expect(out).toMatch(/build › slow/);
    expect(out.endsWith('\n') || out.endsWith('\r\x1b[2K')).toBe(true); // no live line is left behind
  });

  it('marks failures and cuts lines to the terminal width', () => {
    const out = drawn([['begin', ['a'.repeat(80)], 0], ['end', ['a'.repeat(80)], 3]], {});
    for (const line of out.split(/\r\x1b\[2K|\n/)) expect([...line].length).toBeLessThanOrEqual(59);
    let failedOut = '';
    const term = new TerminalProgress({ write: (s: string) => (failedOut += s), isTTY: true, columns: 80 }, { tickMs: 0, color: false, now: () => 0 });
    term.sink({ kind: 'begin', path: ['x'] });
    term.sink({ kind: 'end', path: ['x'], ms: 1, failed: true });
    expect(failedOut).toContain('✗ x');
  });

  it('is wanted on a terminal only: not in a pipe, in CI, with --quiet, or on a dumb terminal', () => {
    const tty = { write: () => true, isTTY: true };
    expect(progressWanted(tty, {}, false)).toBe(true);
    expect(progressWanted(tty, { CI: 'false' }, false)).toBe(true);
    expect(progressWanted({ write: () => true, isTTY: false }, {}, false)).toBe(false);
    expect(progressWanted({ write: () => true }, {}, false)).toBe(false);
    expect(progressWanted(tty, { CI: 'true' }, false)).toBe(false);
    expect(progressWanted(tty, { CI: '1' }, false)).toBe(false);
    expect(progressWanted(tty, {}, true)).toBe(false);
    expect(progressWanted(tty, { TERM: 'dumb' }, false)).toBe(false);
  });

  it('reads times as people do', () => {
    expect([formatMs(12.4), formatMs(1234), formatMs(12_345), formatMs(125_000)]).toEqual(['12 ms', '1.23 s', '12.3 s', '2 min 5 s']);
  });
});

/** The environment of a child that is not in CI (vitest under .ci/run sets CI). */
function notCi(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', COLUMNS: '100' };
  delete env.CI;
  return env;
}

/** A shell command line with each argument quoted. */
const sh = (args: string[]) => args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');

/** Run a command with stderr on a pseudo-terminal and stdout into a file: what each got. */
function underTerminal(args: string[], dir: string, env = notCi()): { terminal: string; stdout: string; code: number | null } {
  const out = join(dir, `stdout-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(SCRIPT, ['-qec', `${sh(args)} > ${sh([out])}`, '/dev/null'], { encoding: 'utf8', env, timeout: 120_000 });
  return { terminal: r.stdout, stdout: existsSync(out) ? readFileSync(out, 'utf8') : '', code: r.status };
}

/** What a terminal shows at the end: carriage returns and line erasures applied, colours dropped. */
function screen(raw: string): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const part of raw.replace(/\x1b\[[0-9;]*m/g, '').split(/(\r\n|\n|\r|\x1b\[2K)/)) {
    if (part === '\n' || part === '\r\n') {
      lines.push(cur);
      cur = '';
    } else if (part === '\r' || part === '\x1b[2K') cur = '';
    else cur += part;
  }
  if (cur) lines.push(cur);
  return lines;
}

describe.skipIf(!haveScript && !process.env.CI)('the CLI draws progress on a terminal only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmc-progress-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const model = join(dir, 'model.json');
  writeFileSync(model, JSON.stringify({ arch: 'gss-lm', args: { num_tokens: 16, depth: 2, dim: 8, dss_kernel_N: 4, dss_kernel_H: 4 } }));

  it('compile: stages on the terminal with their times, results alone on stdout', () => {
    const out = join(dir, 'm.onnx');
    const r = underTerminal([process.execPath, CLI, 'compile', model, '--seq-len', '64', '-o', out], dir);
    expect(r.code, r.terminal).toBe(0);
    const shown = screen(r.terminal);
    expect(shown.some((l) => /^ {2}✓ build {2}\d+ ms {2}\d+ nodes$/.test(l)), shown.join('\n')).toBe(true);
    expect(shown.some((l) => /^ {2}✓ lower {2}[\d.]+ m?s/.test(l))).toBe(true);
    expect(shown.some((l) => l.startsWith(`  ✓ write ${out}`))).toBe(true);
    expect(r.terminal).toContain('› fold-constants'); // each pass passed through the live line
    expect(r.stdout.startsWith('compiled gss-lm')).toBe(true);
    expect(r.stdout).not.toMatch(/[\r\x1b✓⠋]/);
  });

  it('compile: nothing with --quiet, in CI, or in a pipe', () => {
    // The model has no --weights: stderr holds the random-init warning and nothing else.
    const withoutWarning = (text: string) => text.split(/\r?\n/).filter((l) => !l.startsWith('WARNING: ') && l.trim() !== '').join('\n');
    for (const [args, env] of [[['--quiet'], notCi()], [[], { ...notCi(), CI: '1' }]] as const) {
      const r = underTerminal([process.execPath, CLI, 'compile', model, '--seq-len', '64', ...args, '-o', join(dir, 'q.onnx')], dir, env);
      expect(r.code).toBe(0);
      expect(r.terminal).toContain('WARNING: no --weights');
      expect(withoutWarning(r.terminal)).toBe('');
      expect(r.stdout.startsWith('compiled gss-lm')).toBe(true);
    }
    const piped = spawnSync(process.execPath, [CLI, 'compile', model, '--seq-len', '64', '-o', join(dir, 'p.onnx')], { encoding: 'utf8', env: notCi() });
    expect(piped.status).toBe(0);
    expect(piped.stderr).toContain('WARNING: no --weights');
    expect(withoutWarning(piped.stderr)).toBe('');
    expect(piped.stdout.startsWith('compiled gss-lm')).toBe(true);
  });

  it('verify: one line per check with its verdict, the table on stdout', () => {
    const r = underTerminal([process.execPath, CLI, 'verify', model, '--len', '16'], dir);
    expect(r.code, r.terminal).toBe(0);
    const shown = screen(r.terminal).join('\n');
    expect(shown).toMatch(/✓ float64 reference .*conv vs reference: PASS/);
    expect(shown).toMatch(/✓ run step graph \(16 positions\) .*vs conv PASS.*vs float64 reference PASS/);
    expect(shown).toMatch(/✓ run prefill \(8 positions\) \+ steps .*vs conv PASS/);
    expect(r.stdout).toMatch(/^model: gss-lm from .*\nverify gss-lm/);
    expect(r.stdout).not.toMatch(/[\r\x1b✓]/);
  }, 60_000);

  it('serve: start-up stages before it says it is listening', async () => {
    const child = spawn(SCRIPT, ['-qec', sh([process.execPath, CLI, 'serve', model, '--port', '0', '--host', '127.0.0.1']), '/dev/null'], { env: notCi() });
    let raw = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 'listening' in: ${raw}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        raw += d.toString();
        if (/listening on http/.test(raw)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const shown = screen(raw);
    const listening = shown.findIndex((l) => l.startsWith('listening on'));
    for (const stage of ['compile conv graph', 'compile step graph', 'compile prefill graph', 'start engines (node) and listen']) {
      const at = shown.findIndex((l) => l.startsWith(`  ✓ ${stage}`));
      expect(at, shown.join('\n')).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThan(listening);
    }
  }, 90_000);

  it('bench: each case on the terminal, the table on stdout', () => {
    const bench = join(ROOT, 'dist/bench/fftconv-lowerings.js');
    const r = underTerminal([process.execPath, bench, '--H', '4', '--L', '64'], dir);
    expect(r.code, r.terminal).toBe(0);
    const shown = screen(r.terminal).join('\n');
    expect(shown).toMatch(/✓ L=64 dft {2}[\d.]+ m?s {2}[\d.]+ ms \(/);
    expect(shown).toMatch(/✓ L=64 fourstep/);
    expect(r.stdout).toMatch(/\| L \|/);
    expect(r.stdout).not.toMatch(/[\r\x1b✓]/);
  }, 60_000);
});
