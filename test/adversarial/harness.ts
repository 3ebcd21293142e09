import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { writeSafetensors } from 'ssmc';
import type { Tensor } from 'ssmc/ir';

/**
 * The adversarial suite's harness: run the built CLI on hostile input and hold it to the promise —
 * one line on stderr naming the problem, the expected exit code, no stack trace, no hang, and no
 * output or temporary file left behind.
 */

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run ssmc with a hard time limit (a hang fails the test instead of stalling the suite). */
export function ssmc(args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): Ran {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8', cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, input: opts.input, maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: performance.now() - t0 };
}

/** Start ssmc without waiting (signals, slow pipes). */
export function ssmcAsync(args: string[], cwd?: string) {
  return spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function workdir(prefix = 'ssmc-adv-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The one-line outcome: exit code, one stderr line matching every pattern, no stack trace. */
export function expectOneLine(r: Ran, code: number, ...patterns: RegExp[]): void {
  expect(r.signal, `killed by ${r.signal} after ${r.ms.toFixed(0)} ms (a hang?)`).toBeNull();
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]!.length).toBeLessThanOrEqual(2100);
  for (const p of patterns) expect(lines[0]).toMatch(p);
}

/** Nothing but `keep` in `dir`: no output, no partial or temporary file. */
export function expectNoLeftovers(dir: string, keep: readonly string[]): void {
  expect(readdirSync(dir).filter((f) => !keep.includes(f)).sort()).toEqual([]);
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

export function writeWeights(dir: string, name: string, tensors: Map<string, Tensor> | Record<string, Tensor>): string {
  const p = join(dir, name);
  writeFileSync(p, writeSafetensors(tensors));
  return p;
}

/** mkfifo(1): the FIFO cases need a real named pipe. */
export function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr}`);
}
