import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../export/checkpoint-error.js';
import { ZipReader, crc32 } from '../../export/zip.js';

const text = (s: string) => new TextEncoder().encode(s);
const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 13);

/** Offsets of a signature in a zip's bytes. */
function find(b: Uint8Array, sig: number): number[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) if (v.getUint32(i, true) === sig) out.push(i);
  return out;
}
const CENTRAL = 0x02014b50;

function open(b: Uint8Array) {
  return ZipReader.open(b, 'test.zip');
}

describe('the zip reader', () => {
  it('reads stored and deflated entries, checked against their CRC-32', () => {
    const z = zipSync({ 'a/data.pkl': [text('stored'), { level: 0 }], 'a/data/0': [payload, { level: 9 }] });
    const r = open(z);
    expect([...r.entries.values()].map((e) => [e.name, e.method])).toEqual([['a/data.pkl', 0], ['a/data/0', 8]]);
    expect(new TextDecoder().decode(r.read('a/data.pkl'))).toBe('stored');
    expect(r.read('a/data/0')).toEqual(payload);
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
  });

  it('refuses entry names that could leave the archive', () => {
    for (const name of ['../evil', 'a/../../evil', '/etc/passwd', 'C:/x', 'a\\..\\b']) {
      expect(() => open(zipSync({ [name]: text('x') })), name).toThrow(/'\.\.' path segment|absolute path/);
    }
  });

  it('refuses a broken CRC, a missing end record, and lying sizes and offsets', () => {
    const z = zipSync({ 'a/data/0': [payload, { level: 0 }] });
    const flipped = z.slice();
    flipped[100] ^= 1;
    expect(() => open(flipped).read('a/data/0')).toThrow(/CRC-32/);
    expect(() => open(z.subarray(0, z.length - 5))).toThrow(/no end-of-central-directory/);
    const cases: [[number, number][], RegExp][] = [
      [[[20, 0x7fffffff], [24, 0x7fffffff]], /runs past the file data/], [[[42, 0x7ffffff0]], /no local header/], [[[24, 1]], /sizes differ/],
    ];
    for (const [fields, message] of cases) {
      const lying = z.slice();
      const at = find(lying, CENTRAL)[0]!;
      for (const [field, value] of fields) new DataView(lying.buffer).setUint32(at + field, value, true);
      expect(() => open(lying).read('a/data/0')).toThrow(message);
    }
    const count = z.slice();
    new DataView(count.buffer).setUint16(count.length - 12, 60000, true); // total entries in the end record
    expect(() => open(count)).toThrow(/claims 60000 entries/);
  });

  it('inflates exactly the declared size (a deflate stream that says less is refused)', () => {
    const z = zipSync({ 'x': [payload, { level: 9 }] });
    const at = find(z, CENTRAL)[0]!;
    const lying = z.slice();
    new DataView(lying.buffer).setUint32(at + 24, 100, true); // declared uncompressed size
    expect(() => open(lying).read('x')).toThrow(/inflates to more bytes than the 100 it declares/);
    const bomb = z.slice();
    new DataView(bomb.buffer).setUint32(at + 24, 0xfffffff0, true);
    expect(() => open(bomb)).toThrow(/more than deflate can produce/);
  });

  it('refuses methods other than stored and deflated, encryption and duplicate names', () => {
    const z = zipSync({ 'x': [text('abc'), { level: 0 }] });
    const at = find(z, CENTRAL)[0]!;
    const method = z.slice();
    new DataView(method.buffer).setUint16(at + 10, 12, true);
    expect(() => open(method)).toThrow(/compression method 12/);
    const enc = z.slice();
    new DataView(enc.buffer).setUint16(at + 8, 1, true);
    expect(() => open(enc)).toThrow(/encrypted/);
    const two = zipSync({ 'x': text('a'), 'y': text('b') });
    const second = find(two, CENTRAL)[1]!;
    two[second + 46] = 'x'.charCodeAt(0);
    expect(() => open(two)).toThrow(/appears twice/);
  });

  it('throws only CheckpointFormatError on truncations of a real archive', () => {
    const z = zipSync({ 'a/data.pkl': text('p'), 'a/data/0': [payload, { level: 6 }] });
    for (let n = 0; n < z.length; n += 97) {
      try {
        const r = open(z.subarray(0, n));
        for (const name of r.entries.keys()) r.read(name);
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointFormatError);
      }
    }
  });
});
