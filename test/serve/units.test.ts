import { describe, expect, it } from 'vitest';
import { Rng } from 'ssmc';
import { checkSamplingParams, Sampler, sampleToken } from '../../src/sampling.js';
import { StopMatcher } from '../../src/serve/stop.js';
import { decodeInput, encodeOutput } from '../../src/serve/v2-tensors.js';

/** The sampler before top-p was added (ssmc generate's), as the reference for top_p = 1. */
function samplerBeforeTopP(logits: Float32Array, temperature: number, topK: number, rng: Rng): number {
  const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (temperature === 0) return order[0]!;
  const kept = order.slice(0, topK > 0 ? topK : order.length);
  const max = logits[kept[0]!]!;
  const weights = kept.map((i) => Math.exp((logits[i]! - max) / temperature));
  let r = rng.uniform() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < kept.length; j++) {
    r -= weights[j]!;
    if (r <= 0) return kept[j]!;
  }
  return kept[kept.length - 1]!;
}

describe('sampling', () => {
  const logits = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) * 3);

  it('with top_p = 1 it draws exactly what the sampler before top-p drew (greedy ties: lowest index)', () => {
    for (const [t, k] of [[0, 0], [0.7, 0], [1, 10], [1.5, 3]] as const) {
      const a = new Rng(5), b = new Rng(5);
      const ours = Array.from({ length: 200 }, () => sampleToken(logits, t, k, a, 1));
      expect(ours).toEqual(Array.from({ length: 200 }, () => samplerBeforeTopP(logits, t, k, b)));
    }
    expect(sampleToken(Float32Array.of(1, 3, 3, 0), 0, 0, new Rng(0))).toBe(1);
  });

  it('top_p keeps the smallest set of most likely tokens reaching p', () => {
    // Probabilities 0.5, 0.3, 0.2 at temperature 1.
    const l = Float32Array.of(Math.log(0.2), Math.log(0.5), Math.log(0.3));
    const drawn = (p: number) => new Set(Array.from({ length: 400 }, (_, i) => sampleToken(l, 1, 0, new Rng(i), p)));
    expect(drawn(0.5)).toEqual(new Set([1]));
    expect(drawn(0.79)).toEqual(new Set([1, 2]));
    expect(drawn(1)).toEqual(new Set([0, 1, 2]));
  });

  it('a seeded sampler repeats itself; parameters are checked by name', () => {
    const params = { temperature: 0.8, topK: 5, topP: 0.9, seed: 42 };
    const a = new Sampler(params), b = new Sampler(params);
    expect(Array.from({ length: 50 }, () => a.pick(logits))).toEqual(Array.from({ length: 50 }, () => b.pick(logits)));
    expect(() => checkSamplingParams({ ...params, topP: 0 }, (n) => `--${n}`)).toThrow(/--topP must be a number in \(0, 1\]/);
    expect(() => checkSamplingParams({ ...params, temperature: -1 }, (n) => `'${n}'`)).toThrow(/'temperature' must be a number ≥ 0/);
  });
});

describe('stop sequences', () => {
  it('hold back a possible start of a stop sequence and cut at the earliest one', () => {
    const m = new StopMatcher(['\n\n', 'END']);
    expect(m.push('abc\n')).toEqual({ emit: 'abc', stopped: false });
    expect(m.push('x')).toEqual({ emit: '\nx', stopped: false });
    expect(m.push('E')).toEqual({ emit: '', stopped: false });
    expect(m.push('N')).toEqual({ emit: '', stopped: false });
    expect(m.push('Dzz\n\n')).toEqual({ emit: '', stopped: true });
    const n = new StopMatcher(['ab']);
    expect(n.push('xa')).toEqual({ emit: 'x', stopped: false });
    expect(n.flush()).toBe('a');
  });
});

describe('v2 tensors', () => {
  const spec = { name: 'x', dtype: 'float32' as const, shape: ['batch', 3] };
  it('JSON data flat or nested, row-major; binary data of the exact size', () => {
    const flat = decodeInput({ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }, 'inputs[0]', spec, 100, null);
    const nested = decodeInput({ name: 'x', shape: [2, 3], datatype: 'FP32', data: [[1, 2, 3], [4, 5, 6]] }, 'inputs[0]', spec, 100, null);
    expect(nested).toEqual(flat);
    const bin = decodeInput({ name: 'x', shape: [2, 3], datatype: 'FP32' }, 'inputs[0]', spec, 100, new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6).buffer));
    expect(bin).toEqual(flat);
    expect(() => decodeInput({ name: 'x', shape: [2, 3], datatype: 'FP32' }, 'inputs[0]', spec, 100, new Uint8Array(20))).toThrow(/binary_data_size is 20 bytes but shape \[2, 3\] of FP32 needs 24/);
    expect(() => decodeInput({ name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3] }, 'inputs[0]', spec, 5, null)).toThrow(/more than the server's limit of 5 elements/);
    expect(() => decodeInput({ name: 'x', shape: [2, 3], datatype: 'FP32', data: [[1, 2, 3], [4, 5, true]] }, 'inputs[0]', spec, 100, null)).toThrow(/element 5 of "data" must be a number/);
  });
  it('outputs as JSON numbers or raw little-endian bytes; BOOL as true/false, INT64 as numbers', () => {
    expect(encodeOutput('y', { dtype: 'bool', dims: [2], data: Uint8Array.of(1, 0) }, false).json).toEqual({ name: 'y', datatype: 'BOOL', shape: [2], data: [true, false] });
    expect(encodeOutput('y', { dtype: 'int64', dims: [1], data: BigInt64Array.of(-7n) }, false).json.data).toEqual([-7]);
    const b = encodeOutput('y', { dtype: 'float32', dims: [2], data: Float32Array.of(0.1, 2) }, true);
    expect(b.json.parameters).toEqual({ binary_data_size: 8 });
    expect(new Float32Array(b.bytes!.slice().buffer)).toEqual(Float32Array.of(0.1, 2));
  });
});
