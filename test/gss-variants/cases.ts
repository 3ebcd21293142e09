import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ModelFile, readSafetensors, type Weights } from 'ssmc';
import type { Tensor } from 'ssmc/ir';
import { GOLDEN_DIR } from '../helpers/golden.js';

/**
 * lucidrains' GatedExponentialSmoothingLM / GatedDsConv cases made by running the official code:
 * the public ones (../shared/golden/variants) and ours (test/fixtures/variants, made by
 * tools/reference/make_variant_cases.py). Each: model file, official state_dict, input and the
 * official float64 output.
 */
export const PUBLIC_DIR = `${GOLDEN_DIR}variants/`;
export const OWN_DIR = fileURLToPath(new URL('../fixtures/variants/', import.meta.url));

export interface VariantCase {
  name: string;
  file: ModelFile;
  weights: () => Weights;
  input: Tensor;
  ref: Float64Array;
  /** The output's dims (the official float32 output's). */
  dims: readonly number[];
}

export function variantCase(dir: string, name: string): VariantCase {
  const file = JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as ModelFile;
  const io = readSafetensors(new Uint8Array(readFileSync(`${dir}${name}.io.safetensors`)), `${name}.io.safetensors`);
  const path = `${dir}${name}.weights.safetensors`;
  return {
    name, file,
    weights: () => ({ tensors: readSafetensors(new Uint8Array(readFileSync(path)), path), source: `${name}.weights.safetensors` }),
    input: io.get('input')!,
    ref: Float64Array.from(io.get('output_f64')!.data as Float64Array),
    dims: io.get('output')!.dims,
  };
}

export const MHESA_CASES = [
  [PUBLIC_DIR, 'gss_mhesa_lm'], [OWN_DIR, 'gss_mhesa_lm_h8_d3'], [OWN_DIR, 'gss_mhesa_lm_h1_frac'], [OWN_DIR, 'gss_mhesa_block'],
] as const;

export const DSCONV_CASES = [
  [PUBLIC_DIR, 'gss_dsconv_lm'], [OWN_DIR, 'gss_dsconv_lm_h2_d3'], [OWN_DIR, 'gss_dsconv_lm_h8_frac'], [OWN_DIR, 'gss_dsconv_lm_long'],
  [OWN_DIR, 'gss_dsconv_block'], [OWN_DIR, 'gss_dsconv_block_reverse'],
] as const;
