/**
 * A walk over the protobuf wire format of an ONNX file before it is decoded. protobufjs reads
 * length prefixes as 32-bit numbers, so a length field of 2^63 silently becomes 0 (a graph of
 * 2^63 bytes reads as an empty one), and it decodes nested messages recursively. Here every
 * length is read in full and checked against the bytes that remain, and message nesting is
 * bounded — iteratively, with the byte offset of the first problem.
 */

/** For each ONNX message: the message-typed fields the decoder (onnx-proto) reads, by field number. */
const MESSAGE_FIELDS: Record<string, Record<number, string>> = {
  Model: { 7: 'Graph', 8: 'OpsetId', 14: 'StringString', 20: 'TrainingInfo', 25: 'Function' },
  Graph: { 1: 'Node', 5: 'Tensor', 11: 'ValueInfo', 12: 'ValueInfo', 13: 'ValueInfo', 14: 'TensorAnnotation', 15: 'SparseTensor' },
  Node: { 5: 'Attribute' },
  Attribute: { 5: 'Tensor', 6: 'Graph', 10: 'Tensor', 11: 'Graph', 14: 'Type', 15: 'Type', 22: 'SparseTensor', 23: 'SparseTensor' },
  ValueInfo: { 2: 'Type' },
  Type: { 1: 'TypeTensor', 4: 'TypeSequence', 5: 'TypeMap', 8: 'TypeTensor', 9: 'TypeSequence' },
  TypeTensor: { 2: 'Shape' },
  TypeSequence: { 1: 'Type' },
  TypeMap: { 2: 'Type' },
  Shape: { 1: 'Dimension' },
  Dimension: {},
  Tensor: { 3: 'Segment', 13: 'StringString' },
  Segment: {},
  SparseTensor: { 1: 'Tensor', 2: 'Tensor' },
  TensorAnnotation: { 2: 'StringString' },
  TrainingInfo: { 1: 'Graph', 2: 'Graph', 3: 'StringString', 4: 'StringString' },
  Function: { 7: 'Node', 9: 'OpsetId' },
  OpsetId: {},
  StringString: {},
};

/**
 * Messages nested deeper than this are refused: 64 levels of subgraphs (the reader's limit) take
 * about 3 messages each (Graph → Node → Attribute → Graph), types a few more.
 */
export const MAX_MESSAGE_DEPTH = 256;

export interface WireProblem {
  message: string;
  offset: number;
}

/** The first problem in `bytes` read as a ModelProto, or null. */
export function checkWire(bytes: Uint8Array): WireProblem | null {
  const stack: { type: string; end: number; depth: number }[] = [{ type: 'Model', end: bytes.length, depth: 1 }];
  let pos = 0;
  const varint = (): number | null => {
    // Up to 10 bytes; the value as a float (exact to 2^53, enough to compare with lengths).
    let value = 0, scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) return null;
      const b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return value;
    }
    return NaN;
  };
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (pos === top.end) {
      stack.pop();
      continue;
    }
    if (pos > top.end) return { message: `a field of ${top.type}Proto runs past the end of its message (byte ${top.end})`, offset: top.end };
    const at = pos;
    const tag = varint();
    if (tag === null) return { message: `the file ends inside a field tag at byte ${at}; it is truncated`, offset: at };
    if (!Number.isFinite(tag) || tag > 0xffffffff) return { message: `byte ${at} starts a field tag longer than protobuf allows`, offset: at };
    const field = Math.floor(tag / 8), wire = tag % 8;
    if (field === 0) return { message: `byte ${at} holds field number 0, which protobuf does not allow`, offset: at };
    switch (wire) {
      case 0: {
        const v = varint();
        if (v === null) return { message: `the file ends inside field ${field} of ${top.type}Proto at byte ${at}; it is truncated`, offset: at };
        if (Number.isNaN(v)) return { message: `field ${field} of ${top.type}Proto at byte ${at} is a varint longer than 10 bytes`, offset: at };
        break;
      }
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case 2: {
        const lenAt = pos;
        const len = varint();
        if (len === null) return { message: `the file ends inside the length of field ${field} of ${top.type}Proto at byte ${lenAt}; it is truncated`, offset: lenAt };
        const left = top.end - pos;
        if (Number.isNaN(len) || len > left) {
          return { message: `field ${field} of ${top.type}Proto at byte ${at} claims ${Number.isNaN(len) ? 'an over-long' : len} byte(s), but only ${left} remain in its message; the file is truncated or its length prefix lies`, offset: at };
        }
        const sub = MESSAGE_FIELDS[top.type]?.[field];
        if (sub && len > 0) {
          if (top.depth + 1 > MAX_MESSAGE_DEPTH) return { message: `messages nest deeper than ${MAX_MESSAGE_DEPTH} levels at byte ${at}`, offset: at };
          stack.push({ type: sub, end: pos + len, depth: top.depth + 1 });
          continue;
        }
        pos += len;
        break;
      }
      default:
        return { message: `field ${field} of ${top.type}Proto at byte ${at} has wire type ${wire}, which ONNX files do not use (groups are obsolete)`, offset: at };
    }
    if (pos > top.end) return { message: `field ${field} of ${top.type}Proto at byte ${at} runs past the end of its message (byte ${top.end}); the file is truncated`, offset: at };
  }
  return null;
}
