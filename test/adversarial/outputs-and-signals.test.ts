import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModel, modelFromBytes, modelToBytes } from 'ssmc';
import { expectNoLeftovers, expectOneLine, mkfifo, ROOT, ssmc, ssmcAsync, workdir, writeJson } from './harness.js';

/**
 * What ssmc writes: never onto its own input, a symlink, a FIFO or a device; never a partial or
 * temporary file, even when interrupted; nothing left by a failed inspect; stdout fully
 * delivered to a slow reader before the process exits.
 */

const SMALL = { arch: 's4d-minimal', args: { d_model: 4, d_state: 8 } };
/** A model whose file takes a noticeable time to write (~40 MB). */
const BIG = { arch: 's4d-minimal', args: { d_model: 2048, d_state: 64 } };

describe('-o targets that must not be replaced', () => {
  it('-o onto the input model file: refused, the input unchanged', () => {
    const dir = workdir();
    const model = writeJson(dir, 'model.json', SMALL);
    const before = readFileSync(model, 'utf8');
    expectOneLine(ssmc(['compile', model, '-o', model]), 2, /is also an input of this command/);
    expect(readFileSync(model, 'utf8')).toBe(before);
  });

  it('-o onto the checkpoint through another path (same file): refused', () => {
    const dir = workdir();
    const model = writeJson(dir, 'model.json', SMALL);
    writeFileSync(join(dir, 'w.safetensors'), 'x');
    expectOneLine(ssmc(['compile', model, '--weights', join(dir, 'w.safetensors'), '-o', join(dir, '.', 'w.safetensors')]), 2, /also an input/);
  });

  it.each([
    ['a symbolic link', (dir: string) => { symlinkSync(join(dir, 'elsewhere.onnx'), join(dir, 'o.onnx')); return join(dir, 'o.onnx'); }, /is a symbolic link/],
    ['a FIFO', (dir: string) => { mkfifo(join(dir, 'o.onnx')); return join(dir, 'o.onnx'); }, /is a FIFO/],
    ['a device node', () => '/dev/null', /is a character device/],
    ['a directory', (dir: string) => dir, /is a directory/],
  ] as const)('-o onto %s: refused before compiling', (_label, target, message) => {
    const dir = workdir();
    const model = writeJson(dir, 'model.json', SMALL);
    const out = target(dir);
    expectOneLine(ssmc(['compile', model, '-o', out]), 2, message);
    if (out.startsWith(dir) && out !== dir) expect(statSync(out, { throwIfNoEntry: false })?.isFile() ?? false).toBe(false);
  });

  it('a failed inspect leaves no --html or --dot file', () => {
    const dir = workdir();
    const m = join(dir, 'm.onnx');
    writeFileSync(m, modelToBytes(compileModel(SMALL, null, { seqLen: null, opset: 17 }).model));
    expectOneLine(ssmc(['inspect', m, '--html', join(dir, 'g.html'), '--dot', join(dir, 'g.dot'), '--dim', 'nope=3']), 2, /no symbolic dim 'nope'/);
    expectNoLeftovers(dir, ['m.onnx']);
  });
});

describe('signals during compile', () => {
  /** Compile BIG and send `signal` when `when` says so; the folder's contents and the exit code after. */
  async function interrupted(signal: NodeJS.Signals, when: { afterMs: number } | 'temporary file appears') {
    const dir = workdir();
    const model = writeJson(dir, 'model.json', BIG);
    const child = ssmcAsync(['compile', model, '-o', join(dir, 'big.onnx')], dir);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((done) => child.on('exit', (c, s) => done(c ?? (s ? 128 : null))));
    let sawTemporary = false;
    if (when === 'temporary file appears') {
      let running = true;
      void exited.then(() => (running = false));
      while (running && !sawTemporary) {
        sawTemporary = readdirSync(dir).some((f) => f.endsWith('.tmp'));
        if (!sawTemporary) await new Promise((r) => setTimeout(r, 2));
      }
      child.kill(signal);
    } else {
      setTimeout(() => child.kill(signal), when.afterMs);
    }
    const code = await exited;
    return { dir, code, stderr, sawTemporary, left: readdirSync(dir).filter((f) => f !== 'model.json') };
  }

  function expectCleanOutcome(o: Awaited<ReturnType<typeof interrupted>>) {
    expect(o.left.filter((f) => f.endsWith('.tmp')), o.stderr).toEqual([]);
    if (o.left.includes('big.onnx')) {
      expect(modelFromBytes(readFileSync(join(o.dir, 'big.onnx'))).graph.outputs[0]!.name).toBe('output'); // complete, readable
    }
    expect(o.left.filter((f) => f !== 'big.onnx')).toEqual([]);
  }

  // While the ~40 MB file is being written: the handler removes the temporary file and exits 128 + signal.
  it.each([['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const)('%s while the output is being written: the temporary file is removed, exit %i', async (signal, exit) => {
    const o = await interrupted(signal, 'temporary file appears');
    expect(o.sawTemporary).toBe(true);
    expectCleanOutcome(o);
    expect(o.code === exit || (o.code === 0 && o.left.includes('big.onnx'))).toBe(true);
  }, 120_000);

  // Before the write (during the compile) the default action ends the process: nothing to clean up.
  it.each([['SIGINT', 100], ['SIGTERM', 400], ['SIGINT', 800]] as const)('%s after %i ms: no partial or temporary file', async (signal, afterMs) => {
    expectCleanOutcome(await interrupted(signal, { afterMs }));
  }, 120_000);
});

describe('stdout to a slow reader', () => {
  it('inspect --json of a large report arrives whole when the reader only starts after the process is done writing', async () => {
    const dir = workdir();
    const m = join(dir, 'm.onnx');
    writeFileSync(m, modelToBytes(compileModel({ arch: 'gss-lm', args: { num_tokens: 16, dim: 8, depth: 40, dss_kernel_N: 8, dss_kernel_H: 4 } }, null, { seqLen: null, opset: 17 }).model));
    const child = ssmcAsync(['inspect', m, '--json'], dir);
    let out = '';
    child.stderr.resume();
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => (out += d));
    child.stdout.pause(); // nothing read for a while: the pipe fills at 64 KiB and writes queue in the process
    const closed = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    const exited = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    setTimeout(() => child.stdout.resume(), 1500);
    expect(await exited).toBe(0); // exits only once its queued output has been handed over
    const code = await closed;
    expect(code).toBe(0);
    expect(out.length).toBeGreaterThan(512 * 1024); // well past the pipe's 64 KiB and the reader's own buffer
    expect(() => JSON.parse(out)).not.toThrow();
  }, 60_000);
});

describe('generation limits', () => {
  const STEP = { arch: 'gss-lm', args: { num_tokens: 16, dim: 8, depth: 1, dss_kernel_N: 8, dss_kernel_H: 4 } };

  it('a prompt byte outside the vocabulary is refused (onnxruntime once crashed on the Gather)', () => {
    const dir = workdir();
    expectOneLine(ssmc(['generate', writeJson(dir, 'm.json', STEP), '--prompt', 'hello']), 2, /prompt byte 0 is 104, but the model's vocabulary has 16 tokens \(0 to 15\)/);
  });

  it.each([
    [['--max-tokens', '1000000000'], /--max-tokens must be from 1 to 100000/],
    [['--max-tokens', '-1'], /--max-tokens must be from 1 to 100000/],
    [['--top-k', '-3'], /--top-k must be an integer ≥ 0/],
    [['--temperature', 'NaN'], /--temperature must be a number ≥ 0/],
  ] as const)('generate %j', (flags, message) => {
    const dir = workdir();
    expectOneLine(ssmc(['generate', writeJson(dir, 'm.json', STEP), '--prompt', '\x01', ...flags]), 2, message);
  });

  it('a prompt over 16 KiB on the command line is refused before onnxruntime loads (it crashed onnxruntime-node at ~28 KiB); --prompt-file takes up to 64 KiB', () => {
    const dir = workdir();
    const m = writeJson(dir, 'm.json', STEP);
    expectOneLine(ssmc(['generate', m, '--prompt', 'a'.repeat(40_000)]), 2, /command line is \d+ bytes, over the 16384-byte limit/, /--prompt-file/);
    writeFileSync(join(dir, 'p.txt'), 'a'.repeat(70_000));
    expectOneLine(ssmc(['generate', m, '--prompt-file', join(dir, 'p.txt')]), 2, /prompt file '.*p\.txt' is 70000 bytes, over the 65536-byte limit/);
    writeFileSync(join(dir, 'p.txt'), '\x01\x02\x03');
    const r = ssmc(['generate', m, '--prompt-file', join(dir, 'p.txt'), '--max-tokens', '3']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a step graph whose ssmc.states metadata claims 2e9-element states is refused before zeros are allocated', () => {
    const dir = workdir();
    const step = compileModel(STEP, null, { seqLen: null, opset: 17, mode: 'step' }).model;
    const states = JSON.parse(step.metadata.get('ssmc.states')!) as { shape: unknown[] }[];
    states[0]!.shape = ['batch', 2_000_000_000, 1, 2];
    step.metadata.set('ssmc.states', JSON.stringify(states));
    writeFileSync(join(dir, 'step.onnx'), modelToBytes(step));
    expectOneLine(ssmc(['generate', join(dir, 'step.onnx'), '--prompt', '\x01']), 2, /metadata ssmc\.states\[0\]: shape .* does not match graph input/);
  });
});

void ROOT;
