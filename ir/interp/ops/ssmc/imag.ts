import { ssmcKernel } from '../../kernel.js';
import { complexPart } from './real.js';

/** Imag(z): the imaginary parts. */
export const Imag = ssmcKernel('Imag', complexPart(1));
