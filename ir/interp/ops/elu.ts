import { unaryWithAttrs } from '../elementwise.js';
import { onnxKernel } from '../kernel.js';

/** Elu: x for x ≥ 0, alpha·(eˣ − 1) below (alpha defaults to 1). */
export const Elu = onnxKernel('Elu', unaryWithAttrs((node) => {
  const alpha = node.attrFloat('alpha', 1);
  return (x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1));
}));
