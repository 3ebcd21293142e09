import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bitsPerByte, compareToReference, compileModel, describeComparison, modelToBytes, parseModelFile, readSafetensors } from 'ssmc';
import { runOnnx } from 'ssmc/runtime';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const DIR = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));

describe('the bundled gss-code model', () => {
  it('reproduces the PyTorch logits and bits per byte on the held-out tokens', async () => {
    const file = parseModelFile(readFileSync(`${DIR}model.json`, 'utf8'), 'model.json');
    const weights = readSafetensors(new Uint8Array(readFileSync(`${DIR}gss_code.weights.safetensors`)), 'gss_code.weights.safetensors');
    const evalSet = readSafetensors(new Uint8Array(readFileSync(`${DIR}public_eval.safetensors`)), 'public_eval.safetensors');
    const tokens = evalSet.get('tokens')!;
    const reference = evalSet.get('logits')!.data as Float32Array;
    const { model } = compileModel(file, { tensors: weights, source: 'gss_code.weights.safetensors' }, { seqLen: null, opset: 17 });
    const logits = (await runOnnx(modelToBytes(model), new Map([['input', tokens]]))).get('output')!;
    expect(logits.dims).toEqual([1, 1024, 256]);
    const cmp = compareToReference(logits.data as Float32Array, reference);
    expect(cmp.ok, describeComparison('gss-code logits vs PyTorch', cmp)).toBe(true);
    const ids = Array.from(tokens.data as BigInt64Array, Number);
    const ours = bitsPerByte(logits.data as Float32Array, ids, 256);
    const theirs = bitsPerByte(reference, ids, 256);
    expect(Math.abs(ours - theirs)).toBeLessThan(TOL.BITS_PER_BYTE);
    expect(theirs).toBeGreaterThan(0.5);
    expect(theirs).toBeLessThan(3);
  }, 120_000);
});
