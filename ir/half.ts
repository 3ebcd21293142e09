/**
 * IEEE binary16 (float16) and bfloat16 conversions, exact: encoding rounds to the nearest
 * representable value, ties to even, overflowing to ±Infinity; NaN stays NaN.
 */

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** float16 bits → its value. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f, frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A number → the float16 bits nearest to it (ties to even). */
export function numberToHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  // Subnormals and zero: multiples of 2^-24; larger values: 11 significant bits.
  if (a < 2 ** -14) return sign | roundEven(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // log2 can round up just below a power of two
  if (2 ** (e + 1) <= a) e++;
  let m = roundEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** bfloat16 bits → its value (the upper half of a float32). */
export function bfloat16ToNumber(bits: number): number {
  U32[0] = (bits & 0xffff) << 16;
  return F32[0]!;
}

/** A number → bfloat16 bits: rounded to float32 first, then to its upper 16 bits (ties to even). */
export function numberToBfloat16(x: number): number {
  if (Number.isNaN(x)) return 0x7fc0;
  F32[0] = x;
  const bits = U32[0]!;
  const lower = bits & 0xffff, upper = bits >>> 16;
  const roundUp = lower > 0x8000 || (lower === 0x8000 && (upper & 1) === 1);
  return (upper + (roundUp ? 1 : 0)) & 0xffff;
}

/** Round to the nearest integer, ties to even. */
function roundEven(v: number): number {
  const f = Math.floor(v), r = v - f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The value a number takes once stored as float16 / bfloat16. */
export const roundToHalf = (x: number): number => halfToNumber(numberToHalf(x));
export const roundToBfloat16 = (x: number): number => bfloat16ToNumber(numberToBfloat16(x));

/** Little-endian float16 bytes → float32 values, exactly (every half value is a float32). */
export function halfBytesToFloat32(raw: Uint8Array): Float32Array {
  const out = new Float32Array(raw.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = halfToNumber(raw[2 * i]! | (raw[2 * i + 1]! << 8));
  return out;
}

/** Little-endian bfloat16 bytes → float32 values: the bits shifted back into the upper half, exactly. */
export function bfloat16BytesToFloat32(raw: Uint8Array): Float32Array {
  const bits = new Uint32Array(raw.length >> 1);
  for (let i = 0; i < bits.length; i++) bits[i] = ((raw[2 * i]! | (raw[2 * i + 1]! << 8)) << 16) >>> 0;
  return new Float32Array(bits.buffer);
}
