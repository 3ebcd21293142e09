import type { AttrInput } from '../attr.js';
import type { Builder } from '../builder.js';
import { SSMC_DOMAIN, type Node } from '../node.js';
import type { Value } from '../value.js';

/**
 * The long convolution `LongConv` (ir/ssm-ops.ts): y = K * u for u [B,H,L], y [B,C,H,L], with the
 * kernel given in one of three forms. A form says what the kernel *is*; how to compute the
 * convolution (an FFT, chunked state passing, …) is a lowering's choice, so no form carries
 * lowering detail such as a chunk length.
 *
 *   taps      (u, k [C,H,Lk], k_rev? [C,H,Lk])        the kernel's values
 *   diagonal  (u, λ c64 [H,N]|[N], coef c64 [C,H,N], length i64 [], λ_rev?, coef_rev?)  {scale}
 *             K_l = scale·Re Σ_n coef[c,h,n]·exp(λ[h,n]·l) for l < length, 0 beyond
 *   dense     (u, A [H,S,S], B [H,S], C [C,H,S], k? [C,H,Lk])
 *             K_l = C·A^l·B, a real state space (float64 when it is computed at compile time);
 *             k: the same kernel's taps where the model has a better way to form them
 */
export const LONG_CONV = 'LongConv';

/** The attribute naming the form of a LongConv's kernel; absent means 'taps'. */
export const KERNEL_ATTR = 'kernel';

export const KERNEL_FORMS = ['taps', 'diagonal', 'dense'] as const;
export type KernelForm = (typeof KERNEL_FORMS)[number];

export interface DiagonalSide {
  lambda: Value;
  coef: Value;
}

export type LongConv =
  | { kernel: 'taps'; u: Value; k: Value; kRev: Value | null }
  | { kernel: 'diagonal'; u: Value; length: Value; scale: number; causal: DiagonalSide; reverse: DiagonalSide | null }
  | { kernel: 'dense'; u: Value; A: Value; B: Value; C: Value; taps: Value | null };

function inputsOf(conv: LongConv): (Value | null)[] {
  switch (conv.kernel) {
    case 'taps': return conv.kRev ? [conv.u, conv.k, conv.kRev] : [conv.u, conv.k];
    case 'diagonal': {
      const head = [conv.u, conv.causal.lambda, conv.causal.coef, conv.length];
      return conv.reverse ? [...head, conv.reverse.lambda, conv.reverse.coef] : head;
    }
    case 'dense': return conv.taps ? [conv.u, conv.A, conv.B, conv.C, conv.taps] : [conv.u, conv.A, conv.B, conv.C];
  }
}

/** A LongConv node for `conv`; returns y [B,C,H,L]. */
export function longConv(b: Builder, conv: LongConv, opts: { name?: string } = {}): Value {
  const attrs: Record<string, AttrInput> = {};
  if (conv.kernel !== 'taps') attrs[KERNEL_ATTR] = conv.kernel;
  if (conv.kernel === 'diagonal') attrs.scale = { kind: 'float', value: conv.scale };
  return b.ssm(LONG_CONV, inputsOf(conv), attrs, opts);
}

export function isLongConv(node: Node): boolean {
  return node.domain === SSMC_DOMAIN && node.op === LONG_CONV;
}

/** The kernel form of a LongConv node (the attribute, 'taps' when absent). */
export function kernelForm(node: Node): KernelForm {
  const form = node.attrString(KERNEL_ATTR, 'taps');
  if (!(KERNEL_FORMS as readonly string[]).includes(form)) {
    throw new Error(`node '${node.name}' (LongConv): attribute '${KERNEL_ATTR}' must be one of ${KERNEL_FORMS.join(', ')}, got '${form}'`);
  }
  return form as KernelForm;
}

/** A LongConv node's operands, by form; a node whose inputs do not fit its form is an internal error. */
export function readLongConv(node: Node): LongConv {
  const at = (i: number) => node.inputs[i] ?? null;
  const need = (i: number, what: string) => {
    const v = at(i);
    if (!v) throw new Error(`node '${node.name}' (LongConv, kernel ${kernelForm(node)}): input ${i} (${what}) is missing`);
    return v;
  };
  const u = need(0, 'u');
  switch (kernelForm(node)) {
    case 'taps':
      return { kernel: 'taps', u, k: need(1, 'k'), kRev: at(2) };
    case 'diagonal': {
      const reverse = at(4) || at(5) ? { lambda: need(4, 'lambda_rev'), coef: need(5, 'coef_rev') } : null;
      return { kernel: 'diagonal', u, causal: { lambda: need(1, 'lambda'), coef: need(2, 'coef') }, length: need(3, 'length'), scale: node.attrFloat('scale', 1), reverse };
    }
    case 'dense':
      return { kernel: 'dense', u, A: need(1, 'A'), B: need(2, 'B'), C: need(3, 'C'), taps: at(4) };
  }
}

/** Rewrite a LongConv node in place to another form of the same kernel (its identity and lowering tag kept). */
export function rewriteLongConv(node: Node, conv: LongConv): void {
  const inputs = inputsOf(conv);
  // Only the slots that change: the others keep their place in their values' use lists.
  inputs.forEach((v, i) => {
    if (node.inputs[i] !== v) node.setInput(i, v);
  });
  for (let i = node.inputs.length - 1; i >= inputs.length; i--) node.setInput(i, null);
  node.inputs.length = inputs.length;
  node.attrs.delete('scale');
  if (conv.kernel === 'taps') node.attrs.delete(KERNEL_ATTR);
  else node.attrs.set(KERNEL_ATTR, { kind: 'string', value: conv.kernel });
  if (conv.kernel === 'diagonal') node.attrs.set('scale', { kind: 'float', value: conv.scale });
}
