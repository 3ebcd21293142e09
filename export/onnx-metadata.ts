/**
 * The metadata_props of an ONNX file without decoding the rest: a runtime adapter that must look at
 * `ssmc.precision` before handing the bytes to onnxruntime reads only the top-level fields of the
 * ModelProto (metadata_props is field 14, a repeated StringStringEntryProto {key = 1, value = 2})
 * and skips the graph by its length prefix. Every length is checked against the bytes present; a
 * file that is not well-formed gives an empty map (onnxruntime then reports what is wrong with it).
 */
const METADATA_PROPS = 14;

export function metadataFromBytes(bytes: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  const varint = (end: number): number | null => {
    let value = 0, scale = 1;
    for (let i = 0; i < 10 && pos < end; i++) {
      const b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return value;
    }
    return null;
  };
  /** Skips one field's payload; false when it runs past `end` or the wire type is unknown. */
  const skip = (wire: number, end: number): boolean => {
    switch (wire) {
      case 0: return varint(end) !== null;
      case 1: pos += 8; return pos <= end;
      case 5: pos += 4; return pos <= end;
      case 2: {
        const n = varint(end);
        if (n === null || n > end - pos) return false;
        pos += n;
        return true;
      }
      default: return false;
    }
  };
  const decoder = new TextDecoder('utf-8', { fatal: false });
  while (pos < bytes.length) {
    const tag = varint(bytes.length);
    if (tag === null) return out;
    const field = Math.floor(tag / 8), wire = tag % 8;
    if (field !== METADATA_PROPS || wire !== 2) {
      if (!skip(wire, bytes.length)) return out;
      continue;
    }
    const n = varint(bytes.length);
    if (n === null || n > bytes.length - pos) return out;
    const end = pos + n;
    let key = '', value = '';
    while (pos < end) {
      const t = varint(end);
      if (t === null) return out;
      const f = Math.floor(t / 8), w = t % 8;
      if ((f === 1 || f === 2) && w === 2) {
        const len = varint(end);
        if (len === null || len > end - pos) return out;
        const text = decoder.decode(bytes.subarray(pos, pos + len));
        pos += len;
        if (f === 1) key = text;
        else value = text;
      } else if (!skip(w, end)) return out;
    }
    out.set(key, value);
  }
  return out;
}
