import type { Builder } from '../builder.js';
import type { Value } from '../value.js';

/**
 * An opset-correct ONNX `DFT` node: opset 17 takes `axis` as an attribute, opset 20+ as input 2.
 * ONNX defines `onesided` for forward transforms of real input only (DFT-17 and DFT-20; its shape
 * inference rejects onesided with inverse), so an inverse real FFT is written as the real part of
 * a full inverse of the weighted spectrum. Used by the DFT lowering of LongConv and by models
 * whose kernel is an inverse FFT (S4 DPLR).
 */
export function dftNode(b: Builder, x: Value, n: Value, axis: number, inverse: boolean, onesided: boolean): Value {
  if (inverse && onesided) throw new Error('internal: ONNX DFT has no one-sided inverse; take the real part of a full inverse of the weighted spectrum');
  const attrs: Record<string, number> = {};
  if (inverse) attrs.inverse = 1;
  if (onesided) attrs.onesided = 1;
  if (b.opset >= 20) return b.op('DFT', [x, n, b.i64(axis, [], 'dft_axis')], attrs);
  return b.op('DFT', [x, n], { ...attrs, axis });
}
