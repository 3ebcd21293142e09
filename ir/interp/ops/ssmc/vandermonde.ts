import { need, ssmcKernel, type Kernel } from '../../kernel.js';
import { lengthOf, vandermondeSum } from '../../vandermonde-sum.js';

const vandermonde: Kernel = (inputs, node) => {
  const lambda = need(inputs, 0, node), coef = need(inputs, 1, node);
  return [vandermondeSum(lambda, coef, lengthOf(need(inputs, 2, node), node), node.attrFloat('scale', 1))];
};

/** Vandermonde(λ, coef, L): the kernel K[c,h,l] = scale · Re Σ_n coef · exp(λ·l). */
export const Vandermonde = ssmcKernel('Vandermonde', vandermonde);
