import { inflateSync } from 'fflate';
import { CheckpointFormatError } from './checkpoint-error.js';

/** One file of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated: the only methods a torch.save archive (or a re-zipped one) uses. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  readonly localOffset: number;
}

const EOCD_SIG = 0x06054b50, ZIP64_LOCATOR_SIG = 0x07064b50, ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50, LOCAL_SIG = 0x04034b50;
const EOCD_LEN = 22, CENTRAL_LEN = 46, LOCAL_LEN = 30;
/** Deflate cannot expand data by more than this factor (RFC 1951's best case is about 1032:1). */
const MAX_DEFLATE_RATIO = 1032;

export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/**
 * A read-only zip archive over bytes in memory. Every offset, size and count in the central
 * directory and local headers is checked against the bytes present before use; entry names that
 * could escape a folder (`..`, absolute paths) are refused; entries are inflated lazily, to
 * exactly their declared size, and checked against their CRC-32.
 */
export class ZipReader {
  private constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
    readonly entries: ReadonlyMap<string, ZipEntry>,
    private readonly dataEnd: number,
  ) {}

  static open(bytes: Uint8Array, source: string): ZipReader {
    const fail = (rule: string): never => {
      throw new CheckpointFormatError(`${source}: ${rule}; the zip archive is damaged or truncated — re-save the checkpoint with torch.save`);
    };
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const eocd = findEndOfCentralDirectory(bytes, view);
    if (eocd < 0) fail('no end-of-central-directory record');
    if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) fail('the archive spans several disks');
    let count: number = view.getUint16(eocd + 10, true);
    let cdSize: number = view.getUint32(eocd + 12, true);
    let cdOffset: number = view.getUint32(eocd + 16, true);
    let cdLimit = eocd;
    const locator = eocd - 20;
    if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIG) {
      const at = safeU64(view, locator + 8, 'the zip64 end-of-central-directory offset', fail);
      if (at + 56 > locator || view.getUint32(at, true) !== ZIP64_EOCD_SIG) fail(`the zip64 end-of-central-directory record at byte ${at} is missing`);
      count = safeU64(view, at + 32, 'the entry count', fail);
      cdSize = safeU64(view, at + 40, 'the central directory size', fail);
      cdOffset = safeU64(view, at + 48, 'the central directory offset', fail);
      cdLimit = at;
    }
    if (cdOffset + cdSize > cdLimit) fail(`the central directory (${cdSize} bytes at byte ${cdOffset}) runs past the end records at byte ${cdLimit}`);
    if (count * CENTRAL_LEN > cdSize) fail(`the archive claims ${count} entries, more than its ${cdSize}-byte central directory can hold`);
    const entries = new Map<string, ZipEntry>();
    let p = cdOffset;
    const cdEnd = cdOffset + cdSize;
    for (let i = 0; i < count; i++) {
      if (p + CENTRAL_LEN > cdEnd || view.getUint32(p, true) !== CENTRAL_SIG) fail(`central directory entry ${i} at byte ${p} is malformed`);
      const flags = view.getUint16(p + 8, true);
      const method = view.getUint16(p + 10, true);
      const crc32 = view.getUint32(p + 16, true);
      let compressedSize: number = view.getUint32(p + 20, true);
      let size: number = view.getUint32(p + 24, true);
      const nameLen = view.getUint16(p + 28, true), extraLen = view.getUint16(p + 30, true), commentLen = view.getUint16(p + 32, true);
      let localOffset: number = view.getUint32(p + 42, true);
      const next = p + CENTRAL_LEN + nameLen + extraLen + commentLen;
      if (next > cdEnd) fail(`central directory entry ${i} at byte ${p} runs past the directory`);
      const name = new TextDecoder('utf-8').decode(bytes.subarray(p + CENTRAL_LEN, p + CENTRAL_LEN + nameLen));
      const where = `entry '${name}'`;
      // Zip64: each 32-bit field set to all ones is in the 0x0001 extra field, in this order.
      const wide = [size === 0xffffffff, compressedSize === 0xffffffff, localOffset === 0xffffffff];
      if (wide.some(Boolean)) {
        const z = findExtra(view, p + CENTRAL_LEN + nameLen, extraLen, 0x0001);
        if (!z) fail(`${where} needs a zip64 extra field and has none`);
        let q = z!.start;
        const take = (what: string): number => {
          if (q + 8 > z!.end) fail(`${where}: its zip64 extra field is too short for ${what}`);
          const v = safeU64(view, q, `${where}'s ${what}`, fail);
          q += 8;
          return v;
        };
        if (wide[0]) size = take('size');
        if (wide[1]) compressedSize = take('compressed size');
        if (wide[2]) localOffset = take('local header offset');
      }
      checkEntryName(name, source);
      if (flags & 1) throw new CheckpointFormatError(`${source}: ${where} is encrypted; ssmc reads unencrypted torch.save archives — re-save the checkpoint with torch.save`);
      if (method !== 0 && method !== 8) {
        throw new CheckpointFormatError(`${source}: ${where} uses compression method ${method}; ssmc reads stored (0) and deflated (8) entries — re-save the checkpoint with torch.save`);
      }
      if (method === 0 && size !== compressedSize) fail(`${where} is stored uncompressed but its sizes differ (${compressedSize} vs ${size} bytes)`);
      if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 64) fail(`${where} claims ${size} bytes inflated from ${compressedSize}, more than deflate can produce`);
      if (entries.has(name)) fail(`${where} appears twice`);
      entries.set(name, { name, method, compressedSize, size, crc32, localOffset });
      p = next;
    }
    return new ZipReader(bytes, source, entries, cdOffset);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The entry's bytes (a view for stored entries), checked against its size and CRC-32. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new CheckpointFormatError(`${this.source}: the archive has no entry '${name}'; the torch.save file is incomplete — re-save the checkpoint`);
    const fail = (rule: string): never => {
      throw new CheckpointFormatError(`${this.source}: entry '${name}' ${rule}; the archive is damaged — re-save the checkpoint with torch.save`);
    };
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const at = e.localOffset;
    if (at + LOCAL_LEN > this.dataEnd || view.getUint32(at, true) !== LOCAL_SIG) fail(`has no local header at byte ${at}`);
    const nameLen = view.getUint16(at + 26, true), extraLen = view.getUint16(at + 28, true);
    const start = at + LOCAL_LEN + nameLen + extraLen;
    const localName = new TextDecoder('utf-8').decode(this.bytes.subarray(at + LOCAL_LEN, at + LOCAL_LEN + nameLen));
    if (localName !== name) fail(`has the name '${localName}' in its local header`);
    if (start + e.compressedSize > this.dataEnd) fail(`(${e.compressedSize} bytes at byte ${start}) runs past the file data, which ends at byte ${this.dataEnd}`);
    const stored = this.bytes.subarray(start, start + e.compressedSize);
    let data = stored;
    if (e.method === 8) {
      // One byte of slack: fflate stops silently at the end of a given buffer, so an entry that
      // inflates to more than it declares shows up as a full buffer.
      let out: Uint8Array;
      try {
        out = inflateSync(stored, { out: new Uint8Array(e.size + 1) });
      } catch (err) {
        return fail(`does not inflate (${(err as Error).message})`);
      }
      if (out.length !== e.size) fail(`inflates to ${out.length > e.size ? 'more' : 'fewer'} bytes than the ${e.size} it declares`);
      data = out.subarray(0, e.size);
    }
    if (crc32(data) !== e.crc32) fail('fails its CRC-32 check');
    return data;
  }
}

function findEndOfCentralDirectory(bytes: Uint8Array, view: DataView): number {
  const last = bytes.length - EOCD_LEN;
  for (let p = last; p >= 0 && p >= last - 0xffff; p--) {
    if (view.getUint32(p, true) === EOCD_SIG && p + EOCD_LEN + view.getUint16(p + 20, true) === bytes.length) return p;
  }
  return -1;
}

function findExtra(view: DataView, start: number, len: number, id: number): { start: number; end: number } | null {
  let p = start;
  const end = start + len;
  while (p + 4 <= end) {
    const tag = view.getUint16(p, true), size = view.getUint16(p + 2, true);
    if (p + 4 + size > end) return null;
    if (tag === id) return { start: p + 4, end: p + 4 + size };
    p += 4 + size;
  }
  return null;
}

function safeU64(view: DataView, at: number, what: string, fail: (rule: string) => never): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(view.byteLength)) fail(`${what} is ${v}, beyond the ${view.byteLength}-byte file`);
  return Number(v);
}

/** Entry names are paths inside the archive: nothing that could point outside it. */
function checkEntryName(name: string, source: string): void {
  const bad = (why: string): never => {
    throw new CheckpointFormatError(`${source}: zip entry '${name}' ${why}; a torch.save archive holds only relative paths inside one folder — the file is not a genuine checkpoint, do not unpack it`);
  };
  if (name.length === 0) bad('has an empty name');
  if (name.includes('\0')) bad('has a NUL byte in its name');
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) bad('is an absolute path');
  if (name.split(/[\\/]/).includes('..')) bad("has a '..' path segment");
}

let CRC_TABLES: Uint32Array[] | null = null;

/** CRC-32 (IEEE), eight bytes a step ("slicing by 8"): about four times the speed of the bytewise table. */
export function crc32(data: Uint8Array): number {
  if (!CRC_TABLES) {
    const t0 = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t0[n] = c >>> 0;
    }
    CRC_TABLES = [t0];
    for (let k = 1; k < 8; k++) {
      const prev = CRC_TABLES[k - 1]!, t = new Uint32Array(256);
      for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
      CRC_TABLES.push(t);
    }
  }
  const [t0, t1, t2, t3, t4, t5, t6, t7] = CRC_TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = 0xffffffff;
  let i = 0;
  const n8 = data.length - (data.length % 8);
  for (; i < n8; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^ t2[data[i + 5]!]! ^ t1[data[i + 6]!]! ^ t0[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
