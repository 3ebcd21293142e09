import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileModel, type ModelFile, modelToBytes, readCheckpoint } from 'ssmc';
import { GOLDEN_DIR, goldenCase, modelFileFor } from '../helpers/golden.js';

/**
 * --weights takes safetensors and torch.save files alike, recognised by their bytes: the same
 * weights give byte-identical ONNX files whatever the format, prefix or exact dtype they come in;
 * hostile files are refused with one message, exit code 2, nothing written and nothing run.
 */
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));

function ssmc(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onnxFrom(file: ModelFile, weightsPath: string): Uint8Array {
  const weights = readCheckpoint(new Uint8Array(readFileSync(weightsPath)), weightsPath);
  return modelToBytes(compileModel(file, weights, { seqLen: null, opset: 17 }).model);
}

const dplr = modelFileFor(goldenCase('s4_dplr_legs'));

describe('the same weights in any checkpoint form give the same ONNX bytes', () => {
  const reference = onnxFrom(dplr, `${GOLDEN_DIR}s4_dplr_legs.weights.safetensors`);
  for (const file of ['dplr-f32.pt', 'dplr-f64.pt', 'dplr-ddp.pt', 'dplr-ddp-compiled.pt', 'dplr-lightning.ckpt', 'dplr-protocol4.pt']) {
    it(`S4 DPLR from ${file}`, () => {
      expect(Buffer.from(onnxFrom(dplr, `${FIXTURES}valid/${file}`)).equals(Buffer.from(reference))).toBe(true);
    });
  }
  for (const tag of ['f16', 'bf16']) {
    it(`S4 DPLR from dplr-${tag}.pt equals the same weights widened by torch`, () => {
      const low = onnxFrom(dplr, `${FIXTURES}valid/dplr-${tag}.pt`), wide = onnxFrom(dplr, `${FIXTURES}valid/dplr-${tag}-widened.safetensors`);
      expect(Buffer.from(low).equals(Buffer.from(wide))).toBe(true);
    });
  }
  it("S4D from a {'model': state_dict, 'acc', 'epoch'} .pth, as state-spaces/s4 example.py saves it", () => {
    const c = modelFileFor(goldenCase('s4d_lin_zoh'));
    const a = onnxFrom(c, `${FIXTURES}valid/s4d-example-style.pth`), b = onnxFrom(c, `${GOLDEN_DIR}s4d_lin_zoh.weights.safetensors`);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});

describe('ssmc with torch.save checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmc-ckpt-'));
  const modelPath = join(dir, 'dplr.json');
  writeFileSync(modelPath, JSON.stringify(dplr));

  it('compile says where the tensors were, what prefix it stripped, what it converted and what it ignored', () => {
    const r = ssmc(['compile', modelPath, '--weights', `${FIXTURES}valid/dplr-lightning.ckpt`, '-o', join(dir, 'l.onnx')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/weights: 10 tensors from 'state_dict' of .*dplr-lightning\.ckpt \(torch\.save\), wrapper prefix 'model\.' stripped/);
    expect(r.stdout).toMatch(/ignored: 'epoch' \(3\), .*'optimizer_states' \(a list of 1 with 2 tensors\).*'hyper_parameters' \(a dict of 4\)/);
    const f16 = ssmc(['compile', modelPath, '--weights', `${FIXTURES}valid/dplr-f16.pt`, '-o', join(dir, 'h.onnx')]);
    expect(f16.stdout).toMatch(/9 float16 tensors widened to float32 \(exact\)/);
  });

  it('generate takes a bfloat16 torch checkpoint of the GSS LM', () => {
    const lm = join(dir, 'lm.json');
    writeFileSync(lm, JSON.stringify(modelFileFor(goldenCase('gss_lm'))));
    const prompt = '\u0001\u0002'; // the golden LM has 32 tokens: bytes below 32
    const r = ssmc(['generate', lm, '--weights', `${FIXTURES}valid/gss-lm-bf16.pt`, '--prompt', prompt, '--max-tokens', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(prompt)).toBe(true);
    expect(r.stdout.length).toBe(prompt.length + 3 + 1);
  });

  it('verify takes a torch checkpoint', () => {
    const r = ssmc(['verify', modelPath, '--weights', `${FIXTURES}valid/dplr-ddp.pt`, '--len', '16']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS/);
  });
});

describe('hostile and unsupported checkpoint files: one message, exit code 2, nothing written, nothing run', () => {
  const cases: [string, RegExp][] = [
    ['hostile/os-system.pt', /calls posix\.system, which would run code .* ssmc never runs pickled code/],
    ['hostile/off-list-global.pt', /'layer\.kernel\.C', required by arch 's4-block' .* is an object of decimal\.Decimal, not a tensor/],
    ['hostile/dotdot-entry.pt', /zip entry 'archive\/\.\.\/\.\.\/evil\.txt' has a '\.\.' path segment/],
    ['hostile/absolute-entry.pt', /zip entry '\/tmp\/evil\.txt' is an absolute path/],
    ['hostile/short-storage.pt', /tensor 'w' \(a float32 tensor \[3, 4\], offset 0, strides \[4, 1\]\) reaches byte 48 of its storage '0', which holds 24 bytes/],
    ['hostile/lying-numel.pt', /storage '0', which claims 1000000000000 float32 elements .* holds only 24 bytes/],
    ['hostile/lying-zip-size.pt', /entry 'base\/data\/0' \(2147483648 bytes at byte \d+\) runs past the file data/],
    ['hostile/huge-broadcast.pt', /broadcast view of 8589934592 bytes on a 4-byte storage/],
    ['hostile/nested-1e5.pt', /nests containers more than 1000 levels deep/],
    ['hostile/crc-mismatch.pt', /fails its CRC-32 check/],
    ['hostile/legacy.pt', /legacy format .* torch\.save\(torch\.load\('.*legacy\.pt', map_location='cpu'\), 'weights\.pt'\)/],
    ['hostile/whole-module.pt', /holds an object of torch\.nn\.modules\.linear\.Linear, not a state_dict; .*model\.state_dict\(\)/],
    ['make_fixtures.py', /neither safetensors nor a torch\.save file \(it starts with bytes 23 21 2f 75/],
  ];
  for (const [file, message] of cases) {
    for (const command of ['compile', 'verify'] as const) {
      if (command === 'verify' && !file.startsWith('hostile/os') && !file.startsWith('hostile/nested')) continue;
      it(`${command} ${file}`, () => {
        const dir = mkdtempSync(join(tmpdir(), 'ssmc-hostile-'));
        const model = join(dir, 'dplr.json');
        writeFileSync(model, JSON.stringify(dplr));
        const out = join(dir, 'out.onnx');
        const r = ssmc([command, model, '--weights', `${FIXTURES}${file}`, ...(command === 'compile' ? ['-o', out] : [])], dir);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stdout).toBe('');
        expect(readdirSync(dir).sort()).toEqual(['dplr.json']);
        // The os.system fixture runs `touch ssmc-pwned-marker` when PyTorch loads it (make_fixtures.py checks that).
        expect(existsSync(join(dir, 'ssmc-pwned-marker'))).toBe(false);
      });
    }
  }
});
