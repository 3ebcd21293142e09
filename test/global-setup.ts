import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One temporary folder for the whole test run, removed at its end: the tests' own mkdtemp folders
 * (written models, checkpoints, servers' files, Chromium's profiles) are made inside it, so a run
 * leaves nothing behind — about 400 MB in ~150 folders a run before. The workers and every
 * process a test spawns inherit TMPDIR, which os.tmpdir() reads on each call.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ssmc-test-run-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}
