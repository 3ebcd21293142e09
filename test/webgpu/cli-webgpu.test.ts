import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, modelToBytes, readSafetensors, writeSafetensors } from 'ssmc';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { webgpuTestsRun } from '../helpers/webgpu.js';

/**
 * `--backend webgpu` in `ssmc run`, `verify` and `generate` (the CLI as built by `npm test`'s tsc),
 * with the environment ssmc sets up itself: the child processes start with neither
 * XDG_RUNTIME_DIR nor VK_ICD_FILENAMES, and a broken environment is named, not crashed on.
 */
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/s4d-block.json', import.meta.url));
const GSS_CODE = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));

function ssmc(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.XDG_RUNTIME_DIR;
  delete base.VK_ICD_FILENAMES;
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...base, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(webgpuTestsRun('the WebGPU CLI tests'))('--backend webgpu (onnxruntime-node\'s WebGPU provider)', () => {
  it('ssmc run: a graph compiled for ort-webgpu matches the official output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-webgpu-'));
    const c = goldenCase('s4d_lin_zoh');
    const io = goldenIo(c);
    const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: c.name }, { seqLen: null, opset: 17, runtime: 'ort-webgpu' });
    writeFileSync(join(dir, 'm.onnx'), modelToBytes(model));
    writeFileSync(join(dir, 'in.safetensors'), writeSafetensors(new Map([['input', io.get('input')!]])));
    const out = join(dir, 'out.safetensors');
    const r = ssmc(['run', join(dir, 'm.onnx'), '--inputs', join(dir, 'in.safetensors'), '-o', out, '--backend', 'webgpu']);
    expect(r.code, r.stderr).toBe(0);
    const y = readSafetensors(new Uint8Array(readFileSync(out)), out).get('output')!;
    const cmp = compareToReference(y.data as Float32Array, Float64Array.from(io.get('output_f64')!.data as Float64Array));
    expect(cmp.ok, describeComparison('ssmc run --backend webgpu', cmp)).toBe(true);
  }, 120_000);

  it('ssmc verify: conv, step and prefill compiled for ort-webgpu pass on WebGPU', () => {
    const r = ssmc(['verify', EXAMPLE, '--len', '32', '--backend', 'webgpu']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/in onnxruntime-node \(WebGPU\)/);
    expect(r.stdout.match(/^\s+PASS/gm)?.length).toBe(4);
    expect(r.stdout).not.toMatch(/FAIL/);
  }, 180_000);

  it('ssmc generate: the same text as onnxruntime-node on the CPU (greedy)', () => {
    const args = ['generate', join(GSS_CODE, 'model.json'), '--weights', join(GSS_CODE, 'gss_code.weights.safetensors'), '--prompt', 'def f(', '--max-tokens', '3'];
    const cpu = ssmc([...args, '--backend', 'node']);
    const gpu = ssmc([...args, '--backend', 'webgpu']);
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stdout.length).toBeGreaterThan('def f('.length);
    expect(gpu.stdout).toBe(cpu.stdout);
  }, 240_000);

  it('names the missing piece when the environment cannot run WebGPU: exit code 2, no stack, no output file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-webgpu-'));
    const out = join(dir, 'out.safetensors');
    writeFileSync(join(dir, 'in.safetensors'), writeSafetensors(new Map()));
    writeFileSync(join(dir, 'm.onnx'), new Uint8Array());
    const r = ssmc(['run', join(dir, 'm.onnx'), '--inputs', join(dir, 'in.safetensors'), '-o', out, '--backend', 'webgpu'], { VK_ICD_FILENAMES: '/nonexistent/gpu_icd.json' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/WebGPU is not available: VK_ICD_FILENAMES names Vulkan driver manifests that do not exist: \/nonexistent\/gpu_icd\.json/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    const v = ssmc(['verify', EXAMPLE, '--len', '8', '--backend', 'webgpu'], { VK_ICD_FILENAMES: '/nonexistent/gpu_icd.json' });
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/ssmc verify: error: WebGPU is not available: VK_ICD_FILENAMES/);
  }, 60_000);
});
