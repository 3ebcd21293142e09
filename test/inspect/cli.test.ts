import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes, Rng } from 'ssmc';
import { f32, type Model, printModel } from 'ssmc/ir';
import { mlpModel, W } from '../export/fixtures.js';
import { attentionModel, loopModel } from './models.js';

/** `ssmc inspect` and `ssmc diff` as a user runs them (the built CLI in dist/, as the other CLI tests). */
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

function ssmc(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function save(dir: string, name: string, m: Model | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, m instanceof Uint8Array ? m : modelToBytes(m));
  return p;
}

/** Exit code 2, one message naming the problem, no stack trace, no output file. */
function expectRejected(dir: string, args: string[], ...mentions: RegExp[]) {
  const r = ssmc(args);
  expect(r.code, r.stderr).toBe(2);
  for (const m of mentions) expect(r.stderr).toMatch(m);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(readdirSync(dir).filter((f) => /\.(dot|html|tmp)$/.test(f))).toEqual([]);
}

describe('ssmc inspect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmc-inspect-'));
  const attention = save(dir, 'attention.onnx', attentionModel());

  it('prints the report, or JSON with --json, with the estimate for --dim values', () => {
    const text = ssmc(['inspect', attention, '--dim', 'L=128', '--dim', 'batch=2']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ir_version 10; producer ssmc/);
    expect(text.stdout).toContain('opsets: ai.onnx 21');
    expect(text.stdout).toMatch(/for L=128 batch=2\n/);
    const json = ssmc(['inspect', attention, '--json', '--dim', 'L=128', '--dim', 'batch=2']);
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 'L', 16], type: 'f32[batch,L,16]' }]);
    expect(r.cost.dims).toEqual({ L: 128, batch: 2 });
    expect(r.cost.flops).toBe(4 * 2 * 2 * 128 * 16 * 16 + 2 * 2 * 2 * 128 * 128 * 16 + 6 * 2 * 128 * 128);
  });

  it('prints the IR text with --graph and writes Graphviz and HTML with --dot and --html', () => {
    const loop = save(dir, 'loop.onnx', loopModel());
    const dot = join(dir, 'loop.dot'), html = join(dir, 'loop.html');
    const r = ssmc(['inspect', loop, '--graph', '--dot', dot, '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd()).toBe(printModel(modelFromBytes(new Uint8Array(readFileSync(loop)))));
    expect(readFileSync(dot, 'utf8')).toMatch(/^digraph model \{[\s\S]*subgraph cluster_\d+ \{[\s\S]*\}\n$/);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<details id="g1">/);
    expect(r.stderr).toBe(`wrote ${dot}\nwrote ${html}\n`);
  });

  it('rejects malformed files and bad flags with exit code 2, one line, and no output file', () => {
    const bad = mkdtempSync(join(tmpdir(), 'ssmc-inspect-bad-'));
    const good = modelToBytes(loopModel());
    const truncated = save(bad, 'truncated.onnx', good.subarray(0, good.length - 7));
    expectRejected(bad, ['inspect', truncated, '--html', join(bad, 'out.html')], /not a valid ONNX model/, /at byte \d+/);
    expectRejected(bad, ['inspect', save(bad, 'junk.onnx', new TextEncoder().encode('definitely not protobuf')), '--dot', join(bad, 'o.dot')], /not a valid ONNX model/);
    // Bit flips: whatever fails must fail cleanly.
    const rng = new Rng(7);
    for (let i = 0; i < 4; i++) {
      const m = Uint8Array.from(good);
      m[Math.floor(rng.uniform() * m.length)] ^= 1 << (i % 8);
      const p = save(bad, `flip${i}.onnx`, m);
      const r = ssmc(['inspect', p]);
      expect([0, 2], r.stderr).toContain(r.code);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expectRejected(bad, ['inspect', attention, '--dim', 'T=4'], /--dim T: the model has no symbolic dim 'T'; its symbolic dims are: L, batch/);
    expectRejected(bad, ['inspect', attention, '--dim', 'L=-4'], /--dim 'L=-4' must be NAME=N/);
    expectRejected(bad, ['inspect', attention, '--dim', 'L=4', '--dim', 'L=8'], /--dim L is given twice/);
    expectRejected(bad, ['inspect', attention, '--json', '--graph'], /--json and --graph/);
    expectRejected(bad, ['inspect', join(bad, 'missing.onnx')], /cannot be read: no such file/);
    expectRejected(bad, ['inspect'], /give exactly one model/);
    expectRejected(bad, ['inspect', attention, '--html', join(bad, 'no-such-dir', 'x.html')], /cannot be written: its folder does not exist/);
  });
});

describe('ssmc diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmc-diff-'));
  const a = save(dir, 'a.onnx', mlpModel());
  const changed = mlpModel();
  const w = Float32Array.from(W);
  w[0]! += 0.25;
  changed.graph.initializers.find((v) => v.name === 'W')!.constant = f32(w, [4, 3]);
  const b = save(dir, 'b.onnx', changed);

  it('prints structural and value differences, and output differences with --run', () => {
    const same = ssmc(['diff', a, a]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout.trim()).toBe('no structural or initializer differences');
    const r = ssmc(['diff', a, b, '--run', '--dim', 'batch=3', '--seed', '5']);
    expect(r.code, r.stderr).toBe(1); // like diff(1): the models differ
    expect(r.stdout).toMatch(/initializer values \(max abs \/ max rel difference\):\n\s+W\s+2\.500e-1\s+2\.000e-1\s+12 elements/);
    expect(r.stdout).toMatch(/outputs on random inputs \(batch=3\), max abs \/ max rel difference:\n\s+y\s+\d\.\d{3}e[-+]\d/);
    const json = JSON.parse(ssmc(['diff', a, b, '--json', '--run']).stdout);
    expect(json.identical).toBe(false);
    expect(json.run.dims).toEqual({ batch: 1 });
    expect(json.run.outputs[0].name).toBe('y');
  });

  it('rejects bad input with exit code 2', () => {
    expectRejected(dir, ['diff', a], /give exactly two models/);
    expectRejected(dir, ['diff', a, b, '--dim', 'batch=2'], /--dim and --seed only apply with --run/);
    expectRejected(dir, ['diff', a, save(dir, 'bad.onnx', Uint8Array.from([0x3a, 0x10, 0x0a]))], /at byte 0 claims 16 byte/);
    expectRejected(dir, ['diff', a, save(dir, 'loop.onnx', loopModel()), '--run'], /input 'x' is f32\[batch,4\] in the first model but f32\[4\] in the second/);
  });
});
