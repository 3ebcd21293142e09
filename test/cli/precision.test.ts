/**
 * `ssmc compile/verify/inspect --precision`: the file a 16-bit compile writes (about half the
 * size, `ssmc.precision` set, its summary printed), verify at the precision's tolerance, and the
 * refusals (exit code 2, no output file).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modelFromBytes, readPrecision, UserError } from 'ssmc';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const GSS = ['compile', join(EXAMPLES, 'gss-code/model.json'), '--weights', join(EXAMPLES, 'gss-code/gss_code.weights.safetensors')];

/**
 * A 16-bit file holds every weight of two or more elements in two bytes instead of four; what
 * stays as it was — the graph's nodes, the metadata, single numbers and the float32 transitions
 * of the recurrence (H·N per layer) — is 0.2 % of the gss-code model's float32 file. A 16-bit
 * file larger than half the float32 one by more than 1 % of it stores something it should not
 * in float32.
 */
const HALF_SIZE_SLACK = 0.01;

function ssmc(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ssmc compile --precision', () => {
  it('the gss-code LM at fp16 and bf16: half the float32 file, ssmc.precision set, what is stored in 16 bits said', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-prec-'));
    const sizes = new Map<string, number>();
    for (const precision of ['fp32', 'fp16', 'bf16']) {
      const out = join(dir, `${precision}.onnx`);
      const r = ssmc([...GSS, '--precision', precision, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      sizes.set(precision, statSync(out).size);
      expect(readPrecision(modelFromBytes(new Uint8Array(readFileSync(out))))).toBe(precision);
      if (precision === 'fp32') {
        expect(r.stdout).not.toContain('precision ');
        continue;
      }
      const storage = precision === 'fp16' ? 'float16' : 'bfloat16';
      expect(r.stdout).toContain(`precision ${precision} (interface float32):`);
      const m = new RegExp(`weights: \\d+ tensors in ${storage}, ([\\d.]+) MiB → ([\\d.]+) MiB; kept float32: .*scalar`).exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(Number(m![2]) * 2).toBeCloseTo(Number(m![1]), 1);
      // onnxruntime's CPU provider (the default target) has no float16 arithmetic kernels.
      expect(r.stdout).toContain('compute: float32');
    }
    for (const precision of ['fp16', 'bf16']) {
      const ratio = sizes.get(precision)! / sizes.get('fp32')!;
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(0.5 + HALF_SIZE_SLACK);
    }
    // Three compiles of a 4 M-parameter model, each in its own process, on a machine others share.
  }, 180_000);

  it('the same model and precision give the same bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-prec-'));
    const files = ['a.onnx', 'b.onnx'].map((f) => join(dir, f));
    for (const out of files) expect(ssmc(['compile', join(EXAMPLES, 's4d-block.json'), '--seq-len', '128', '--precision', 'fp16', '-o', out]).code).toBe(0);
    expect(readFileSync(files[0]!).equals(readFileSync(files[1]!))).toBe(true);
  });

  it('inspect says the precision', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-prec-'));
    const out = join(dir, 's4d.onnx');
    expect(ssmc(['compile', join(EXAMPLES, 's4d-block.json'), '--seq-len', '128', '--precision', 'bf16', '-o', out]).code).toBe(0);
    const r = ssmc(['inspect', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ssmc.precision = bf16');
  });

  it('an unknown precision: exit 2, the choices named, no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-prec-'));
    const out = join(dir, 'x.onnx');
    const r = ssmc(['compile', join(EXAMPLES, 's4d-block.json'), '--precision', 'fp8', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--precision must be one of fp32, fp16, bf16 (how the weights are stored and computed); got 'fp8'");
    expect(existsSync(out)).toBe(false);
  });

  it('readPrecision: no entry is fp32 (older files, other exporters); an entry that is none of the three is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-prec-'));
    const out = join(dir, 's4d.onnx');
    expect(ssmc(['compile', join(EXAMPLES, 's4d-block.json'), '--seq-len', '128', '-o', out]).code).toBe(0);
    const model = modelFromBytes(new Uint8Array(readFileSync(out)));
    model.metadata.delete('ssmc.precision');
    expect(readPrecision(model)).toBe('fp32');
    model.metadata.set('ssmc.precision', 'float16');
    expect(() => readPrecision(model)).toThrow(UserError);
    expect(() => readPrecision(model)).toThrow("metadata ssmc.precision is 'float16'; it must be fp32, fp16 or bf16");
  });
});

describe('ssmc verify --precision', () => {
  it.each([
    ['fp16', /8 u \+ float32's 0\.0001, u = 2\^-11 \(float16\)/],
    ['bf16', /8 u \+ float32's 0\.0001, u = 2\^-8 \(bfloat16\)/],
  ])('%s: every graph within the precision\'s tolerance of the float64 reference of the float32 model', (precision, tolerance) => {
    const r = ssmc(['verify', join(EXAMPLES, 's4d-block.json'), '--precision', precision, '--len', '64']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`precision ${precision}`);
    expect(r.stdout).toMatch(tolerance);
    expect(r.stdout.match(/^ {2}PASS/gm)).toHaveLength(4);
    expect(r.stdout).not.toContain('FAIL');
  });
});
