import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from 'ssmc';
import { f32, f64, i64, type Tensor } from 'ssmc/ir';
import { SafetensorsError } from '../../export/safetensors.js';

const GOLDEN = fileURLToPath(new URL('../../../shared/golden/', import.meta.url));

/** A file with this JSON header (unpadded) and `data` bytes after it. */
function file(header: unknown, data = 16): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

function rejected(bytes: Uint8Array, ...patterns: RegExp[]): SafetensorsError {
  let err: unknown;
  try {
    readSafetensors(bytes, 'ckpt.safetensors');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  const e = err as SafetensorsError;
  expect(e.message).toMatch(/ckpt\.safetensors/); // names the file
  for (const p of patterns) expect(e.message).toMatch(p);
  return e;
}

describe('writeSafetensors / readSafetensors', () => {
  const tensors: Record<string, Tensor> = {
    'layer.w': f32([1, 2, 3, 4, 5, 6], [2, 3]),
    'layer.b': f64([0.1, -0.2], [2]),
    ids: i64([-1, 2 ** 40], [2]),
    i32: { dtype: 'int32', dims: [1], data: Int32Array.from([-5]) },
    u8: { dtype: 'uint8', dims: [3], data: Uint8Array.from([0, 128, 255]) },
    mask: { dtype: 'bool', dims: [2], data: Uint8Array.from([1, 0]) },
    half: { dtype: 'float16', dims: [2], data: null, raw: Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]) },
    brain: { dtype: 'bfloat16', dims: [1], data: null, raw: Uint8Array.from([0x80, 0x3f]) },
    empty: f32([], [0, 3]),
    scalar: f32([7], []),
  };

  it('round-trips every supported dtype', () => {
    const back = readSafetensors(writeSafetensors(tensors));
    expect([...back.keys()].sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back.get(name)!;
      expect(b.dtype, name).toBe(t.dtype);
      expect(b.dims, name).toEqual(t.dims);
      if (t.raw) expect(Array.from(b.raw!), name).toEqual(Array.from(t.raw));
      else {
        expect(Array.from(b.data as ArrayLike<unknown>), name).toEqual(Array.from(t.data as ArrayLike<unknown>));
        expect((b.data as object).constructor, name).toBe((t.data as object).constructor);
      }
    }
  });

  it('is deterministic: sorted keys, data in that order, header padded to 8 bytes', () => {
    const a = writeSafetensors(tensors);
    const b = writeSafetensors(new Map(Object.entries(tensors).reverse()));
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const hlen = Number(new DataView(a.buffer, a.byteOffset).getBigUint64(0, true));
    expect((8 + hlen) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(a.subarray(8, 8 + hlen))) as Record<string, { data_offsets: [number, number] }>;
    const keys = Object.keys(header);
    expect(keys).toEqual([...keys].sort());
    let at = 0;
    for (const k of keys) {
      expect(header[k]!.data_offsets[0]).toBe(at);
      at = header[k]!.data_offsets[1];
    }
    expect(8 + hlen + at).toBe(a.length);
    expect(header['layer.w']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: expect.any(Array) });
  });

  it('copies tensor data out of the file buffer (aligned, independent of it)', () => {
    const bytes = writeSafetensors({ a: f32([1], [1]), b: f64([2], [1]) });
    const back = readSafetensors(bytes);
    bytes.fill(0);
    expect(Array.from(back.get('b')!.data as Float64Array)).toEqual([2]);
  });

  it('accepts __metadata__ (string → string)', () => {
    const t = readSafetensors(file({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8));
    expect([...t.keys()]).toEqual(['w']);
  });

  it('refuses a header naming a tensor twice (JSON.parse would keep the last silently), trailing bytes and holes in the data section', () => {
    const dupHeader = '{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}';
    rejected(file(dupHeader, 8), /names 'w' twice/, /re-save/);
    rejected(file({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 12), /8 trailing byte\(s\) after the last tensor/);
    rejected(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12), /bytes 4 to 8 of the data section belong to no tensor/);
    // a key that only looks like a duplicate (nested, or inside a string) is fine
    expect([...readSafetensors(file({ __metadata__: { w: 'w' }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4)).keys()]).toEqual(['w']);
  });

  it('refuses to write what safetensors cannot hold', () => {
    expect(() => writeSafetensors({ c: { dtype: 'complex64', dims: [1], data: new Float32Array(2) } })).toThrow(SafetensorsError);
    expect(() => writeSafetensors({ s: { dtype: 'string', dims: [1], data: ['x'] } })).toThrow(SafetensorsError);
    expect(() => writeSafetensors({ w: { dtype: 'float32', dims: [3], data: new Float32Array(2) } })).toThrow(/does not match its shape/);
  });
});

describe('readSafetensors validation: SafetensorsError naming file, tensor, rule and fix', () => {
  const good = writeSafetensors({ w: f32([1, 2, 3, 4], [2, 2]), v: f32([5, 6], [2]) });

  it('a file shorter than 8 bytes', () => {
    rejected(new Uint8Array(5), /5 bytes, fewer than the 8-byte header length/);
    rejected(new Uint8Array(0), /fewer than the 8-byte/);
  });

  it('a truncated file (tensor data missing)', () => {
    rejected(good.subarray(0, good.length - 4), /tensor 'w'/, /ends at byte 24.*only 20 bytes/, /truncated.*re-save/);
  });

  it('a header length that lies', () => {
    const b = good.slice();
    new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
    rejected(b, /header length field says 1099511627776 bytes but only \d+ follow/, /re-save/);
    const c = good.slice();
    new DataView(c.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    rejected(c, /header length field/);
  });

  it('a header over 100 MB', () => {
    const big = new Uint8Array(8 + 100 * 1024 * 1024 + 16);
    new DataView(big.buffer).setBigUint64(0, BigInt(100 * 1024 * 1024 + 1), true);
    rejected(big, /over the 104857600-byte limit/);
  });

  it('a header that is not UTF-8 JSON, or not an object', () => {
    rejected(file('{"w": '), /not valid UTF-8 JSON/, /re-save/);
    rejected(file(Uint8Array.from([0x7b, 0xff, 0x7d]).reduce((s, c) => s + String.fromCharCode(c), '')), /not valid UTF-8 JSON|JSON/);
    const badUtf8 = file('{"w":1}');
    badUtf8[9] = 0xff;
    rejected(badUtf8, /not valid UTF-8 JSON/);
    rejected(file('[1, 2]'), /must be a JSON object/);
    rejected(file('null'), /must be a JSON object/);
  });

  it('an unknown dtype', () => {
    rejected(file({ w: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }), /tensor 'w' has dtype "Q7", not one of F64, F32/, /supported dtype/);
    rejected(file({ w: { shape: [1], data_offsets: [0, 4] } }), /tensor 'w' has dtype undefined/);
  });

  it('a shape that is not a list of non-negative integers', () => {
    rejected(file({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), /tensor 'w'.*non-negative integers/);
    rejected(file({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }), /non-negative integers/);
    rejected(file({ w: { dtype: 'F32', shape: 'big', data_offsets: [0, 4] } }), /non-negative integers/);
  });

  it('data_offsets that are malformed, reversed or past the end', () => {
    rejected(file({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }), /tensor 'w' has data_offsets \[0\]/);
    rejected(file({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }), /begin after end/);
    rejected(file({ w: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }), /tensor 'w' ends at byte 32 of the data section, but it has only 16 bytes/);
  });

  it('a byte count that does not match the shape', () => {
    rejected(file({ 'kernel.C': { dtype: 'F32', shape: [4, 8, 2], data_offsets: [0, 8] } }, 8),
      /tensor 'kernel\.C' declares shape \[4,8,2\] \(64 float32 = 256 bytes\) but its data_offsets span 8 bytes/, /re-save the checkpoint/);
    rejected(file({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 16] } }), /declares shape/); // no allocation from the claim
  });

  it('overlapping tensors', () => {
    rejected(file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }), /'a' and 'b' overlap/);
    rejected(file({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), /overlap/);
  });

  it('bad __metadata__', () => {
    rejected(file({ __metadata__: { n: 1 } }), /__metadata__/);
  });

  it('never crashes on damaged files', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const b = good.slice(0, good.length - (i % 3 === 0 ? rand() % 8 : 0));
      b[rand() % b.length] = rand();
      try {
        readSafetensors(b);
      } catch (e) {
        expect(e).toBeInstanceOf(SafetensorsError);
      }
    }
  });
});

describe('the golden checkpoints in ../shared/golden', () => {
  const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.safetensors')).sort();

  it('are there', () => {
    expect(files.length).toBeGreaterThanOrEqual(18);
  });

  it.each(files)('%s reads, and writes back byte-identically', (name) => {
    const bytes = new Uint8Array(readFileSync(`${GOLDEN}${name}`));
    const t = readSafetensors(bytes, name);
    expect(t.size).toBeGreaterThan(0);
    for (const [k, v] of t) {
      expect(v.data ?? v.raw, k).toBeTruthy();
      expect(['float32', 'float64', 'int64'], k).toContain(v.dtype);
    }
    const again = readSafetensors(writeSafetensors(t));
    for (const [k, v] of t) {
      expect(again.get(k)!.dims).toEqual(v.dims);
      expect(Buffer.compare(Buffer.from((again.get(k)!.data as Float32Array).buffer), Buffer.from((v.data as Float32Array).buffer)), k).toBe(0);
    }
  });

  it('read the same from a Node Buffer as from a plain Uint8Array (Buffer.slice is a view into a pool)', () => {
    const path = `${GOLDEN}s4d_minimal.io.safetensors`;
    const fromBuffer = readSafetensors(readFileSync(path));
    const fromCopy = readSafetensors(new Uint8Array(readFileSync(path)));
    for (const [k, v] of fromCopy) {
      const got = fromBuffer.get(k)!;
      expect((got.data as Float32Array).length, k).toBe(v.dims.reduce((a, b) => a * b, 1));
      expect(Array.from(got.data as Float32Array), k).toEqual(Array.from(v.data as Float32Array));
    }
  });

  it('hold what the manifest says (s4_dplr_legs)', () => {
    const t = readSafetensors(new Uint8Array(readFileSync(`${GOLDEN}s4_dplr_legs.weights.safetensors`)));
    expect(t.get('layer.kernel.l_kernel')!.dtype).toBe('int64');
    expect(t.get('layer.kernel.C')!.dims).toEqual([1, 4, 8, 2]);
    const io = readSafetensors(new Uint8Array(readFileSync(`${GOLDEN}s4d_minimal.io.safetensors`)));
    expect(io.get('input')!.dtype).toBe('float32');
    expect(io.get('output_f64')!.dtype).toBe('float64');
  });
});
