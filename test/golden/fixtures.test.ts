import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, readSafetensors } from 'ssmc';

/**
 * The reference cases made from the official code by tools/reference (test/fixtures/whole and
 * test/fixtures/variants) are complete and self-consistent: every file case.json names exists in the
 * form it claims, io.safetensors holds input / output / output_f64 of the stated shapes and dtypes,
 * and the official float32 output agrees with the float64 one. The models themselves are checked
 * against them by the tests of the archs that compile them.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const WHOLE = `${FIXTURES}whole/`;
const VARIANTS = `${FIXTURES}variants/`;

interface WholeCase {
  module: string;
  files: Record<string, { dtype?: string; key_prefix: string; storage_location?: string }>;
  input: { dtype: string; shape: number[] };
  output: { shape: number[] };
  forward_kwargs?: Record<string, number[]>;
}

const wholeCases = readdirSync(WHOLE, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const variantCases = readdirSync(VARIANTS).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();

function checkOutputs(io: Map<string, { dtype: string; dims: readonly number[]; data: unknown }>, name: string): void {
  const out = io.get('output')!;
  const ref = io.get('output_f64')!;
  expect(out.dtype).toBe('float32');
  expect(ref.dtype).toBe('float64');
  expect(out.dims).toEqual(ref.dims);
  const cmp = compareToReference(out.data as Float32Array, ref.data as Float64Array);
  expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
}

describe('reference fixtures from the official code', () => {
  it('there are whole-model and variant cases', () => {
    expect(wholeCases.length).toBeGreaterThanOrEqual(27);
    expect(variantCases.length).toBeGreaterThanOrEqual(8);
  });

  it.each(wholeCases)('whole/%s: files, io shapes, float32 vs float64', (name) => {
    const dir = `${WHOLE}${name}/`;
    const c = JSON.parse(readFileSync(`${dir}case.json`, 'utf8')) as WholeCase;
    expect(Object.keys(c.files).length).toBeGreaterThan(0);
    for (const file of Object.keys(c.files)) {
      expect(existsSync(`${dir}${file}`), `${name}/${file}`).toBe(true);
      const head = readFileSync(`${dir}${file}`).subarray(0, 2).toString('latin1');
      if (file === 'config.yaml') expect(readFileSync(`${dir}${file}`, 'utf8')).toMatch(/^train:/);
      else expect(head, `${name}/${file} is a torch.save zip`).toBe('PK');
    }
    if (c.files['model.pt']) expect(c.files['config.yaml'], 'model.pt comes with its Hydra config').toBeDefined();
    const io = readSafetensors(readFileSync(`${dir}io.safetensors`), `${name}/io.safetensors`);
    const input = io.get('input')!;
    expect(input.dtype).toBe(c.input.dtype);
    expect(input.dims).toEqual(c.input.shape);
    expect(io.get('output')!.dims).toEqual(c.output.shape);
    for (const [k, v] of Object.entries(c.forward_kwargs ?? {})) expect(io.get(k)!.dims).toEqual([v.length]);
    checkOutputs(io, name);
  });

  it.each(variantCases)('variants/%s: model file, weights, io shapes, float32 vs float64', (name) => {
    const spec = JSON.parse(readFileSync(`${VARIANTS}${name}.json`, 'utf8')) as { arch: string; args: { num_tokens: number; dim: number } };
    expect(['gss-mhesa-lm', 'gss-dsconv-lm', 'gss-mhesa', 'gss-dsconv']).toContain(spec.arch);
    const weights = readSafetensors(readFileSync(`${VARIANTS}${name}.weights.safetensors`), `${name}.weights.safetensors`);
    const io = readSafetensors(readFileSync(`${VARIANTS}${name}.io.safetensors`), `${name}.io.safetensors`);
    const input = io.get('input')!;
    if (spec.arch.endsWith('-lm')) {
      // A language model: token ids in, logits out.
      expect(weights.get('token_emb.weight')!.dims[0]).toBe(spec.args.num_tokens);
      expect(input.dtype).toBe('int64');
      expect(io.get('output')!.dims).toEqual([...input.dims, spec.args.num_tokens]);
    } else {
      // A block alone: [B, L, dim] in and out.
      expect(weights.get('norm.weight')!.dims).toEqual([spec.args.dim]);
      expect(input.dtype).toBe('float32');
      expect(input.dims[2]).toBe(spec.args.dim);
      expect(io.get('output')!.dims).toEqual(input.dims);
    }
    checkOutputs(io, name);
  });
});
