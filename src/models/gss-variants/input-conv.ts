import type { Builder } from '../../../ir/builder.js';
import { dftNode } from '../../../ir/ops/dft.js';
import { onnxCode } from '../../../ir/types.js';
import type { Value } from '../../../ir/value.js';
import { UserError } from '../../errors.js';

/**
 * The causal convolution of a signal with a kernel that is itself computed from the input
 * (GatedDsConv): per batch row b and head g,
 *   y[b,t,g,d] = Σ_{s≤t} k[b,t−s,g] · u[b,s,g,d]      u [B,L,G·D], k [B,L,G] → y [B,L,G·D]
 *
 * It is not a LongConv: a LongConv's kernel is one per channel, shared by the batch and known
 * from the parameters, which is what lets every LongConv lowering fold the kernel's transform (or
 * its state-space weights) into constants. Here the kernel has a batch axis and exists only at run
 * time, and a depthwise Conv cannot take per-row weights. So it is built in one of two forms:
 *
 *   toeplitz  T[b,g,t,s] = k[b,g,t−s]·[t ≥ s] (one Gather of k, a zero tap appended, by the lag matrix), then
 *             y = T · u, one batched MatMul: 2·L²·D flops per head and an L×L matrix per head —
 *             the fast form for short sequences, where a MatMul beats any FFT on onnxruntime.
 *   fft       both u and k through ONNX DFT (one-sided, size n = a power of two ≥ 2L, computed in
 *             the graph for a dynamic length), the product, a full inverse of the weighted
 *             one-sided spectrum, its real part cut to L: O(L log L), any length.
 *
 * `chooseInputConvForm` picks by length from the measurements in bench (README).
 */
export type InputConvForm = 'toeplitz' | 'fft';
export const INPUT_CONV_FORMS: readonly InputConvForm[] = ['toeplitz', 'fft'];

/**
 * Up to this many positions the Toeplitz MatMul form is used (fixed lengths only): measured with
 * `npm run bench` (input-dependent convolution table), where it stays ahead of the DFT form.
 */
export const TOEPLITZ_UP_TO = 1024;

/**
 * The form for a length (null: dynamic) and --lowering: 'auto' picks by length, 'direct' is the
 * Toeplitz form, 'dft' the FFT form; the LongConv-only lowerings are refused with the reason.
 */
export function chooseInputConvForm(L: number | null, lowering = 'auto'): InputConvForm {
  switch (lowering) {
    case 'auto': return L !== null && L <= TOEPLITZ_UP_TO ? 'toeplitz' : 'fft';
    case 'direct': return 'toeplitz';
    case 'dft': return 'fft';
    default:
      throw new UserError(`--lowering ${lowering} cannot lower GatedDsConv's input-dependent convolution: its kernel exists only at run time, one per batch row, and '${lowering}' needs a kernel known from the parameters; use --lowering auto, direct (Toeplitz MatMul) or dft`);
  }
}

/** u [B,L,G·D], k [B,L,G] → y [B,L,G·D] in the form given (see above). */
export function inputConv(b: Builder, u: Value, k: Value, G: number, D: number, form: InputConvForm): Value {
  const uh = b.transpose(b.reshape(u, [0, 0, G, D]), [0, 2, 1, 3]); // [B,G,L,D]
  const kh = b.transpose(k, [0, 2, 1]); // [B,G,L]
  const y = form === 'toeplitz' ? toeplitz(b, uh, kh) : fft(b, uh, kh); // [B,G,L,D]
  return b.reshape(b.transpose(y, [0, 2, 1, 3]), [0, 0, G * D]);
}

/**
 * The lag t − s of every (t, s) of an L×L matrix, and L (a zero tap appended to k) above the
 * diagonal: one Gather then forms the masked Toeplitz matrix in a single pass.
 */
function lags(b: Builder, L: Value, staticL: number | null): Value {
  if (staticL !== null) {
    const lag: number[] = [];
    for (let t = 0; t < staticL; t++) for (let s = 0; s < staticL; s++) lag.push(t >= s ? t - s : staticL);
    return b.i64(lag, [staticL, staticL], 'toeplitz_lags');
  }
  const positions = b.op('Range', [b.i64(0, [], 'zero'), L, b.i64(1, [], 'one')]);
  const diff = b.sub(b.unsqueeze(positions, [1]), b.unsqueeze(positions, [0])); // [L,L] t − s
  return b.op('Where', [b.op('GreaterOrEqual', [diff, b.i64(0, [], 'zero')]), diff, L]);
}

function staticDim(v: Value, axis: number): number | null {
  const d = v.type.shape?.[axis];
  return typeof d === 'number' ? d : null;
}

/** uh [B,G,L,D], kh [B,G,L] → [B,G,L,D] by one Toeplitz MatMul per (b, g). */
function toeplitz(b: Builder, uh: Value, kh: Value): Value {
  const padded = b.op('Pad', [kh, b.i64([0, 0, 0, 0, 0, 1], [6], 'pads')]); // [B,G,L+1], tap L = 0
  const T = b.op('Gather', [padded, lags(b, b.dim(kh, 2), staticDim(kh, 2))], { axis: 2 }); // [B,G,L,L]
  return b.matmul(T, uh);
}

/** Powers of two up to 2^40: the transform size is picked from them in the graph. */
const POWERS_OF_TWO = Array.from({ length: 41 }, (_, e) => 2 ** e);

/** A power of two ≥ 2L (n ≥ 2L − 1 keeps the circular convolution from wrapping into the first L outputs). */
function transformSize(b: Builder, L: Value, staticL: number | null): { n: Value; staticN: number | null } {
  if (staticL !== null) {
    const staticN = POWERS_OF_TWO.find((p) => p >= 2 * staticL)!;
    return { n: b.i64(staticN, [], 'fft_len'), staticN };
  }
  const powers = b.i64(POWERS_OF_TWO, [POWERS_OF_TWO.length], 'powers_of_two');
  const below = b.op('ReduceSum', [b.cast(b.op('Less', [powers, b.mul(L, b.i64(2, [], 'two'))]), onnxCode('int64'))], { keepdims: 0 });
  return { n: b.op('Gather', [powers, below], { axis: 0 }), staticN: null };
}

/**
 * Weights that make the real part of a full inverse DFT of a one-sided spectrum the inverse real
 * FFT: 1 at DC and at n/2, 2 between (ONNX's DFT has no one-sided inverse).
 */
function irfftWeights(b: Builder, bins: Value, n: Value, staticN: number | null): Value {
  if (staticN !== null) {
    const count = staticN / 2 + 1;
    return b.f32(Array.from({ length: count }, (_, i) => (i === 0 || 2 * i === staticN ? 1 : 2)), [count, 1], 'irfft_weights');
  }
  const i = b.op('Range', [b.i64(0, [], 'zero'), bins, b.i64(1, [], 'one')]);
  const isDc = b.cast(b.op('Equal', [i, b.i64(0, [], 'zero')]), onnxCode('float32'));
  const isNyquist = b.cast(b.op('Equal', [b.mul(i, b.i64(2, [], 'two')), n]), onnxCode('float32'));
  return b.unsqueeze(b.sub(b.sub(b.f32(2), isDc), isNyquist), [1]); // [F,1]
}

/** uh [B,G,L,D], kh [B,G,L] → [B,G,L,D] through one-sided DFTs along L. */
function fft(b: Builder, uh: Value, kh: Value): Value {
  const staticL = staticDim(kh, 2);
  const L = b.dim(kh, 2);
  const { n, staticN } = transformSize(b, L, staticL);
  const U = dftNode(b, b.unsqueeze(uh, [4]), n, 2, false, true); // [B,G,F,D,2]
  const K = dftNode(b, b.unsqueeze(kh, [3, 4]), n, 2, false, true); // [B,G,F,1,2]
  const part = (x: Value, i: number) => b.slice(x, [i], [i + 1], [4]);
  const [Ur, Ui, Kr0, Ki0] = [part(U, 0), part(U, 1), part(K, 0), part(K, 1)];
  const w = irfftWeights(b, b.dim(K, 2), n, staticN); // [F,1], broadcast over [..., F, 1|D, 1]
  const [Kr, Ki] = [b.mul(Kr0, b.unsqueeze(w, [2])), b.mul(Ki0, b.unsqueeze(w, [2]))];
  const Y = b.concat([b.sub(b.mul(Ur, Kr), b.mul(Ui, Ki)), b.add(b.mul(Ur, Ki), b.mul(Ui, Kr))], 4); // [B,G,F,D,2]
  const y = dftNode(b, Y, n, 2, true, false); // [B,G,n,D,2]
  const end = staticL !== null ? b.i64([staticL, 1], [2], 'ends') : b.concat([b.unsqueeze(L, [0]), b.i64([1], [1], 'one')], 0);
  return b.squeeze(b.slice(y, b.i64([0, 0], [2], 'starts'), end, [2, 4]), [4]); // the real part, first L
}
