import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { broadcastDims, broadcastIndex, rt, size } from '../../rtensor.js';

const complex: Kernel = (inputs, node) => {
  const re = need(inputs, 0, node), im = need(inputs, 1, node);
  const dims = broadcastDims(re.dims, im.dims, `node '${node.name}' (Complex)`);
  const ir = broadcastIndex(re.dims, dims), ii = broadcastIndex(im.dims, dims);
  const out = rt('complex64', dims);
  for (let k = 0; k < size(dims); k++) {
    out.data[2 * k] = re.data[ir[k]!]!;
    out.data[2 * k + 1] = im.data[ii[k]!]!;
  }
  return [out];
};

/** Complex(re, im): a complex64 tensor from its broadcast real and imaginary parts. */
export const Complex = ssmcKernel('Complex', complex);
