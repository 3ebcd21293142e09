import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ModelFile, readSafetensors } from 'ssmc';
import { f32, type Tensor } from 'ssmc/ir';

/**
 * The golden cases live beside the project: ../shared/golden — three levels up from here in
 * test/helpers, four from the compiled copy the benchmarks import (dist/test/helpers).
 */
export const GOLDEN_DIR = fileURLToPath(new URL(fileURLToPath(import.meta.url).includes('/dist/test/') ? '../../../../shared/golden/' : '../../../shared/golden/', import.meta.url));

export interface GoldenCase {
  name: string;
  official: { repo: string; file: string; class: string; args: Record<string, unknown> };
  input: { key: string; shape: number[]; dtype: string; layout: string };
  outputs: Record<string, number[]>;
}

export function loadManifest(): GoldenCase[] {
  return JSON.parse(readFileSync(`${GOLDEN_DIR}manifest.json`, 'utf8')).cases as GoldenCase[];
}

export function goldenCase(name: string): GoldenCase {
  const c = loadManifest().find((x) => x.name === name);
  if (!c) throw new Error(`golden case '${name}' is not in the manifest`);
  return c;
}

/** Official class → our arch id. */
export function archFor(c: GoldenCase): string {
  const key = `${c.official.file}:${c.official.class}`;
  const map: Record<string, string> = {
    'models/s4/s4d.py:S4D': 's4d-minimal',
    'models/s4/s4.py:S4Block': 's4-block',
    'src/models/sequence/ss/standalone/dss.py:DSS': 'dss',
    'gated_state_spaces_pytorch/gss.py:GSS': 'gss',
    'gated_state_spaces_pytorch/gss.py:GatedStateSpacesLM': 'gss-lm',
  };
  const id = map[key];
  if (!id) throw new Error(`no arch for ${key}`);
  return id;
}

export function modelFileFor(c: GoldenCase): ModelFile {
  return { arch: archFor(c), args: c.official.args };
}

export function goldenWeights(c: GoldenCase): Map<string, Tensor> {
  const path = `${GOLDEN_DIR}${c.name}.weights.safetensors`;
  return readSafetensors(new Uint8Array(readFileSync(path)), path);
}

export function goldenIo(c: GoldenCase): Map<string, Tensor> {
  const path = `${GOLDEN_DIR}${c.name}.io.safetensors`;
  return readSafetensors(new Uint8Array(readFileSync(path)), path);
}

/** A golden checkpoint by case name; 'name:P/2' halves the S4 DPLR low-rank term P (a near-normal A). */
export function goldenCheckpoint(spec: string): Map<string, Tensor> {
  const [name, variant] = spec.split(':');
  const tensors = goldenWeights(goldenCase(name!));
  if (variant === 'P/2') {
    const P = tensors.get('layer.kernel.P')!;
    tensors.set('layer.kernel.P', f32((P.data as Float32Array).map((v) => v / 2), P.dims));
  }
  return tensors;
}

/** The length and opset variants every golden case runs under in the runtime tests: (label, length, opset). */
export const LENGTHS_AND_OPSETS = [
  ['fixed length', 'fixed', 17],
  ['dynamic length', 'dynamic', 17],
  ['fixed length, opset 20', 'fixed', 20],
  ['dynamic length, opset 20', 'dynamic', 20],
] as const;
