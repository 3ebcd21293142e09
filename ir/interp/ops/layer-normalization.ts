import { need, onnxKernel } from '../kernel.js';
import { broadcastIndex, normAxis, rt, size } from '../rtensor.js';

/** Apply `f` to every contiguous row of length `inner` after flattening at `axis`. */
function rows(x: { dims: number[]; data: Float64Array }, axis: number, f: (row: Float64Array, out: Float64Array) => void, out: Float64Array): void {
  const inner = size(x.dims.slice(axis));
  for (let o = 0; o < x.data.length / inner; o++) f(x.data.subarray(o * inner, (o + 1) * inner), out.subarray(o * inner, (o + 1) * inner));
}

/** LayerNormalization (opset 17): normalise over dims from `axis` on, biased variance. */
export const LayerNormalization = onnxKernel('LayerNormalization', (inputs, node) => {
  const x = need(inputs, 0, node), scale = need(inputs, 1, node), bias = inputs[2] ?? null;
  const axis = normAxis(node.attrInt('axis', -1), x.dims.length, node.name);
  const eps = node.attrFloat('epsilon', 1e-5);
  const normDims = x.dims.slice(axis);
  const is = broadcastIndex(scale.dims, normDims), ib = bias ? broadcastIndex(bias.dims, normDims) : null;
  const out = rt(x.dtype, x.dims);
  const mean = rt('float32', [...x.dims.slice(0, axis), ...normDims.map(() => 1)]);
  const invStd = rt('float32', mean.dims);
  let o = 0;
  rows(x, axis, (r, y) => {
    let m = 0;
    for (const v of r) m += v;
    m /= r.length;
    let v2 = 0;
    for (const v of r) v2 += (v - m) ** 2;
    const inv = 1 / Math.sqrt(v2 / r.length + eps);
    for (let i = 0; i < r.length; i++) y[i] = (r[i]! - m) * inv * scale.data[is[i]!]! + (bias && ib ? bias.data[ib[i]!]! : 0);
    mean.data[o] = m;
    invStd.data[o++] = inv;
  }, out.data);
  return [out, mean, invStd].slice(0, Math.max(1, node.outputs.length));
}, 17);
