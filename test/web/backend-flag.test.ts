import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, modelToBytes, readSafetensors, writeSafetensors } from 'ssmc';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';

/** `--backend node|wasm` in `ssmc run` and `ssmc verify` (the CLI as built by `npm test`'s tsc). */
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/s4d-block.json', import.meta.url));

function ssmc(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A golden model compiled to .onnx with its input in a safetensors file, in a fresh folder. */
function goldenFiles(name: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ssmc-backend-'));
  const c = goldenCase(name);
  const io = goldenIo(c);
  const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: null, opset: 17 });
  writeFileSync(join(dir, 'm.onnx'), modelToBytes(model));
  writeFileSync(join(dir, 'in.safetensors'), writeSafetensors(new Map([['input', io.get('input')!]])));
  return { dir, reference: io.get('output_f64')!.data as Float64Array };
}

describe('ssmc run --backend', () => {
  it.each(['node', 'wasm'])('--backend %s runs the model and matches the official output', (backend) => {
    const { dir, reference } = goldenFiles('s4d_lin_zoh');
    const out = join(dir, `out-${backend}.safetensors`);
    const r = ssmc(['run', join(dir, 'm.onnx'), '--inputs', join(dir, 'in.safetensors'), '-o', out, '--backend', backend]);
    expect(r.code, r.stderr).toBe(0);
    const y = readSafetensors(new Uint8Array(readFileSync(out)), out).get('output')!;
    const cmp = compareToReference(y.data as Float32Array, Float64Array.from(reference));
    expect(cmp.ok, describeComparison(`ssmc run --backend ${backend}`, cmp)).toBe(true);
  }, 30_000);

  it('rejects an unknown backend with exit code 2, naming the flag and the choices, and writes nothing', () => {
    const { dir } = goldenFiles('s4d_minimal');
    const r = ssmc(['run', join(dir, 'm.onnx'), '--inputs', join(dir, 'in.safetensors'), '-o', join(dir, 'out.safetensors'), '--backend', 'cuda']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--backend must be one of node, wasm, webgpu/);
    expect(r.stderr).toMatch(/'cuda'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'out.safetensors'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 30_000);
});

describe('ssmc verify --backend', () => {
  it('checks conv, step and prefill in onnxruntime-web (wasm)', () => {
    const r = ssmc(['verify', EXAMPLE, '--len', '64', '--backend', 'wasm']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/in onnxruntime-web \(wasm\)/);
    expect(r.stdout.match(/^\s+PASS/gm)?.length).toBe(4);
    expect(r.stdout).not.toMatch(/FAIL/);
  }, 60_000);

  it('defaults to onnxruntime-node and rejects an unknown backend', () => {
    expect(ssmc(['verify', EXAMPLE, '--len', '16']).stdout).toMatch(/in onnxruntime-node \(CPU\),/);
    const bad = ssmc(['verify', EXAMPLE, '--backend', 'cuda']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ssmc verify: error: --backend must be one of node, wasm, webgpu/);
  }, 60_000);
});
