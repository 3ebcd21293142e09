/**
 * CausalAttention(q, k, v){scale, chunk} and lower-attention: the op's float64 definition (the
 * interpreter) and its lowering (MatMul / Softmax with a causal mask, chunk-local attention per
 * padded chunk) against an independent float64 reference — softmax over an explicit L × L score
 * matrix with −∞ where a key is in the future or in another chunk — in the interpreter and in
 * onnxruntime, at fixed and dynamic lengths that are and are not multiples of the chunk.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison } from 'ssmc';
import { causalAttention, printModel, type Model, type Tensor } from 'ssmc/ir';
import { csePass, dcePass, foldConstantsPass, KEEP_COMPUTED_MASK_BYTES, lowerAttentionPass, lowerAttentionPassWith, runPipeline } from 'ssmc/passes';
import { evalF64, input, newModel, opsOf, randomTensor, runOrt } from '../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const B = 2, NH = 3, DK = 4, DV = 5, SCALE = 0.5;

/** softmax over the explicit score matrix, −∞ outside the allowed set: y [B,NH,L,DV] in float64. */
function reference(q: Tensor, k: Tensor, v: Tensor, L: number, chunk: number): Float64Array {
  const [qd, kd, vd] = [q, k, v].map((t) => t.data as Float32Array) as [Float32Array, Float32Array, Float32Array];
  const y = new Float64Array(B * NH * L * DV);
  for (let bh = 0; bh < B * NH; bh++) {
    const S = Array.from({ length: L }, (_, t) => Array.from({ length: L }, (_, s) => {
      const allowed = s <= t && (chunk === 0 || Math.floor(s / chunk) === Math.floor(t / chunk));
      if (!allowed) return -Infinity;
      let dot = 0;
      for (let d = 0; d < DK; d++) dot += qd[(bh * L + t) * DK + d]! * kd[(bh * L + s) * DK + d]!;
      return SCALE * dot;
    }));
    for (let t = 0; t < L; t++) {
      const m = Math.max(...S[t]!);
      const e = S[t]!.map((x) => Math.exp(x - m));
      const z = e.reduce((a, c) => a + c, 0);
      for (let s = 0; s < L; s++) for (let d = 0; d < DV; d++) y[(bh * L + t) * DV + d] += (e[s]! / z) * vd[(bh * L + s) * DV + d]!;
    }
  }
  return y;
}

function attnModel(opset: number, L: number | 'L', chunk: number): Model {
  const { model, b } = newModel(opset);
  const [q, k, v] = (['q', 'k', 'v'] as const).map((n) => input(model, n, ['batch', NH, L, n === 'v' ? DV : DK]));
  const y = causalAttention(b, q!, k!, v!, { scale: SCALE, chunk });
  model.graph.renameValue(y, 'y');
  model.graph.outputs.push(y);
  return model;
}

function feeds(L: number, seed: number): Record<string, Tensor> {
  return { q: randomTensor([B, NH, L, DK], seed), k: randomTensor([B, NH, L, DK], seed + 1), v: randomTensor([B, NH, L, DV], seed + 2) };
}

const TAIL = [lowerAttentionPass, foldConstantsPass, csePass, dcePass];

describe('lower-attention: IR before and after', () => {
  it('full: one head at a time — Split q·scale, kᵀ, v by head; per head MatMul, + the 0/−∞ mask, Softmax, MatMul; Concat', () => {
    const model = attnModel(17, 'L', 0);
    expect(printModel(model)).toMatch(/%y = ai\.ssmc\.CausalAttention\(%q, %k, %v\) \{chunk=0, scale=0\.5\} : f32\[batch,3,L,5\]/);
    runPipeline(model, { opset: 17 }, [lowerAttentionPass]);
    const ops = opsOf(model);
    const count = (op: string) => ops.filter((o) => o === op).length;
    expect([count('Split'), count('MatMul'), count('Add'), count('Softmax'), count('Concat')]).toEqual([3, 2 * NH, NH, NH, 1]);
    // One mask for every head, built from Range: Greater → Where(future, −∞, 0).
    expect([count('Range'), count('Greater'), count('Where'), count('Transpose')]).toEqual([1, 1, 1, 1]);
    expect(ops).not.toContain('Pad');
    const text = printModel(model);
    expect(text).toMatch(/%greater = Greater\(%unsqueeze, %unsqueeze_1\) : bool\[L,L\]/);
    expect(text).toMatch(/%where = Where\(%greater, %neg_inf\w*, %zero\w*\) : f32\[L,L\]/);
    // No score tensor holds more than one head: [batch, 1, L, L].
    const scores = model.graph.nodes.filter((n) => ['MatMul', 'Add', 'Softmax'].includes(n.op)).map((n) => n.outputs[0]!.type.shape);
    expect(scores.filter((s) => s?.[3] === 'L')).toHaveLength(3 * NH);
    for (const s of scores) expect(s?.[1]).toBe(1);
    expect(text).toMatch(/= Softmax\(%add\w*\) \{axis=-1\} : f32\[batch,1,L,L\]/);
    expect(text).toMatch(/%y = Concat\(/);
  });

  it('full, heads batched (the form the bench compares): one MatMul over every head\'s [L, L] scores', () => {
    const model = attnModel(17, 'L', 0);
    runPipeline(model, { opset: 17 }, [lowerAttentionPassWith('batched')]);
    const ops = opsOf(model);
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(2);
    expect(ops.filter((o) => o === 'Softmax')).toHaveLength(1);
    expect(ops).not.toContain('Split');
    expect(printModel(model)).toMatch(/%softmax = Softmax\(%add\) \{axis=-1\} : f32\[batch,3,L,L\]/);
  });

  it('chunk-local: q, k, v padded to whole chunks and reshaped to [B, heads, chunks, chunk, d]; scores chunk × chunk, one head at a time; cut back to L', () => {
    const model = attnModel(17, 'L', 8);
    runPipeline(model, { opset: 17 }, TAIL);
    const ops = opsOf(model);
    expect(ops.filter((o) => o === 'Pad')).toHaveLength(3);
    expect(ops.filter((o) => o === 'Split')).toHaveLength(3);
    expect(ops.filter((o) => o === 'Softmax')).toHaveLength(NH);
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(2 * NH);
    const text = printModel(model);
    expect(text).toMatch(/= Softmax\(%\w+\) \{axis=-1\} : f32\[\?,1,\?,8,8\]/);
    // The [chunk, chunk] mask is a constant once the chunk is known.
    expect(ops).not.toContain('Greater');
    expect(ops).not.toContain('Where');
    expect(text).toMatch(/%y = Slice\(/);
  });

  it('a fixed length inside one chunk takes the full form', () => {
    const model = attnModel(17, 6, 8);
    runPipeline(model, { opset: 17 }, [lowerAttentionPass]);
    expect(opsOf(model)).not.toContain('Pad');
  });

  it('fixed length: a small mask folds to a constant, an L² one (over 1 MiB) stays computed from Range', () => {
    const small = attnModel(17, 64, 0);
    runPipeline(small, { opset: 17 }, TAIL);
    expect(opsOf(small)).not.toContain('Greater');
    const large = attnModel(17, 2048, 0);
    runPipeline(large, { opset: 17 }, TAIL);
    expect(2048 * 2048).toBeGreaterThan(KEEP_COMPUTED_MASK_BYTES);
    expect(opsOf(large)).toContain('Greater');
    expect(opsOf(large)).toContain('Where');
    // Between the two: the booleans (1 MiB) fold, the 0/−∞ floats built from them (4 MiB) stay computed.
    const middle = attnModel(17, 1024, 0);
    runPipeline(middle, { opset: 17 }, TAIL);
    expect(opsOf(middle)).not.toContain('Greater');
    expect(opsOf(middle)).toContain('Where');
    expect(middle.graph.initializers.every((v) => (v.constant?.dims ?? []).reduce((a, c) => a * c, 1) <= 1024 * 1024)).toBe(true);
    expect(large.graph.initializers.every((v) => (v.constant?.dims ?? []).reduce((a, c) => a * c, 1) < 1 << 16)).toBe(true);
  });
});

describe.each([
  ['full', 0],
  ['chunk 4', 4],
  ['chunk 7', 7],
] as const)('CausalAttention, %s: numbers', (_label, chunk) => {
  const lengths = [1, 3, 4, 7, 9, 16, 23];

  it('float64: the definition and the lowered graph equal softmax over the explicit masked score matrix', () => {
    for (const L of lengths) {
      const f = feeds(L, 10 + L);
      const want = reference(f.q!, f.k!, f.v!, L, chunk);
      const model = attnModel(17, 'L', chunk);
      const def = evalF64(model, f).get('y')!;
      expect(def.dims).toEqual([B, NH, L, DV]);
      const a = compareToReference(def.data, want, TOL.F64_SUMS);
      expect(a.ok, describeComparison(`definition, L=${L}`, a)).toBe(true);
      for (const form of ['per-head', 'batched'] as const) {
        const lowered = attnModel(17, 'L', chunk);
        runPipeline(lowered, { opset: 17 }, [lowerAttentionPassWith(form)]);
        const c = compareToReference(evalF64(lowered, f).get('y')!.data, want, TOL.F64_SUMS);
        expect(c.ok, describeComparison(`lowered ${form}, L=${L}`, c)).toBe(true);
      }
    }
  });

  describe.each([17, 20])('opset %i: onnxruntime after the pipeline tail', (opset) => {
    it.each(lengths)('fixed L = %i', async (L) => {
      const model = attnModel(opset, L, chunk);
      runPipeline(model, { opset }, TAIL);
      const f = feeds(L, 20 + L);
      const y = (await runOrt(model, f)).get('y')!;
      expect(y.dims).toEqual([B, NH, L, DV]);
      const cmp = compareToReference(y.data as Float32Array, reference(f.q!, f.k!, f.v!, L, chunk));
      expect(cmp.ok, describeComparison(`fixed L=${L}`, cmp)).toBe(true);
    });

    it.each(['per-head', 'batched'] as const)('dynamic L, %s: one graph for every length', async (form) => {
      const model = attnModel(opset, 'L', chunk);
      runPipeline(model, { opset }, [lowerAttentionPassWith(form), ...TAIL.slice(1)]);
      for (const L of lengths) {
        const f = feeds(L, 30 + L);
        const y = (await runOrt(model, f)).get('y')!;
        expect(y.dims).toEqual([B, NH, L, DV]);
        const cmp = compareToReference(y.data as Float32Array, reference(f.q!, f.k!, f.v!, L, chunk));
        expect(cmp.ok, describeComparison(`dynamic L=${L}`, cmp)).toBe(true);
      }
    });
  });
});
