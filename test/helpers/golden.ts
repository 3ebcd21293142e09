import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../export/safetensors.js';
import type { Tensor } from '../../ir/tensor.js';
import type { ModelFile } from '../../src/compile.js';

/** The golden cases live beside the project: ../shared/golden. */
export const GOLDEN_DIR = fileURLToPath(new URL('../../../shared/golden/', import.meta.url));

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
