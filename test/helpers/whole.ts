import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../export/safetensors.js';
import type { Tensor } from '../../ir/tensor.js';
import { loadModelSource, type ModelSource } from '../../src/model-source.js';
import { GOLDEN_DIR } from './golden.js';

/**
 * The whole state-spaces/s4 models as their users have them: the shared golden cases
 * (../shared/golden/whole) and the repo's own (test/fixtures/whole), each in every file form it
 * ships — a Lightning last.ckpt alone (its config in hyper_parameters), model.pt with the Hydra
 * config.yaml, example.py's ckpt.pth with a model file naming it.
 */
export const WHOLE_FIXTURES = fileURLToPath(new URL('../fixtures/whole/', import.meta.url));
export const WHOLE_GOLDEN = `${GOLDEN_DIR}whole/`;

export interface WholeCase {
  /** 'golden/seqmodel_mnist' or 'fixtures/kernels_dplr'. */
  name: string;
  dir: string;
  /** The file forms, each a way to load the model. */
  forms: WholeForm[];
  /** Whether the official config holds attention layers (mha). */
  attention: boolean;
}

export interface WholeForm {
  /** 'last.ckpt', 'config.yaml + model.pt', 'ckpt.pth (model file)'. */
  label: string;
  load(): ModelSource;
}

interface CaseJson {
  module: string;
  args?: Record<string, unknown>;
  config?: { model?: { layer?: unknown } };
}

function casesIn(root: string, tag: string): WholeCase[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().map((name) => {
    const dir = `${root}${name}/`;
    const meta = JSON.parse(readFileSync(`${dir}case.json`, 'utf8')) as CaseJson;
    const forms: WholeForm[] = [];
    if (existsSync(`${dir}last.ckpt`)) forms.push({ label: 'last.ckpt', load: () => loadModelSource(undefined, `${dir}last.ckpt`) });
    if (existsSync(`${dir}model.pt`)) forms.push({ label: 'config.yaml + model.pt', load: () => loadModelSource(`${dir}config.yaml`, `${dir}model.pt`) });
    if (existsSync(`${dir}ckpt.pth`)) {
      // example.py saves no config: the model file gives prenorm, the tensors the rest.
      const prenorm = meta.args?.prenorm === true;
      forms.push({ label: 'ckpt.pth (model file)', load: () => loadExample(dir, prenorm) });
    }
    const text = readFileSync(`${dir}case.json`, 'utf8') + (existsSync(`${dir}config.yaml`) ? readFileSync(`${dir}config.yaml`, 'utf8') : '');
    return { name: `${tag}/${name}`, dir, forms, attention: /_name_"?:\s*"?mha/.test(text) };
  });
}

/** example.py's checkpoint through a model file that names it ("weights" is absolute here; relative ones are resolved from the file's folder). */
function loadExample(dir: string, prenorm: boolean): ModelSource {
  const path = join(mkdtempSync(join(tmpdir(), 'ssmc-example-')), 'model.json');
  writeFileSync(path, JSON.stringify({ arch: 's4-example', args: { prenorm }, weights: `${dir}ckpt.pth` }));
  return loadModelSource(path, undefined);
}

export const WHOLE_CASES: WholeCase[] = [...casesIn(WHOLE_GOLDEN, 'golden'), ...casesIn(WHOLE_FIXTURES, 'fixtures')];

export function wholeIo(c: WholeCase): { input: Tensor; output: Tensor; outputF64: Tensor; reference: Float64Array } {
  const io = readSafetensors(new Uint8Array(readFileSync(`${c.dir}io.safetensors`)), `${c.name}/io.safetensors`);
  const outputF64 = io.get('output_f64')!;
  return { input: io.get('input')!, output: io.get('output')!, outputF64, reference: Float64Array.from(outputF64.data as Float64Array) };
}
