export * from '../rtensor.js';
import type { Tensor } from '../../tensor.js';
import { fromTensor, type RTensor } from '../rtensor.js';

export function fromTensorAttr(t: Tensor): RTensor {
  return fromTensor(t);
}
