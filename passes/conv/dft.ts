import type { Builder } from '../../ir/builder.js';
import type { Node } from '../../ir/node.js';
import { dftNode } from '../../ir/ops/dft.js';
import { readLongConv } from '../../ir/ops/long-conv.js';
import { onnxCode, type Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { nextPow2, plannedLength, planningNote, type ConvLowering } from './lowering.js';

/** Powers of two up to 2^40, far beyond any sequence a graph can hold. */
const POWERS_OF_TWO = Array.from({ length: 41 }, (_, e) => 2 ** e);

/**
 * The smallest power of two ≥ x (an int64 scalar), in the graph and exactly: the count of powers
 * below x indexes the power wanted. onnxruntime's DFT is radix-2 only for powers of two; any other
 * size takes Bluestein, 4-5× slower and with float32 errors of 2-8e-4 of the peak from L ≈ 1000.
 */
function nextPow2InGraph(b: Builder, x: Value): Value {
  const powers = b.i64(POWERS_OF_TWO, [POWERS_OF_TWO.length], 'powers_of_two');
  const below = b.op('ReduceSum', [b.cast(b.op('Less', [powers, x]), onnxCode('int64'))], { keepdims: 0 });
  return b.op('Gather', [powers, below], { axis: 0 });
}

/** A length as a graph value: a constant when known, else Shape → Gather. */
function lengthOf(b: Builder, x: Value, axis: number): { dim: Dim; value: Value } {
  const d = x.type.shape?.[axis] ?? null;
  return typeof d === 'number' ? { dim: d, value: b.i64(d, [], 'len') } : { dim: d, value: b.dim(x, axis) };
}

/** The transform size: a power of two ≥ L + Lk (a constant when both are known). */
function transformSize(b: Builder, L: { dim: Dim; value: Value }, Lk: { dim: Dim; value: Value }): { n: Value; staticN: number | null } {
  if (typeof L.dim === 'number' && typeof Lk.dim === 'number') {
    const staticN = nextPow2(L.dim + Lk.dim);
    return { n: b.i64(staticN, [], 'fft_len'), staticN };
  }
  return { n: nextPow2InGraph(b, b.add(L.value, Lk.value)), staticN: null };
}

/**
 * The kernel in circular form [C,H,n]: k at the head, reversed k_rev at the tail (k_rev[j]
 * multiplies u[t+1+j], circular lag −1−j). Without k_rev the DFT zero-pads k itself.
 */
function circularKernel(b: Builder, k: Value, kRev: Value | null, n: Value, Lk: Value): Value {
  if (!kRev) return k;
  const pad = b.sub(b.sub(n, Lk), Lk); // negative when 2·Lk > n: Pad then crops k's unreachable tail
  const head = b.op('Pad', [k, b.concat([b.i64([0, 0, 0, 0, 0], undefined, 'pads'), b.unsqueeze(pad, [0])], 0)]); // [C,H,n−Lk]
  const reversed = b.slice(kRev, [-1], [Number.MIN_SAFE_INTEGER], [2], [-1]);
  return b.concat([head, reversed], 2);
}

// ---------------------------------------------------------------------------------------------
// Complex arithmetic on real and imaginary planes. DFT reads and writes (re, im) as a last axis of 2;
// onnxruntime broadcasts an elementwise op over such an axis element by element (3-4× slower than
// on contiguous planes, measured), so spectra are turned into planes once, multiplied there, and
// interleaved again once for the inverse.

/** [..., n, 2] → the planes re, im, each [1, ..., n] (one Transpose, one Split). */
function toPlanes(b: Builder, X: Value): [Value, Value] {
  const r = X.type.shape!.length;
  const T = b.transpose(X, [r - 1, ...Array.from({ length: r - 1 }, (_, i) => i)]);
  const [re, im] = b.node('Split', [T, b.i64([1, 1], [2], 'split')], { axis: 0 }, 2);
  return [re!, im!];
}

/** [1, ..., n] planes re, im → [..., n, 2]. */
function fromPlanes(b: Builder, re: Value, im: Value): Value {
  const r = re.type.shape!.length;
  return b.transpose(b.concat([re, im], 0), [...Array.from({ length: r - 1 }, (_, i) => i + 1), 0]);
}

/** x[(n − k) mod n] along the last axis: [x0, x_{n−1}, …, x1] (reversed slices, no gather). */
function mirrored(b: Builder, T: Value): Value {
  return b.concat([b.slice(T, [0], [1], [-1]), b.slice(T, [-1], [0], [-1], [-1])], -1);
}

/**
 * Two real rows per complex transform. The rows [N,H,T] are paired along H (even h the real part,
 * odd h the imaginary part; an odd H gets one zero row): → [N, H2/2, T, 2], H2 = H rounded up to even.
 */
function pairRows(b: Builder, x: Value, H: number, N: number | null): Value {
  const H2 = H + (H % 2);
  const even = H2 === H ? x : b.op('Pad', [x, b.i64([0, 0, 0, 0, 1, 0], [6], 'pads')]);
  // N when known (the kernel's C): a computed pad upstream leaves no shape to copy with 0.
  return b.transpose(b.reshape(even, [N ?? 0, H2 / 2, 2, -1]), [0, 1, 3, 2]);
}

/**
 * LongConv with two real channels packed per complex DFT (the notes' 1.9× over one rfft per row:
 * onnxruntime's DFT has no real-input shortcut, an rfft costs a full complex FFT).
 *
 * Pair rows a (even h), b (odd h): z = u_a + i·u_b, Z = DFT_n(z). A real signal's spectrum is
 * Hermitian, so with M[k] = Z[(n−k) mod n] and W = conj(M): U_a = (Z + W)/2, U_b = −i(Z − W)/2.
 * Their products with the kernels' spectra K_a, K_b, packed again as Y = U_a·K_a + i·U_b·K_b,
 * simplify to
 *   Y = Z·P + W·Q,   P = (K_a + K_b)/2,  Q = (K_a − K_b)/2,
 * and IDFT_n(Y) = y_a + i·y_b: one complex inverse gives both outputs. P and Q depend only on the
 * kernel, whose pairs are packed and unpacked the same way (its chain folds at a fixed length):
 * with S = Zr + Mr, D = Zr − Mr, S' = Zi + Mi, D' = Zi − Mi of the kernel's transform,
 *   P = ((S + S') + i(D' − D))/4,   Q = ((S − S') + i(D' + D))/4.
 */
function lowerPacked(b: Builder, u: Value, kc: Value, n: Value, H: number, C: number, L: { dim: Dim; value: Value }): Value {
  const [Zkr, Zki] = toPlanes(b, dftNode(b, pairRows(b, kc, H, C), n, 2, false, false)); // [1, C, H2/2, n] each
  const [Mkr, Mki] = [mirrored(b, Zkr), mirrored(b, Zki)];
  const [S, S2, D, D2] = [b.add(Zkr, Mkr), b.add(Zki, Mki), b.sub(Zkr, Mkr), b.sub(Zki, Mki)];
  const quarter = (x: Value) => b.mul(x, b.f32(0.25, [], 'quarter'));
  const [Pr, Pi, Qr, Qi] = [quarter(b.add(S, S2)), quarter(b.sub(D2, D)), quarter(b.sub(S, S2)), quarter(b.add(D2, D))];

  const Z = b.unsqueeze(dftNode(b, pairRows(b, u, H, null), n, 2, false, false), [1]); // [B, 1, H2/2, n, 2]
  const [Zr, Zi] = toPlanes(b, Z); // [1, B, 1, H2/2, n] each
  const [Mr, Mi] = [mirrored(b, Zr), mirrored(b, Zi)];
  // Y = Z·P + conj(M)·Q
  const Yr = b.add(b.sub(b.mul(Zr, Pr), b.mul(Zi, Pi)), b.add(b.mul(Mr, Qr), b.mul(Mi, Qi)));
  const Yi = b.add(b.add(b.mul(Zr, Pi), b.mul(Zi, Pr)), b.sub(b.mul(Mr, Qi), b.mul(Mi, Qr)));
  const y = dftNode(b, fromPlanes(b, Yr, Yi), n, 3, true, false); // [B, C, H2/2, n, 2]: y_a + i·y_b
  const end = typeof L.dim === 'number' ? [L.dim] : b.unsqueeze(L.value, [0]);
  const H2 = H + (H % 2);
  const pairs = b.transpose(b.slice(y, [0], end, [3]), [0, 1, 2, 4, 3]); // [B, C, H2/2, 2, L]
  const rows = b.reshape(pairs, [0, C, H2, -1]);
  return H2 === H ? rows : b.slice(rows, [0], [H], [2]);
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
    return b.f32(w, [bins], 'irfft_weights');
  }
  const k = b.op('Range', [b.i64(0, [], 'zero'), b.dim(spectrum, 2), b.i64(1, [], 'one')]);
  const isDc = b.cast(b.op('Equal', [k, b.i64(0, [], 'zero')]), onnxCode('float32'));
  const isNyquist = b.cast(b.op('Equal', [b.mul(k, b.i64(2, [], 'two')), n]), onnxCode('float32'));
  return b.sub(b.sub(b.f32(2), isDc), isNyquist); // [F]
}

/**
 * One rfft per row (the plain baseline):
 *   U = rfft(u, n), K = rfft(kc, n) · w
 *   y = irfft_n(U ⊙ K)[..., :L] = Re IDFT_n(U ⊙ K·w)[..., :L]
 */
function lowerUnpacked(b: Builder, u: Value, kc: Value, n: Value, staticN: number | null, L: { dim: Dim; value: Value }): Value {
  const U = dftNode(b, b.unsqueeze(u, [3]), n, 2, false, true); // [B,H,F,2]
  const Kp = toPlanes(b, dftNode(b, b.unsqueeze(kc, [3]), n, 2, false, true)); // [1,C,H,F] each
  // The inverse real FFT as the real part of a full inverse of the weighted one-sided spectrum:
  // ONNX's DFT has no one-sided inverse (onnxruntime's is an extension other runtimes refuse).
  const Kw = Kp.map((x) => b.mul(x, irfftWeights(b, n, staticN, U)));
  const [Ur, Ui] = toPlanes(b, b.unsqueeze(U, [1])); // [1,B,1,H,F] each
  const [Kr, Ki] = Kw as [Value, Value];
  const Y = fromPlanes(b, b.sub(b.mul(Ur, Kr), b.mul(Ui, Ki)), b.add(b.mul(Ur, Ki), b.mul(Ui, Kr))); // [B,C,H,F,2]
  const y = dftNode(b, Y, n, 3, true, false); // [B,C,H,n,2]
  const end = typeof L.dim === 'number' ? b.i64([L.dim, 1], [2], 'ends') : b.concat([b.unsqueeze(L.value, [0]), b.i64([1], [1], 'one')], 0);
  return b.squeeze(b.slice(y, b.i64([0, 0], [2], 'starts'), end, [3, 4]), [4]); // the real part, first L
}

export interface DftLoweringOptions {
  /** Pack two real rows per complex DFT (default true; needs static channel counts H and C). */
  pack?: boolean;
}

/**
 * LongConv(u [B,H,L], k [C,H,Lk], k_rev?) → y [B,C,H,L] with ONNX DFT, for fixed and dynamic lengths:
 * the circular convolution of size n = a power of two ≥ L + Lk (radix-2 in onnxruntime), cut to L.
 * The kernel's chain depends only on k, so with a fixed length it folds into constants.
 */
export function dftConv(opts: DftLoweringOptions = {}): (b: Builder, node: Node) => Value {
  return (b, node) => {
    const conv = readLongConv(node);
    if (conv.kernel !== 'taps') throw new Error(`internal: the DFT lowering reads taps, LongConv '${node.name}' has a ${conv.kernel} kernel`);
    const { u, k, kRev } = conv;
    const L = lengthOf(b, u, 2), Lk = lengthOf(b, k, 2);
    const { n, staticN } = transformSize(b, L, Lk);
    const kc = circularKernel(b, k, kRev, n, Lk.value);
    const H = u.type.shape?.[1], C = k.type.shape?.[0];
    if ((opts.pack ?? true) && typeof H === 'number' && typeof C === 'number') return lowerPacked(b, u, kc, n, H, C, L);
    return lowerUnpacked(b, u, kc, n, staticN, L);
  };
}

/** Radix-2 FFT work: 5·n·log2 n flops per complex transform of size n. */
function fftFlops(n: number): number {
  return 5 * n * Math.log2(Math.max(n, 2));
}

export const dftLowering: ConvLowering = {
  name: 'dft',
  description: 'pad, DFT of two real rows per complex transform, spectrum product, one complex inverse, slice',
  reads: 'taps',
  needs: ['DFT'],
  whyNot: (f) => (f.hasTaps ? null : 'its dense kernel comes without taps; only the chunked form computes it'),
  estimate: (f, t) => {
    // A power of two ≥ L + Lk (radix-2; dynamic lengths compute it in the graph), two real rows per
    // complex transform; the kernel's transforms run too when they cannot fold.
    const L = plannedLength(f), Lk = f.Lk ?? L;
    const n = nextPow2(L + Lk);
    const rows = f.H + f.C * f.H + (f.L === null ? f.C * f.H : 0); // transforms of u, of y, of k when not folded
    return { ms: ((rows / 2) * fftFlops(n)) / (t.dftGflops * 1e6), note: `${rows} real transforms of ${n}, two per complex DFT${planningNote(f)}` };
  },
  lower: dftConv(),
};
