import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Opaque, TorchTensor, readTorchCheckpoint, type CheckpointObject } from '../../export/torch-checkpoint.js';
import { type CheckpointContents, readCheckpoint } from 'ssmc';
import type { Tensor } from 'ssmc/ir';
import { configFromCheckpoint, parseYamlConfig, resolveConfig, type ConfigObject } from '../../src/config/index.js';
import { GOLDEN_DIR } from '../helpers/golden.js';

/**
 * Every tensor of every torch.save fixture and of every shared whole-model file, read back and
 * compared with what torch itself computed (test/fixtures/torch/make_fixtures.py): dtype, shape
 * and the SHA-256 of the contiguous little-endian bytes.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));

interface Expected {
  location: string;
  tensors: Record<string, { dtype: string; shape: number[]; sha256: string }>;
  hyper_parameters?: unknown;
  hyper_parameters_resolved?: unknown;
}

const TORCH_DTYPE: Record<string, string> = {
  float32: 'float32', float64: 'float64', float16: 'float16', bfloat16: 'bfloat16', int64: 'int64', int32: 'int32', int16: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool', complex64: 'complex64', complex128: 'complex128', uint16: 'uint16',
};

export function tensorBytes(t: Tensor): Uint8Array {
  if (t.raw) return t.raw;
  const d = t.data as Exclude<Tensor['data'], null | string[]>;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function expectTensors(got: CheckpointContents, want: Expected): void {
  expect(got.location).toBe(want.location);
  expect([...got.tensors.keys()].sort()).toEqual(Object.keys(want.tensors).sort());
  for (const [name, w] of Object.entries(want.tensors)) {
    const t = got.tensors.get(name)!;
    expect({ name, dtype: t.dtype, shape: t.dims }).toEqual({ name, dtype: TORCH_DTYPE[w.dtype], shape: w.shape });
    expect(sha256(tensorBytes(t)), name).toBe(w.sha256);
  }
}

const read = (path: string) => readCheckpoint(new Uint8Array(readFileSync(path)), path);

describe('torch.save fixtures read back exactly', () => {
  const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as Record<string, Expected>;
  for (const [file, want] of Object.entries(expected)) {
    it(file, () => {
      const got = read(`${FIXTURES}valid/${file}`);
      expect(got.format).toBe('torch');
      expectTensors(got, want);
      if (want.hyper_parameters) expect((got.root as CheckpointObject).hyper_parameters).toEqual(want.hyper_parameters);
    });
  }

  it('views of one storage share its bytes, which are read once', () => {
    const c = readTorchCheckpoint(new Uint8Array(readFileSync(`${FIXTURES}valid/views.pt`)), 'views.pt');
    const root = c.root as CheckpointObject;
    const a = root['tied.a'] as TorchTensor, b = root['tied.b'] as TorchTensor, row = root['tied.first_row'] as TorchTensor;
    expect(a).toBe(b); // one pickled object, memoised
    expect(row.storage).toBe(a.storage);
    expect((root.transposed as TorchTensor).storage).toBe((root.base as TorchTensor).storage);
    expect(a.storage.src.read()).toBe(row.storage.src.read());
    expect((root.broadcast as TorchTensor).stride).toEqual([0, 1]);
  });

  it('keeps what is not plain data as inert placeholders that name their class', () => {
    const root = read(`${FIXTURES}valid/dplr-lightning.ckpt`).root as CheckpointObject;
    const cb = Object.values(root.callbacks as CheckpointObject)[0] as CheckpointObject;
    expect(cb.best_model_path).toEqual(new Opaque('an object of pathlib.PurePosixPath'));
    expect(cb.stopper).toEqual(new Opaque('an object of __main__.EarlyStoppingState'));
    expect((cb.kth_value as Opaque).what).toMatch(/numpy/);
    expect(cb.best_model_score).toBeInstanceOf(TorchTensor);
  });

  it('reports what it took and what it left', () => {
    const c = read(`${FIXTURES}valid/dplr-lightning.ckpt`);
    expect(c.location).toBe("'state_dict'");
    expect(c.ignored).toContain("'optimizer_states' (a list of 1 with 2 tensors)");
    expect(c.ignored).toContain("'hparams_name' (\"config\")");
    const p = read(`${FIXTURES}valid/parameters.pt`);
    expect(p.ignored).toEqual(["'raw' (storage '2' (untyped, 20 bytes))"]);
  });
});

describe('the shared whole-model checkpoints (../shared/golden/whole) read back exactly', () => {
  const expected = JSON.parse(readFileSync(`${FIXTURES}golden-whole.expected.json`, 'utf8')) as Record<string, Expected & { config?: unknown }>;
  for (const [file, want] of Object.entries(expected)) {
    if (want.config !== undefined) continue;
    it(file, () => {
      const got = read(`${GOLDEN_DIR}whole/${file}`);
      expectTensors(got, want);
      if (want.hyper_parameters) expect((got.root as CheckpointObject).hyper_parameters).toEqual(want.hyper_parameters);
    });
  }
});

describe("the repo's whole-model cases (test/fixtures/whole) read back exactly, configs as omegaconf resolves them", () => {
  const WHOLE = fileURLToPath(new URL('../fixtures/whole/', import.meta.url));
  const MODEL_KEYS = ['model', 'encoder', 'decoder', 'dataset', 'task'];
  const modelPart = (c: ConfigObject, source: string) => {
    const resolved = resolveConfig(c, source, { only: MODEL_KEYS });
    return Object.fromEntries(MODEL_KEYS.filter((k) => Object.hasOwn(resolved, k)).map((k) => [k, resolved[k]]));
  };
  const expected = JSON.parse(readFileSync(`${FIXTURES}fixtures-whole.expected.json`, 'utf8')) as Record<string, {
    location?: string; tensors_digest?: { sha256: string; count: number }; model_config: ConfigObject;
  }>;
  for (const [file, want] of Object.entries(expected)) {
    it(file, () => {
      if (file.endsWith('config.yaml')) {
        expect(modelPart(parseYamlConfig(readFileSync(`${WHOLE}${file}`, 'utf8'), file), file)).toEqual(want.model_config);
        return;
      }
      const got = read(`${WHOLE}${file}`);
      expect(got.location).toBe(want.location);
      const lines = [...got.tensors.keys()].sort().map((name) => {
        const t = got.tensors.get(name)!;
        return `${name}\0${Object.keys(TORCH_DTYPE).find((k) => TORCH_DTYPE[k] === t.dtype)}\0${t.dims.join(',')}\0${sha256(tensorBytes(t))}\n`;
      });
      expect(lines.length).toBe(want.tensors_digest!.count);
      expect(sha256(new TextEncoder().encode(lines.join('')))).toBe(want.tensors_digest!.sha256);
      if (want.model_config) expect(modelPart(configFromCheckpoint(got)!, file)).toEqual(want.model_config);
    });
  }
});
