import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectNoLeftovers, expectOneLine, mkfifo, ssmc, workdir, writeJson } from './harness.js';

/**
 * Special files where a regular one is expected: devices that never end, FIFOs that block until a
 * writer comes, directories, sockets. Each is refused at once with one line; nothing is read from
 * them and nothing is written.
 */

const MODEL = { arch: 's4d-minimal', args: { d_model: 4, d_state: 8 } };
const NOT_REGULAR = /not a regular file/;

describe('special files in place of inputs', () => {
  it.each([
    ['/dev/zero', /a character device/],
    ['/dev/urandom', /a character device/],
  ])('compile --weights %s: refused without reading it', (dev, kind) => {
    const dir = workdir();
    const model = writeJson(dir, 'model.json', MODEL);
    expectOneLine(ssmc(['compile', model, '--weights', dev, '-o', join(dir, 'o.onnx')], { timeoutMs: 15_000 }), 2, /checkpoint '\/dev\//, kind, NOT_REGULAR);
    expectNoLeftovers(dir, ['model.json']);
  });

  it.each([['inspect'], ['run']])('%s /dev/zero: refused (no bad_alloc after reading gigabytes)', (cmd) => {
    const dir = workdir();
    const args = cmd === 'run' ? ['run', '/dev/zero', '--inputs', '/dev/zero', '-o', join(dir, 'o.safetensors')] : ['inspect', '/dev/zero'];
    expectOneLine(ssmc(args, { timeoutMs: 15_000 }), 2, /a character device/, NOT_REGULAR);
    expectNoLeftovers(dir, []);
  });

  it.each([
    ['compile --weights', (fifo: string, dir: string) => ['compile', writeJson(dir, 'model.json', MODEL), '--weights', fifo, '-o', join(dir, 'o.onnx')]],
    ['compile (model file)', (fifo: string, dir: string) => ['compile', fifo, '-o', join(dir, 'o.onnx')]],
    ['inspect', (fifo: string) => ['inspect', fifo]],
    ['diff', (fifo: string) => ['diff', fifo, fifo]],
    ['generate --prompt-file', (fifo: string, dir: string) => ['generate', writeJson(dir, 'model.json', MODEL), '--prompt-file', fifo]],
  ] as const)('%s on a FIFO: refused at once, never waiting for a writer', (_label, args) => {
    const dir = workdir();
    const fifo = join(dir, 'pipe');
    mkfifo(fifo);
    const r = ssmc(args(fifo, dir), { timeoutMs: 15_000 });
    expectOneLine(r, 2, /a FIFO/, NOT_REGULAR);
    expectNoLeftovers(dir, ['pipe', 'model.json']);
  });

  it('a directory in place of a model file', () => {
    const dir = workdir();
    mkdirSync(join(dir, 'm.onnx'));
    expectOneLine(ssmc(['inspect', join(dir, 'm.onnx')]), 2, /a directory/, NOT_REGULAR);
  });

  it('a symbolic link to a regular file is followed for reading (only outputs refuse links)', () => {
    const dir = workdir();
    const model = writeJson(dir, 'model.json', MODEL);
    symlinkSync(model, join(dir, 'link.json'));
    const r = ssmc(['compile', join(dir, 'link.json'), '-o', join(dir, 'o.onnx')]);
    if (r.code !== 0) throw new Error(r.stderr);
  });

  it('a model file of 2 MiB (over the 1 MiB bound for a model.json) is refused before parsing', () => {
    const dir = workdir();
    const model = writeJson(dir, 'model.json', { arch: 's4d-minimal', args: { d_model: 4, dropout: 'x'.repeat(2 * 1024 * 1024) } });
    expectOneLine(ssmc(['compile', model, '-o', join(dir, 'o.onnx')]), 2, /model file '.*model\.json' is \d+ bytes, over the 1048576-byte limit/);
  });
});
