import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensorFromBytes } from '../../export/onnx-read.js';
import type { Tensor } from 'ssmc/ir';

/**
 * ONNX's backend test corpus as Debian ships it (libonnx-testdata): one folder per test with a
 * model.onnx and test_data_set_N/{input,output}_K.pb (serialized TensorProtos).
 */

export const CORPUS_DIR = '/usr/share/libonnx-testdata/data';
const GROUPS = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'] as const;

export interface CorpusCase {
  /** `node/test_abs` */
  name: string;
  group: (typeof GROUPS)[number];
  dir: string;
  modelPath: string;
}

export interface DataSet {
  /** Tensors in file order; the name is the TensorProto's own (may be empty). */
  inputs: { name: string; tensor: Tensor }[];
  outputs: { name: string; tensor: Tensor }[];
}

export function corpusInstalled(): boolean {
  return existsSync(join(CORPUS_DIR, 'node'));
}

export function listCorpus(): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const group of GROUPS) {
    const root = join(CORPUS_DIR, group);
    if (!existsSync(root)) continue;
    for (const test of readdirSync(root).sort()) {
      const modelPath = join(root, test, 'model.onnx');
      if (existsSync(modelPath)) out.push({ name: `${group}/${test}`, group, dir: join(root, test), modelPath });
    }
  }
  return out;
}

/**
 * The data sets of a case, or a reason when a file is not a tensor (sequence and optional
 * inputs are SequenceProto / OptionalProto files, which ssmc does not read).
 */
export function loadDataSets(c: CorpusCase): DataSet[] | string {
  const sets: DataSet[] = [];
  for (const d of readdirSync(c.dir).filter((f) => f.startsWith('test_data_set_')).sort()) {
    const files = readdirSync(join(c.dir, d));
    const read = (prefix: string) => files.filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
      .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
      .map((f) => tensorFromBytes(new Uint8Array(readFileSync(join(c.dir, d, f))), `${c.name}/${d}/${f}`));
    try {
      sets.push({ inputs: read('input_'), outputs: read('output_') });
    } catch (e) {
      return `a data file is not a TensorProto (${(e as Error).message.slice(0, 120)})`;
    }
  }
  return sets;
}
