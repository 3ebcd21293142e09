import { sizeOf } from '../../tensor.js';
import { isComplex } from '../../types.js';
import { onnxKernel } from '../kernel.js';
import { normAxis, rt, type RTensor } from '../rtensor.js';
import { promoteComplex } from '../strided.js';

/** Concat along `axis`; mixing real and complex parts promotes to complex. */
export const Concat = onnxKernel('Concat', (inputs, node) => {
  const xs = inputs.filter((t): t is RTensor => t !== null);
  const rank = xs[0]!.dims.length;
  const axis = normAxis(node.attrInt('axis'), rank, node.name);
  const dims = [...xs[0]!.dims];
  dims[axis] = xs.reduce((s, t) => s + t.dims[axis]!, 0);
  const complex = xs.some((t) => isComplex(t.dtype));
  const parts = complex ? xs.map(promoteComplex) : xs;
  const w = complex ? 2 : 1;
  const out = rt(complex ? 'complex64' : xs[0]!.dtype, dims);
  const outer = sizeOf(dims.slice(0, axis));
  let off = 0;
  const rowOut = sizeOf(dims.slice(axis)) * w;
  for (const t of parts) {
    const row = sizeOf(t.dims.slice(axis)) * w;
    for (let o = 0; o < outer; o++) {
      // Short rows by hand: a subarray view per row costs more than the copy.
      if (row < 64) for (let c = 0, src = o * row, dst = o * rowOut + off; c < row; c++) out.data[dst + c] = t.data[src + c]!;
      else out.data.set(t.data.subarray(o * row, (o + 1) * row), o * rowOut + off);
    }
    off += row;
  }
  return [out];
});
