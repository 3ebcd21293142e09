import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileModel, modelFromBytes, modelToBytes, OnnxFormatError, readSafetensors, writeSafetensors } from 'ssmc';
import { f32, i64, printModel, verifyModel } from 'ssmc/ir';
import { SafetensorsError } from '../../export/safetensors.js';
import { GOLDEN_DIR } from '../helpers/golden.js';

function compiled(seqLen: number | null) {
  return compileModel({ arch: 's4d-minimal', args: { d_model: 4, d_state: 16 } }, null, { seqLen, opset: 17 }).model;
}

describe('ONNX export and import', () => {
  it.each([null, 32])('round-trips byte-identically (seq-len %s)', (seqLen) => {
    const bytes = modelToBytes(compiled(seqLen));
    const back = modelFromBytes(bytes);
    verifyModel(back);
    expect(Buffer.compare(Buffer.from(modelToBytes(back)), Buffer.from(bytes))).toBe(0);
    expect(printModel(back)).toBe(printModel(modelFromBytes(bytes)));
  });

  it('is deterministic across compiles', () => {
    expect(Buffer.compare(Buffer.from(modelToBytes(compiled(null))), Buffer.from(modelToBytes(compiled(null))))).toBe(0);
  });

  it('keeps symbolic dims and metadata', () => {
    const m = modelFromBytes(modelToBytes(compiled(null)));
    expect(m.graph.inputs[0]!.type.shape).toEqual(['batch', 4, 'L']);
    expect(m.graph.outputs[0]!.type.shape).toEqual(['batch', 4, 'L']);
    expect(m.metadata.get('ssmc.arch')).toBe('s4d-minimal');
  });

  it('rejects malformed bytes with OnnxFormatError, never a crash', () => {
    const bytes = modelToBytes(compiled(32));
    const bad = [bytes.subarray(0, bytes.length >> 1), Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array(0)];
    for (const b of bad) expect(() => modelFromBytes(b)).toThrow(OnnxFormatError);
    let crashes = 0;
    for (let i = 0; i < 300; i++) {
      const m = bytes.slice();
      m[(i * 7919) % m.length] ^= 1 << (i % 8);
      try {
        modelFromBytes(m);
      } catch (e) {
        if (!(e instanceof OnnxFormatError)) crashes++;
      }
    }
    expect(crashes).toBe(0);
  });
});

describe('safetensors', () => {
  it('round-trips deterministically', () => {
    const t = new Map([['b', f32([1, 2, 3], [3])], ['a', i64([7, -8], [2])]]);
    const bytes = writeSafetensors(t);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(writeSafetensors(new Map([...t].reverse()))))).toBe(0);
    const back = readSafetensors(bytes);
    expect([...back.keys()].sort()).toEqual(['a', 'b']);
    expect(Array.from(back.get('b')!.data as Float32Array)).toEqual([1, 2, 3]);
    expect(Array.from(back.get('a')!.data as BigInt64Array)).toEqual([7n, -8n]);
  });

  it('reads the golden checkpoints', () => {
    const t = readSafetensors(new Uint8Array(readFileSync(`${GOLDEN_DIR}s4_dplr_legs.weights.safetensors`)));
    expect(t.get('layer.kernel.l_kernel')!.dtype).toBe('int64');
    expect(t.get('layer.kernel.C')!.dims).toEqual([1, 4, 8, 2]);
  });

  const good = writeSafetensors(new Map([['w', f32([1, 2, 3, 4], [2, 2])]]));
  const header = (json: string) => {
    const h = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + h.length + 16);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    return out;
  };
  it.each([
    ['a file shorter than 8 bytes', new Uint8Array(4), /fewer than the 8-byte/],
    ['a truncated file', good.subarray(0, good.length - 4), /data section/],
    ['a header length past the end', (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(), /header length field/],
    ['bad JSON', header('{"w": '), /not valid UTF-8 JSON/],
    ['an unknown dtype', header('{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}'), /dtype "Q7"/],
    ['a wrong byte count', header('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}'), /declares shape \[3\]/],
    ['offsets past the end', header('{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}'), /ends at byte 32/],
    ['overlapping tensors', header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}'), /overlap/],
    ['a negative dim', header('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}'), /non-negative/],
  ])('rejects %s', (_name, bytes, message) => {
    expect(() => readSafetensors(bytes, 'ckpt.safetensors')).toThrow(SafetensorsError);
    expect(() => readSafetensors(bytes, 'ckpt.safetensors')).toThrow(message);
  });
});
