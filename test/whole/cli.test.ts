import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modelFromBytes } from '../../export/onnx-read.js';
import { readSafetensors, writeSafetensors } from '../../export/safetensors.js';
import { f32, i64 } from '../../ir/tensor.js';
import { runOnnx } from '../../src/runtime/run.js';
import { WHOLE_FIXTURES, WHOLE_GOLDEN } from '../helpers/whole.js';

/**
 * The CLI on whole models: the three ways in (a checkpoint alone, a Hydra config with model.pt,
 * a model file naming its checkpoint) give models with the same outputs; verify --against passes
 * on what PyTorch saved and fails (exit 1) on anything else; generate takes token ids; every
 * command has --help; a model without weights is announced loudly; inspect counts parameters.
 */
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const ssmc = (args: string[], cwd?: string) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), 'ssmc-whole-cli-'));
const CASE = `${WHOLE_FIXTURES}copying_dec_last/`;

describe('three ways in', () => {
  const io = readSafetensors(new Uint8Array(readFileSync(`${CASE}io.safetensors`)), 'io');
  const outputOf = async (path: string) => (await runOnnx(new Uint8Array(readFileSync(path)), new Map([['input', io.get('input')!]]))).get('output')!.data as Float32Array;
  it('--weights last.ckpt alone, config.yaml --weights model.pt, and a model file naming its checkpoint give the same outputs', async () => {
    const a = ssmc(['compile', '--weights', `${CASE}last.ckpt`, '-o', join(tmp, 'a.onnx')]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain(`model: s4-sequence from hyper_parameters of ${CASE}last.ckpt`);
    expect(a.stdout).toContain('dataset attributes: d_output 8 (decoder.0.output_transform.weight [8, 16]), n_tokens 8 (encoder.0.weight [8, 16]), l_output 4 (dataset \'copying\': the decoder\'s 4 positions)');
    const b = ssmc(['compile', `${CASE}config.yaml`, '--weights', `${CASE}model.pt`, '-o', join(tmp, 'b.onnx')]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain(`model: s4-sequence from ${CASE}config.yaml (Hydra config)`);
    // A model file beside the checkpoint, naming it relative to itself.
    const args = JSON.parse(JSON.stringify(modelFromBytes(new Uint8Array(readFileSync(join(tmp, 'a.onnx')))).metadata.get('ssmc.args')));
    writeFileSync(join(tmp, 'model.json'), JSON.stringify({ arch: 's4-sequence', args: JSON.parse(args), weights: 'last.ckpt' }));
    writeFileSync(join(tmp, 'last.ckpt'), readFileSync(`${CASE}last.ckpt`));
    const c = ssmc(['compile', join(tmp, 'model.json'), '-o', join(tmp, 'c.onnx')]);
    expect(c.code, c.stderr).toBe(0);
    const [ya, yb, yc] = [await outputOf(join(tmp, 'a.onnx')), await outputOf(join(tmp, 'b.onnx')), await outputOf(join(tmp, 'c.onnx'))];
    expect(Array.from(yb)).toEqual(Array.from(ya));
    expect(Array.from(yc)).toEqual(Array.from(ya));
    expect(readFileSync(join(tmp, 'c.onnx')).equals(readFileSync(join(tmp, 'a.onnx')))).toBe(true);
  });
  it('a checkpoint given where the model file goes is read as --weights; with --weights too it is refused', () => {
    const r = ssmc(['compile', `${CASE}last.ckpt`, '-o', join(tmp, 'e.onnx')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${CASE}last.ckpt is a checkpoint: read as --weights`);
    const both = ssmc(['compile', `${CASE}last.ckpt`, '--weights', `${CASE}model.pt`, '-o', join(tmp, 'f.onnx')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(`model file '${CASE}last.ckpt' is a checkpoint (weights), not a model file`);
  });
  it('a config missing what the dataset would give asks for the flag, and the flag supplies it', () => {
    const s4d = `${WHOLE_FIXTURES}s4d_layer/`;
    writeFileSync(join(tmp, 'nodata.yaml'), readFileSync(`${s4d}config.yaml`, 'utf8').replace(/^dataset:\n(  .*\n)+/m, 'dataset:\n  _name_: my_images\n'));
    const r = ssmc(['compile', join(tmp, 'nodata.yaml'), '--weights', `${s4d}model.pt`, '-o', join(tmp, 'd.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/l_output .* is not known: dataset 'my_images' is not one whose attributes ssmc knows.*pass --l-output N\|none/);
    expect(existsSync(join(tmp, 'd.onnx'))).toBe(false);
    const ok = ssmc(['compile', join(tmp, 'nodata.yaml'), '--weights', `${s4d}model.pt`, '--l-output', '0', '-o', join(tmp, 'd.onnx')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('dataset attributes: d_input 3 (encoder.0.weight [16, 3]), d_output 10 (decoder.0.output_transform.weight [10, 16]), l_output 0 (--l-output)');
  });
});

describe('verify --against what PyTorch saved', () => {
  it('passes on the official outputs (safetensors, default names), with conv, step and prefill rows', () => {
    const r = ssmc(['verify', '--weights', `${CASE}last.ckpt`, '--against', `${CASE}io.safetensors`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const row of ["conv vs 'output'", "conv vs 'output_f64'", 'step (from zero state at positions 28-31) vs conv', "step vs 'output_f64'", 'prefill (16 positions) + step vs conv']) {
      expect(r.stdout).toContain(`PASS  ${row}`);
    }
  });
  it("passes on a torch.save'd dict under the user's names (float64 input)", () => {
    const r = ssmc(['verify', '--weights', `${WHOLE_FIXTURES}s4_ffn_cycle/last.ckpt`, '--against', join(WHOLE_FIXTURES, '..', 'against', 's4_ffn_cycle.io.pt'), '--input-name', 'x', '--output-names', 'logits']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("input 'x' [2, 64, 1] (float64 input read as float32)");
    expect(r.stdout).toMatch(/PASS  conv vs 'logits'/);
  });
  it('fails with exit code 1 when the saved output is not this model\'s', () => {
    const io = readSafetensors(new Uint8Array(readFileSync(`${CASE}io.safetensors`)), 'io');
    const out = io.get('output')!;
    const wrong = f32((out.data as Float32Array).map((v, i) => (i === 5 ? v + 0.01 : v)), out.dims);
    writeFileSync(join(tmp, 'wrong.safetensors'), writeSafetensors(new Map([['input', io.get('input')!], ['output', wrong]])));
    const r = ssmc(['verify', '--weights', `${CASE}last.ckpt`, '--against', join(tmp, 'wrong.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL  conv vs 'output' +max abs 1\.00e-2/);
    expect(r.stdout).toMatch(/PASS  prefill \(16 positions\) \+ step vs conv/);
  });
  it('an input that does not fit the model is one message, exit 2', () => {
    const r = ssmc(['verify', '--weights', `${CASE}last.ckpt`, '--against', `${WHOLE_FIXTURES}s4_ffn_cycle/io.safetensors`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'input' has shape \[2, 64, 1\], but the model takes input \[batch, L\] \(BL\)/);
  });
});

describe('generate from a whole language model', () => {
  it('--prompt-ids for a vocabulary that is not bytes', () => {
    const r = ssmc(['generate', '--weights', `${WHOLE_FIXTURES}task_lm_tied/last.ckpt`, '--prompt-ids', '1,2,3', '--max-tokens', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1,2,3 \|( \d+){5}\n$/);
    expect(r.stderr).toContain('5 tokens in');
  });
  it('token ids outside the vocabulary are refused by position', () => {
    const r = ssmc(['generate', '--weights', `${WHOLE_FIXTURES}task_lm_tied/last.ckpt`, '--prompt-ids', '1,99', '--max-tokens', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--prompt-ids 1 is 99, but the model's vocabulary has 32 tokens (0 to 31)");
  });
});

describe('attention (the shared hybrid S4D → mha → FFN model): verify and generate through the key/value cache', () => {
  const HYBRID = `${WHOLE_GOLDEN}seqmodel_hybrid_mha/`;
  it('verify --against the official outputs passes conv, step and prefill + step', () => {
    const r = ssmc(['verify', '--weights', `${HYBRID}last.ckpt`, '--against', `${HYBRID}io.safetensors`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const row of ["conv vs 'output_f64'", "step vs 'output_f64'", 'step (from zero state) vs conv']) expect(r.stdout).toContain(`PASS  ${row}`);
    expect(r.stdout).toMatch(/PASS  prefill \(\d+ positions\) \+ step vs conv/);
  });
  it("generate's greedy tokens are the conv graph's argmax after the prompt and each token before", async () => {
    const r = ssmc(['generate', '--weights', `${HYBRID}last.ckpt`, '--prompt-ids', '5,17,3,40', '--max-tokens', '12']);
    expect(r.code, r.stderr).toBe(0);
    const [prompt, generated] = r.stdout.trim().split(' |').map((part) => part.trim().split(/[ ,]+/).map(Number)) as [number[], number[]];
    expect(prompt).toEqual([5, 17, 3, 40]);
    expect(generated).toHaveLength(12);
    const c = ssmc(['compile', '--weights', `${HYBRID}last.ckpt`, '-o', join(tmp, 'hybrid.onnx')]);
    expect(c.code, c.stderr).toBe(0);
    const ids = [...prompt, ...generated];
    const logits = (await runOnnx(new Uint8Array(readFileSync(join(tmp, 'hybrid.onnx'))), new Map([['input', i64(ids, [1, ids.length])]]))).get('output')!;
    const V = logits.dims[2]!;
    const data = logits.data as Float32Array;
    const argmax = (t: number) => data.subarray(t * V, (t + 1) * V).reduce((best, v, i, row) => (v > row[best]! ? i : best), 0);
    expect(generated).toEqual(generated.map((_, i) => argmax(prompt.length - 1 + i)));
  });
  it('--kv-cache must be a positive number of positions', () => {
    const r = ssmc(['compile', '--weights', `${HYBRID}last.ckpt`, '--mode', 'step', '--kv-cache', '0', '-o', join(tmp, 'x.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--kv-cache must be from 1 to \d+ \(the positions a full-attention step graph keeps keys and values for\), got 0/);
    expect(existsSync(join(tmp, 'x.onnx'))).toBe(false);
  });
});

describe('rough edges', () => {
  it.each(['compile', 'run', 'generate', 'serve', 'export-triton', 'verify', 'inspect', 'diff', 'demo'])('ssmc %s --help prints its usage', (cmd) => {
    const r = ssmc([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage:\\n  ssmc ${cmd}`));
  });
  it('--version', () => {
    const r = ssmc(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`ssmc ${JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')).version}\n`);
  });
  it('a model compiled without weights is announced loudly on stderr', () => {
    writeFileSync(join(tmp, 'fresh.json'), JSON.stringify({ arch: 's4-example', args: { d_input: 1, d_output: 2, d_model: 8, n_layers: 1 } }));
    const r = ssmc(['compile', join(tmp, 'fresh.json'), '-o', join(tmp, 'fresh.onnx')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('WARNING: no --weights');
    expect(r.stderr).toContain('RANDOMLY INITIALISED s4-example model (seed 0)');
  });
  it("inspect counts the checkpoint's parameters (tied tensors once), not the folded constants", () => {
    expect(ssmc(['compile', '--weights', `${WHOLE_FIXTURES}task_lm_tied/last.ckpt`, '--seq-len', '64', '-o', join(tmp, 'lm.onnx')]).code).toBe(0);
    const r = ssmc(['inspect', join(tmp, 'lm.onnx')]);
    // 21 state_dict tensors; the output Linear's weight is the embedding's (32 × 16 = 512 elements counted once).
    expect(r.stdout).toMatch(/parameters: 2432 \(the checkpoint's tensors, from ssmc\.parameters; the initializers hold [\d.]+ k elements with the folded constants\)/);
  });
});
