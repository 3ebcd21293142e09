import type { NumericClass } from './classify.js';

/** What a 16-bit graph does with one class of nodes (classify.ts). */
export interface ClassPolicy {
  /** Compute in float16 where the runtime has float16 kernels (an fp16 graph; bf16 never computes in 16 bits). */
  readonly compute16: boolean;
  /** Store the weights only this class reads in 16 bits (cast up to float32 when the session loads). */
  readonly store16: boolean;
  /** Why, from the measurements (see PRECISION_POLICY). */
  readonly why: string;
}

export type PrecisionPolicy = Readonly<Record<NumericClass, ClassPolicy>>;

/**
 * The policy of fp16 and bf16 graphs, per class, decided from errors measured against the float64
 * reference with one class at a time in 16 bits (`withClasses`, the harness of
 * src/verify/precision.ts): the golden cases, and an S4D block at L = 2048-4096 in conv, step and
 * prefill form. Those one-class runs were made while the pass was written and are not a committed
 * script; what the policy gives is: `node dist/bench/precision-accuracy.js` (README, "16-bit
 * graphs"). u is the format's unit roundoff (2^-11 for float16).
 */
export const PRECISION_POLICY: PrecisionPolicy = {
  dense: {
    compute16: true, store16: true,
    why: 'linear layers, activations and gates: about 2-3.5 u of the output peak computed in float16, 0.3-1.3 u from their weights alone; where a GPU gains most',
  },
  normalization: {
    compute16: false, store16: true,
    why: 'sums over the features in float16 doubled the GSS LM\'s error (1.5 u → 2.8 u); their scales and biases store like any weight',
  },
  'long-conv': {
    compute16: false, store16: true,
    why: 'an unnormalised DFT or four-step sum grows with L (past float16\'s 65504 for long inputs) and added a third to the error at L = 2048; its folded spectra, DFT and chunk matrices store in 16 bits within 0.2-0.7 u (a loop body\'s reads stay float32: see recurrence)',
  },
  kernel: {
    compute16: false, store16: false,
    why: 'positions l above 2048 are not float16 numbers and exp(λ·l) multiplies a parameter\'s rounding by l: a dynamic-length DSS-softmax kernel from 16-bit parameters was 15× less accurate than its folded fixed-length form; the parameters are H·N numbers',
  },
  ssm: {
    compute16: false, store16: true,
    why: 'a step\'s readout sums N modes with cancellation (0.7 u → 1.2 u in float16); its coefficients store within 0.3 u',
  },
  recurrence: {
    compute16: false, store16: false,
    why: 'a state update applies its transition once per step, so a rounding compounds: 30 u in float16 and 38 u from a 16-bit transition after 2048-4096 steps; H·N numbers',
  },
  movement: { compute16: true, store16: true, why: 'moves values without computing: it takes the dtype of what it moves' },
};

/** `policy` with some classes changed (for measuring one class at a time). */
export function withClasses(policy: PrecisionPolicy, changes: Partial<Record<NumericClass, Partial<ClassPolicy>>>): PrecisionPolicy {
  const out = { ...policy } as Record<NumericClass, ClassPolicy>;
  for (const [k, v] of Object.entries(changes) as [NumericClass, Partial<ClassPolicy>][]) out[k] = { ...out[k], ...v };
  return out;
}
