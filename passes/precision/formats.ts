import type { DType } from '../../ir/types.js';

/** The precision a graph is compiled for (`--precision`): its weights' storage, and where it computes in 16 bits. */
export type Precision = 'fp32' | 'fp16' | 'bf16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'bf16'];

/** What a precision stores its weights in, and the numbers that bound its rounding. */
export interface NumberFormat {
  readonly precision: Precision;
  /** The element type its weights are stored in. */
  readonly storage: DType;
  /** Unit roundoff u: a value stored in this format is within a relative u of itself (2^-p for p significant bits). */
  readonly unitRoundoff: number;
  /** The largest finite value: a tensor holding more would become ±Infinity. */
  readonly max: number;
  /** Bytes per element. */
  readonly bytes: number;
}

export const FORMATS: Readonly<Record<Precision, NumberFormat>> = {
  /** IEEE binary32: 24 significant bits. */
  fp32: { precision: 'fp32', storage: 'float32', unitRoundoff: 2 ** -24, max: 3.4028234663852886e38, bytes: 4 },
  /** IEEE binary16: 11 significant bits, 5 exponent bits (subnormals below 2^-14). */
  fp16: { precision: 'fp16', storage: 'float16', unitRoundoff: 2 ** -11, max: 65504, bytes: 2 },
  /** bfloat16: float32's 8 exponent bits with 8 significant bits. */
  bf16: { precision: 'bf16', storage: 'bfloat16', unitRoundoff: 2 ** -8, max: 3.3895313892515355e38, bytes: 2 },
};

export function isPrecision(x: string): x is Precision {
  return (PRECISIONS as readonly string[]).includes(x);
}
