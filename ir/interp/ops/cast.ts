import { roundToBfloat16, roundToHalf } from '../../half.js';
import { dtypeFromCode, type DType } from '../../types.js';
import { need, onnxKernel, where, type Kernel } from '../kernel.js';
import { rt } from '../rtensor.js';

/** Integer dtypes that wrap around on overflow (numpy's astype, which ONNX's reference follows), by bit width. */
const WRAP: Partial<Record<DType, { bits: number; signed: boolean }>> = {
  int8: { bits: 8, signed: true }, uint8: { bits: 8, signed: false }, int16: { bits: 16, signed: true },
  uint16: { bits: 16, signed: false }, int32: { bits: 32, signed: true }, uint32: { bits: 32, signed: false },
};

/**
 * How a float64 value becomes a value of `to`: rounded to the nearest float32 / float16 /
 * bfloat16 (ties to even), truncated toward zero for integers (wrapping for the narrow ones),
 * non-zero (NaN included) for bool.
 */
export function castTo(to: DType): (x: number) => number {
  switch (to) {
    case 'float32': return Math.fround;
    case 'float64': return (x) => x;
    case 'float16': return roundToHalf;
    case 'bfloat16': return roundToBfloat16;
    case 'bool': return (x) => (x !== 0 ? 1 : 0);
    case 'int64': case 'uint64': return Math.trunc;
  }
  const w = WRAP[to];
  if (!w) return Math.trunc;
  const span = 2 ** w.bits, half = span / 2;
  return (x) => {
    let v = Math.trunc(x) % span;
    if (v < 0) v += span;
    return w.signed && v >= half ? v - span : v;
  };
}

const cast: Kernel = (inputs, node) => {
  const a = need(inputs, 0, node);
  const to = dtypeFromCode(node.attrInt('to'));
  if (!to) throw new Error(`${where(node)}: 'to' = ${node.attrInt('to')} is not a data type`);
  if (to === 'string' || to.startsWith('complex')) throw new Error(`${where(node)}: the reference interpreter cannot cast to ${to}`);
  const out = rt(to, a.dims);
  const f = castTo(to);
  for (let k = 0; k < a.data.length; k++) out.data[k] = f(a.data[k]!);
  return [out];
};

/** Cast: values converted to the dtype `to`, with that dtype's rounding. */
export const Cast = onnxKernel('Cast', cast);
