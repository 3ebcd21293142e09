/**
 * com.microsoft.RotaryEmbedding in the reference interpreter (ir/interp/ops/rotary-embedding.ts):
 * each input layout (3-D heads side by side, 4-D heads first), both pairings (halves, interleaved),
 * a partial rotary dim, both position-id forms — against a direct loop over the pairs written here
 * and against onnxruntime's own kernel on the same graph. Caches of any (cos, sin), not unit
 * vectors: ssmc uses the op to multiply by a complex μ with |μ| < 1.
 */
import { describe, expect, it } from 'vitest';
import { i64, MS_DOMAIN, type Tensor } from 'ssmc/ir';
import { evalF64, input, maxAbsDiff, newModel, randomTensor, runOrt } from '../helpers/graphs.js';

interface Case { name: string; dims: number[]; heads: number; rotary: number; interleaved: boolean; positions: Tensor; maxPos: number }

/** The rotation as its definition reads, for [B,S,hidden] (heads side by side) or [B,heads,S,head]. */
function direct(c: Case, x: Float32Array, cos: Float32Array, sin: Float32Array): Float64Array {
  const out = Float64Array.from(x);
  const fourD = c.dims.length === 4;
  const [B, S] = fourD ? [c.dims[0]!, c.dims[2]!] : [c.dims[0]!, c.dims[1]!];
  const head = fourD ? c.dims[3]! : c.dims[2]! / c.heads, half = c.rotary / 2;
  const pos = c.positions.data as BigInt64Array;
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) for (let h = 0; h < c.heads; h++) {
    const p = Number(pos.length === 1 ? pos[0]! + BigInt(s) : pos[b * S + s]!);
    const base = fourD ? ((b * c.heads + h) * S + s) * head : (b * S + s) * c.heads * head + h * head;
    for (let i = 0; i < half; i++) {
      const [i1, i2] = c.interleaved ? [base + 2 * i, base + 2 * i + 1] : [base + i, base + i + half];
      const a = x[i1]!, d = x[i2]!, co = cos[p * half + i]!, si = sin[p * half + i]!;
      out[i1] = a * co - d * si;
      out[i2] = d * co + a * si;
    }
  }
  return out;
}

const CASES: Case[] = [
  { name: '4-D [B, heads, S, head], halves, one start position', dims: [2, 3, 4, 8], heads: 3, rotary: 8, interleaved: false, positions: i64([2], [1]), maxPos: 9 },
  { name: '4-D, interleaved pairs, positions per token', dims: [2, 3, 4, 8], heads: 3, rotary: 8, interleaved: true, positions: i64([0, 5, 1, 1, 7, 2, 3, 0], [2, 4]), maxPos: 8 },
  { name: '3-D [B, S, hidden] with num_heads, halves', dims: [2, 4, 12], heads: 3, rotary: 4, interleaved: false, positions: i64([0, 1, 2, 3, 3, 2, 1, 0], [2, 4]), maxPos: 4 },
  { name: '3-D, a partial rotary dim (the rest passes through)', dims: [1, 5, 16], heads: 2, rotary: 4, interleaved: true, positions: i64([1], [1]), maxPos: 6 },
];

describe('com.microsoft.RotaryEmbedding', () => {
  it.each(CASES)('$name: the interpreter equals the definition and onnxruntime', async (c) => {
    const { model, b } = newModel(17);
    model.opsetImports.set(MS_DOMAIN, 1);
    const x = input(model, 'x', c.dims);
    const cos = input(model, 'cos', [c.maxPos, c.rotary / 2]), sin = input(model, 'sin', [c.maxPos, c.rotary / 2]);
    const attrs: Record<string, number> = c.dims.length === 3 ? { num_heads: c.heads, rotary_embedding_dim: c.rotary, interleaved: c.interleaved ? 1 : 0 } : { interleaved: c.interleaved ? 1 : 0 };
    const y = b.op('RotaryEmbedding', [x, b.initializer('positions', c.positions), cos, sin], attrs, { domain: MS_DOMAIN });
    model.graph.renameValue(y, 'y');
    model.graph.outputs.push(y);
    // Caches with |cos + i·sin| ≠ 1, as a complex multiply by μ uses them.
    const feeds = { x: randomTensor(c.dims, 1), cos: randomTensor([c.maxPos, c.rotary / 2], 2, 0.7), sin: randomTensor([c.maxPos, c.rotary / 2], 3, 0.7) };
    const want = direct(c, feeds.x.data as Float32Array, feeds.cos.data as Float32Array, feeds.sin.data as Float32Array);
    const got = evalF64(model, feeds).get('y')!;
    expect(got.dims).toEqual(c.dims);
    expect(maxAbsDiff(got.data, want)).toBeLessThan(1e-12);
    if (c.rotary < c.dims.at(-1)! / (c.dims.length === 3 ? c.heads : 1)) expect(got.data[c.rotary + 1]).toBe((feeds.x.data as Float32Array)[c.rotary + 1]);
    const ort = (await runOrt(model, feeds)).get('y')!.data as Float32Array;
    expect(maxAbsDiff(ort, want)).toBeLessThan(1e-5);
  });

  it('names the rule when a position falls outside the caches', () => {
    const { model, b } = newModel(17);
    model.opsetImports.set(MS_DOMAIN, 1);
    const x = input(model, 'x', [1, 2, 3, 4]);
    const cache = b.initializer('cache', randomTensor([2, 2], 4));
    const y = b.op('RotaryEmbedding', [x, b.initializer('positions', i64([1], [1])), cache, cache], {}, { domain: MS_DOMAIN });
    model.graph.renameValue(y, 'y');
    model.graph.outputs.push(y);
    expect(() => evalF64(model, { x: randomTensor([1, 2, 3, 4], 5) })).toThrow(/position 2 \(batch 0, seq 1\) is outside the caches' 2 rows/);
  });
});
