/**
 * Protocol-buffer text format out (what Triton's `config.pbtxt` is written in), from a plain
 * object tree: fields in insertion order, arrays as repeated fields (`dims: [ 1, 2 ]`,
 * `input [ { … }, { … } ]`), `PbEnum` for enum values, nested objects for messages.
 */

export class PbEnum {
  constructor(readonly name: string) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`internal: '${name}' is not an enum value name`);
  }
}

export type PbScalar = string | number | boolean | PbEnum;
export type PbValue = PbScalar | PbMessage | PbScalar[] | PbMessage[];
export interface PbMessage {
  [field: string]: PbValue | undefined;
}

export function toPbtxt(msg: PbMessage): string {
  return fields(msg, '');
}

function fields(msg: PbMessage, indent: string): string {
  let out = '';
  for (const [name, value] of Object.entries(msg)) {
    if (value === undefined) continue;
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`internal: '${name}' is not a field name`);
    if (Array.isArray(value)) {
      if (value.length === 0) out += `${indent}${name}: [ ]\n`;
      else if (value.every(isMessage)) {
        const items = (value as PbMessage[]).map((m) => `${indent}  {\n${fields(m, `${indent}    `)}${indent}  }`);
        out += `${indent}${name} [\n${items.join(',\n')}\n${indent}]\n`;
      } else {
        out += `${indent}${name}: [ ${(value as PbScalar[]).map(scalar).join(', ')} ]\n`;
      }
    } else if (isMessage(value)) {
      const body = fields(value, `${indent}  `);
      out += body ? `${indent}${name} {\n${body}${indent}}\n` : `${indent}${name} { }\n`;
    } else {
      out += `${indent}${name}: ${scalar(value)}\n`;
    }
  }
  return out;
}

function isMessage(v: unknown): v is PbMessage {
  return typeof v === 'object' && v !== null && !(v instanceof PbEnum) && !Array.isArray(v);
}

function scalar(v: PbScalar): string {
  if (v instanceof PbEnum) return v.name;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`internal: ${v} has no text-format form here`);
    return String(v);
  }
  return quote(v);
}

/** A text-format string literal: printable ASCII as is, everything else as octal escapes of its UTF-8 bytes. */
function quote(s: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(s)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out + '"';
}
