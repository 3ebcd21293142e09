import { isComplex } from '../../../types.js';
import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { rt } from '../../rtensor.js';

export function complexPart(which: 0 | 1): Kernel {
  return (inputs, node) => {
    const x = need(inputs, 0, node);
    if (!isComplex(x.dtype)) throw new Error(`node '${node.name}' (${node.op}): input must be complex`);
    const out = rt('float32', x.dims);
    for (let k = 0; k < out.data.length; k++) out.data[k] = x.data[2 * k + which]!;
    return [out];
  };
}

/** Real(z): the real parts. */
export const Real = ssmcKernel('Real', complexPart(0));
