import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { rt } from '../../rtensor.js';

const conj: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node);
  const out = rt(x.dtype, x.dims, x.data.slice());
  for (let k = 1; k < out.data.length; k += 2) out.data[k] = -out.data[k]!;
  return [out];
};

/** Conj(z): the complex conjugate. */
export const Conj = ssmcKernel('Conj', conj);
