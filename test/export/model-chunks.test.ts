/**
 * modelToChunks: the bytes of modelToBytes in pieces, every weight of 64 KiB or more by reference
 * (not copied), for models with small and large weights, functions, subgraphs and 16-bit raw data;
 * and the compile command writes the same file either way.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileModel, modelToBytes, modelToChunks, parseModelFile, readSafetensors } from 'ssmc';
import { Builder, f32, Model, tensorType, type Tensor } from 'ssmc/ir';
import { functionModel, ifModel, kitchenSinkModel, mlpModel } from './fixtures.js';

/** The first offset where two byte strings differ, −1 when equal (no element-wise diff of megabytes on failure). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.byteLength === b.byteLength ? -1 : n;
}

function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

/** A graph with weights on both sides of the 64 KiB line, in an order that interleaves them. */
function mixedModel(): { model: Model; large: Tensor[] } {
  const model = new Model(17);
  const b = new Builder(model.graph, 17);
  let v = model.graph.addInput('x', tensorType('float32', [1, 128]));
  const weight = (name: string, dims: number[]) => f32(Array.from({ length: dims.reduce((a, c) => a * c, 1) }, (_, j) => Math.sin(name.length + j)), dims);
  const large = [weight('w_large_1', [128, 128]), weight('w_large_2', [128, 256])];
  const small = [weight('s1', [128]), weight('s2', [256]), weight('s3', [256])];
  v = b.add(v, b.initializer('s1', small[0]!));
  v = b.matmul(v, b.initializer('w_large_1', large[0]!));
  v = b.matmul(b.add(v, b.initializer('s1b', small[0]!)), b.initializer('w_large_2', large[1]!));
  v = b.mul(b.add(v, b.initializer('s2', small[1]!)), b.initializer('s3', small[2]!));
  model.graph.renameValue(v, 'y');
  model.graph.outputs.push(v);
  return { model, large };
}

describe('modelToChunks', () => {
  it.each([
    ['an MLP', mlpModel],
    ['every attribute kind and dtype', kitchenSinkModel],
    ['model-local functions', () => functionModel(0.5)],
    ['an If with subgraphs', ifModel],
  ])('%s: the same bytes as modelToBytes', (_name, make) => {
    const model = make();
    expect(firstDifference(joined(modelToChunks(model)), modelToBytes(model))).toBe(-1);
  });

  it('weights of 64 KiB and more travel by reference, smaller ones are encoded with their neighbours', () => {
    const { model, large } = mixedModel();
    const chunks = modelToChunks(model);
    expect(firstDifference(joined(chunks), modelToBytes(model))).toBe(-1);
    for (const t of large) {
      const data = t.data as Float32Array;
      expect(chunks.some((c) => c.buffer === data.buffer && c.byteOffset === data.byteOffset && c.byteLength === data.byteLength)).toBe(true);
    }
    // Pieces: encoded, a large weight, encoded, a large weight, encoded.
    expect(chunks).toHaveLength(5);
  });

  it('a compiled LM (float32 and its fp16 variant): the same bytes', () => {
    const dir = new URL('../../examples/gss-code/', import.meta.url);
    const file = parseModelFile(readFileSync(new URL('model.json', dir), 'utf8'), 'model.json');
    const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(new URL('gss_code.weights.safetensors', dir)))), source: 'gss-code' };
    for (const precision of ['fp32', 'fp16'] as const) {
      const { model } = compileModel(file, weights, { seqLen: null, opset: 17, precision });
      const chunks = modelToChunks(model);
      expect(chunks.length).toBeGreaterThan(10);
      expect(firstDifference(joined(chunks), modelToBytes(model))).toBe(-1);
    }
  });
});
