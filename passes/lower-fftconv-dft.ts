import type { Builder } from '../ir/builder.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import { onnxCode, type Dim } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import type { Pass } from './pass.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/** An opset-correct DFT node: opset 17 takes `axis` as an attribute, opset 20+ as input 2. */
export function dftNode(b: Builder, x: Value, n: Value, axis: number, inverse: boolean, onesided: boolean): Value {
  const attrs: Record<string, number> = {};
  if (inverse) attrs.inverse = 1;
  if (onesided) attrs.onesided = 1;
  if (b.opset >= 20) return b.op('DFT', [x, n, b.i64(axis, [], 'dft_axis')], attrs);
  return b.op('DFT', [x, n], { ...attrs, axis });
}

function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** A length as a graph value: a constant when known, else Shape → Gather. */
function lengthOf(b: Builder, x: Value, axis: number): { dim: Dim; value: Value } {
  const d = x.type.shape?.[axis] ?? null;
  return typeof d === 'number' ? { dim: d, value: b.i64(d, [], 'len') } : { dim: d, value: b.dim(x, axis) };
}

/**
 * Spectrum weights that turn the real part of a *full* inverse DFT of a zero-padded one-sided
 * spectrum into the inverse real FFT: x = Re IDFT_n(w ⊙ X) with w_0 = 1, w_k = 2 for 0 < k < n/2,
 * and w_{n/2} = 1 when n is even. Multiplied into the kernel's spectrum, they fold away with it.
 */
function irfftWeights(b: Builder, n: Value, nStatic: number | null, spectrum: Value): Value {
  const bins = spectrum.type.shape?.[2] ?? null;
  if (nStatic !== null && typeof bins === 'number') {
    const w = Array.from({ length: bins }, (_, k) => (k === 0 || 2 * k === nStatic ? 1 : 2));
    return b.f32(w, [bins, 1], 'irfft_weights');
  }
  const k = b.op('Range', [b.i64(0, [], 'zero'), b.dim(spectrum, 2), b.i64(1, [], 'one')]);
  const isDc = b.cast(b.op('Equal', [k, b.i64(0, [], 'zero')]), onnxCode('float32'));
  const isNyquist = b.cast(b.op('Equal', [b.mul(k, b.i64(2, [], 'two')), n]), onnxCode('float32'));
  return b.unsqueeze(b.sub(b.sub(b.f32(2), isDc), isNyquist), [1]); // [F, 1]
}

/**
 * FFTConv(u [B,H,L], k [C,H,Lk], k_rev?) → y [B,C,H,L] with ONNX DFT:
 *   n ≥ L + Lk (a power of two when static: onnxruntime's radix-2 path; Bluestein is 4-5× slower)
 *   U = rfft(u, n), K = rfft(kc, n) · w (kc = k, or k with k_rev wrapped to its tail)
 *   y = irfft_n(U ⊙ K)[..., :L]   (opset 20+: DFT inverse onesided; opset 17: Re IDFT_n(U ⊙ K·w))
 * The kernel's chain depends only on k, so with a fixed length it folds into one constant.
 */
function lowerFftConv(b: Builder, node: Node): Value[] {
  const u = node.input(0), k = node.input(1), kRev = node.inputs[2] ?? null;
  const L = lengthOf(b, u, 2), Lk = lengthOf(b, k, 2);
  const staticN = typeof L.dim === 'number' && typeof Lk.dim === 'number' ? nextPow2(L.dim + Lk.dim) : null;
  const n = staticN !== null ? b.i64(staticN, [], 'fft_len') : b.add(L.value, Lk.value);

  // The kernel in circular form: k at the head, reversed k_rev at the tail.
  let kc = k;
  if (kRev) {
    const pad = b.sub(b.sub(n, Lk.value), Lk.value);
    const zeros = b.op('Pad', [k, b.concat([b.i64([0, 0, 0, 0, 0], undefined, 'pads'), b.unsqueeze(pad, [0])], 0)]); // [C,H,n−Lk]
    const reversed = b.slice(kRev, [-1], [Number.MIN_SAFE_INTEGER], [2], [-1]);
    kc = b.concat([zeros, reversed], 2); // [C,H,n]
  }
  const U = dftNode(b, b.unsqueeze(u, [3]), n, 2, false, true); // [B,H,F,2]
  const K = dftNode(b, b.unsqueeze(kc, [3]), n, 2, false, true); // [C,H,F,2]
  // Opset 20+ has the one-sided inverse (irfft); opset 17 takes the real part of a full inverse
  // of the weighted one-sided spectrum instead.
  const onesidedInverse = b.opset >= 20;
  const Kw = onesidedInverse ? K : b.mul(K, irfftWeights(b, n, staticN, U)); // [C,H,F,2]

  const part = (x: Value, i: number) => b.op('Gather', [x, b.i64(i, [], 'part')], { axis: -1 });
  const ur = b.unsqueeze(part(U, 0), [1]), ui = b.unsqueeze(part(U, 1), [1]); // [B,1,H,F]
  const kr = part(Kw, 0), ki = part(Kw, 1); // [C,H,F]
  const yr = b.sub(b.mul(ur, kr), b.mul(ui, ki));
  const yi = b.add(b.mul(ur, ki), b.mul(ui, kr)); // [B,C,H,F]
  const Y = b.concat([b.unsqueeze(yr, [4]), b.unsqueeze(yi, [4])], 4); // [B,C,H,F,2]
  const y = part(dftNode(b, Y, n, 3, true, onesidedInverse), 0); // [B,C,H,n]
  const end = typeof L.dim === 'number' ? [L.dim] : b.unsqueeze(L.value, [0]);
  return [b.slice(y, [0], end, [3])];
}

export const lowerFftConvDftPass: Pass = {
  name: 'lower-fftconv-dft',
  description: 'FFTConv → rfft (DFT), complex product, inverse DFT, slice',
  requires: (_model, target) => (target.opset < 17 ? `DFT needs opset 17 or later, the target is opset ${target.opset}` : null),
  run: (model) => rewriteNodes(model, SSMC_DOMAIN, 'FFTConv', lowerFftConv),
  ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'FFTConv'),
};
