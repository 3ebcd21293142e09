import { need, onnxKernel } from '../kernel.js';
import { rt } from '../rtensor.js';

/** Range: start, start + delta, … up to (not including) limit. */
export const Range = onnxKernel('Range', (inputs, node) => {
  const [s, l, d] = [0, 1, 2].map((i) => need(inputs, i, node).data[0]!) as [number, number, number];
  const n = Math.max(0, Math.ceil((l - s) / d));
  const out = rt(need(inputs, 0, node).dtype, [n]);
  for (let i = 0; i < n; i++) out.data[i] = s + i * d;
  return [out];
});
