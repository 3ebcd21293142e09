import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR } from '../helpers/golden.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

function ssmc(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function workdir(): string {
  return mkdtempSync(join(tmpdir(), 'ssmc-cli-'));
}

function modelFile(dir: string, content: unknown): string {
  const p = join(dir, 'model.json');
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

/** Each bad input: exit code 2, one message naming the thing, and no output file left behind. */
function expectRejected(dir: string, args: string[], ...mentions: RegExp[]) {
  const r = ssmc(args);
  expect(r.code, r.stderr).toBe(2);
  for (const m of mentions) expect(r.stderr).toMatch(m);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(readdirSync(dir).filter((f) => f.endsWith('.onnx') || f.endsWith('.tmp'))).toEqual([]);
}

describe('ssmc compile rejects bad input with exit code 2 and no output', () => {
  it('unknown arch', () => {
    const dir = workdir();
    expectRejected(dir, ['compile', modelFile(dir, { arch: 's5', args: {} }), '-o', join(dir, 'o.onnx')], /unknown arch "s5"/, /s4d-minimal/);
  });
  it('missing required argument', () => {
    const dir = workdir();
    expectRejected(dir, ['compile', modelFile(dir, { arch: 's4d-minimal', args: {} }), '-o', join(dir, 'o.onnx')], /"d_model"/, /required/);
  });
  it('out-of-range argument', () => {
    const dir = workdir();
    expectRejected(dir, ['compile', modelFile(dir, { arch: 's4d-minimal', args: { d_model: 0 } }), '-o', join(dir, 'o.onnx')], /"d_model"/, /≥ 1/);
  });
  it('odd d_state', () => {
    const dir = workdir();
    expectRejected(dir, ['compile', modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, d_state: 15 } }), '-o', join(dir, 'o.onnx')], /d_state/, /even/);
  });
  it('unknown argument', () => {
    const dir = workdir();
    expectRejected(dir, ['compile', modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, dstate: 16 } }), '-o', join(dir, 'o.onnx')], /unknown argument "dstate"/);
  });
  it('invalid JSON', () => {
    const dir = workdir();
    expectRejected(dir, ['compile', modelFile(dir, '{"arch": '), '-o', join(dir, 'o.onnx')], /not valid JSON/);
  });
  it('checkpoint with wrongly shaped tensors (args do not match)', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 's4d-minimal', args: { d_model: 8, d_state: 16 } });
    expectRejected(dir, ['compile', m, '--weights', `${GOLDEN_DIR}s4d_minimal.weights.safetensors`, '-o', join(dir, 'o.onnx')], /tensor 'D' has shape \[4\]/, /needs \[8\]/);
  });
  it('checkpoint of another arch', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, d_state: 16 } });
    expectRejected(dir, ['compile', m, '--weights', `${GOLDEN_DIR}s4d_lin_zoh.weights.safetensors`, '-o', join(dir, 'o.onnx')], /missing tensors? 'D'/, /another arch/);
  });
  it('checkpoint with extra tensors', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 's4-block', args: { d_model: 4, d_state: 16, mode: 'diag', transposed: false } });
    expectRejected(dir, ['compile', m, '--weights', `${GOLDEN_DIR}s4d_bidirectional.weights.safetensors`, '-o', join(dir, 'o.onnx')], /layer\.kernel\.C' has shape \[2, 4, 8, 2\]/);
  });
  it('truncated safetensors', () => {
    const dir = workdir();
    const bytes = readFileSync(`${GOLDEN_DIR}s4d_minimal.weights.safetensors`);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, bytes.subarray(0, bytes.length - 10));
    const m = modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, d_state: 16 } });
    expectRejected(dir, ['compile', m, '--weights', bad, '-o', join(dir, 'o.onnx')], /bad\.safetensors/);
  });
  it('lying safetensors header length', () => {
    const dir = workdir();
    const bytes = Buffer.from(readFileSync(`${GOLDEN_DIR}s4d_minimal.weights.safetensors`));
    bytes.writeBigUInt64LE(BigInt(bytes.length * 4), 0);
    const bad = join(dir, 'lying.safetensors');
    writeFileSync(bad, bytes);
    const m = modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, d_state: 16 } });
    expectRejected(dir, ['compile', m, '--weights', bad, '-o', join(dir, 'o.onnx')], /lying\.safetensors/, /header/);
  });
  it('unsupported opset', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, d_state: 16 } });
    expectRejected(dir, ['compile', m, '--opset', '13', '-o', join(dir, 'o.onnx')], /--opset 13/);
  });
  it('missing model file', () => {
    const dir = workdir();
    expectRejected(dir, ['compile', join(dir, 'nope.json'), '-o', join(dir, 'o.onnx')], /no such file/);
  });
  it('GatedDsConv in step mode, a length beyond max_seq_len, a LongConv-only lowering (public gss_dsconv_lm)', () => {
    const dir = workdir();
    const variants = `${GOLDEN_DIR}variants/`;
    const base = ['compile', `${variants}gss_dsconv_lm.json`, '--weights', `${variants}gss_dsconv_lm.weights.safetensors`, '-o', join(dir, 'o.onnx')];
    expectRejected(dir, [...base, '--mode', 'step'], /--mode step: GatedDsConv has no recurrence/, /use --mode conv/);
    expectRejected(dir, [...base, '--seq-len', '600'], /--seq-len 600 is longer than max_seq_len 512/);
    expectRejected(dir, [...base, '--seq-len', '64', '--lowering', 'chunked'], /--lowering chunked cannot lower GatedDsConv's input-dependent convolution/);
  });
});

describe('ssmc compile and run end to end', () => {
  it('is deterministic and runs the compiled model', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, d_state: 16 } });
    const a = join(dir, 'a.onnx'), b = join(dir, 'b.onnx');
    const w = `${GOLDEN_DIR}s4d_minimal.weights.safetensors`;
    expect(ssmc(['compile', m, '--weights', w, '-o', a]).code).toBe(0);
    expect(ssmc(['compile', m, '--weights', w, '-o', b]).code).toBe(0);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    const out = join(dir, 'out.safetensors');
    const r = ssmc(['run', a, '--inputs', `${GOLDEN_DIR}s4d_minimal.io.safetensors`, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(r.stdout).toMatch(/output: float32\[2,4,32\]/);
  });
  it('prints the IR after a pass', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, d_state: 16 } });
    const r = ssmc(['compile', m, '--print-after', 'lower-discretize', '-o', join(dir, 'o.onnx')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/IR after lower-discretize/);
    expect(r.stdout).toMatch(/ai\.ssmc\.LongConv\(.*\{kernel="diagonal", scale=2\.0\}/);
    const bad = ssmc(['compile', m, '--print-after', 'no-such-pass', '-o', join(dir, 'p.onnx')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown pass 'no-such-pass'/);
  });
  it('run rejects inputs that do not match the graph', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 's4d-minimal', args: { d_model: 4, d_state: 16 } });
    const a = join(dir, 'a.onnx');
    expect(ssmc(['compile', m, '-o', a]).code).toBe(0);
    const r = ssmc(['run', a, '--inputs', `${GOLDEN_DIR}gss_lm.io.safetensors`, '-o', join(dir, 'o.safetensors')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'input'/);
    expect(existsSync(join(dir, 'o.safetensors'))).toBe(false);
  });
});

describe('ssmc verify and generate', () => {
  it('verify compares conv, step and prefill + step with the float64 reference', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 's4-block', args: { d_model: 4, d_state: 8, mode: 'diag', init: 'diag-inv', disc: 'bilinear', transposed: false } });
    const r = ssmc(['verify', m, '--len', '48', '--batch', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^ {2}PASS /gm)).toHaveLength(4);
    expect(r.stdout).toMatch(/prefill \(24 positions\) \+ step vs conv/);
  });
  it('generate streams a greedy continuation from the step graph', () => {
    const dir = workdir();
    const m = modelFile(dir, { arch: 'gss-lm', args: { num_tokens: 256, dim: 8, depth: 1, dss_kernel_N: 8, dss_kernel_H: 4 } });
    const a = ssmc(['generate', m, '--prompt', 'abc', '--max-tokens', '12']);
    const b = ssmc(['generate', m, '--prompt', 'abc', '--max-tokens', '12']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.startsWith('abc')).toBe(true);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stderr).toMatch(/12 tokens in .* tokens\/s/);
    expect(ssmc(['generate', m, '--prompt', '']).code).toBe(2);
  });
});
