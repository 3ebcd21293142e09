import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, GSS_CODE } from './harness.js';

const ssmc = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/** Bad flags of `ssmc serve` and `ssmc export-triton`: exit code 2, one message naming the flag, nothing written. */
describe('ssmc serve and export-triton reject bad input', () => {
  it.each([
    [['serve', ...GSS_CODE, '--max-batch', '0'], /--max-batch must be an integer from 1 to 4096, got '0'/],
    [['serve', ...GSS_CODE, '--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['serve', ...GSS_CODE, '--timeout', 'soon'], /--timeout must be a number/],
    [['serve', ...GSS_CODE, '--backend', 'cuda'], /--backend must be one of node, wasm/],
    [['serve', ...GSS_CODE, '--name', 'a/b'], /--name 'a\/b' cannot be a model name in a URL/],
    [['serve', 'missing.onnx'], /model 'missing.onnx' cannot be read: no such file/],
    [['export-triton', ...GSS_CODE], /missing --out/],
    [['export-triton', ...GSS_CODE, '--out', 'x', '--max-batch', '-1'], /--max-batch must be from 1/],
  ])('%j', (args, message) => {
    const r = ssmc(args as string[]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a port in use is named, and nothing is left running', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-serve-'));
    try {
      const r = spawnSync(process.execPath, [CLI, 'serve', ...GSS_CODE, '--port', String(port)], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`--port ${port}: the port is in use on 127.0.0.1`));
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
