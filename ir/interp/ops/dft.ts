import type { Kernel } from '../kernel.js';
import { need } from '../kernel.js';
import { ints, normAxis, rt, size } from '../rtensor.js';

/** In-place radix-2 FFT of interleaved (re, im) data; `sign` −1 forward, +1 inverse (unscaled). */
function fftPow2(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (sign * 2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k), wi = Math.sin(ang * k);
        const a = i + k, b = a + len / 2;
        const xr = re[b]! * wr - im[b]! * wi, xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** DFT of any length: radix-2 directly, otherwise Bluestein's chirp-z through a radix-2 FFT. */
export function dft(re: Float64Array, im: Float64Array, sign: number): [Float64Array, Float64Array] {
  const n = re.length;
  if (n === 0) return [re, im];
  if ((n & (n - 1)) === 0) {
    const r = re.slice(), i = im.slice();
    fftPow2(r, i, sign);
    return [r, i];
  }
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  // chirp w_k = exp(sign·iπk²/n); k² mod 2n keeps the angle exact for large k.
  const cr = new Float64Array(n), ci = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const ang = (sign * Math.PI * ((k * k) % (2 * n))) / n;
    cr[k] = Math.cos(ang);
    ci[k] = Math.sin(ang);
  }
  // X_k = c_k · Σ_m (x_m c_m) · conj(c_{k−m}): a convolution, done with power-of-two FFTs.
  const ar = new Float64Array(m), ai = new Float64Array(m), br = new Float64Array(m), bi = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    ar[k] = re[k]! * cr[k]! - im[k]! * ci[k]!;
    ai[k] = re[k]! * ci[k]! + im[k]! * cr[k]!;
  }
  br[0] = cr[0]!;
  bi[0] = -ci[0]!;
  for (let k = 1; k < n; k++) {
    br[k] = br[m - k] = cr[k]!;
    bi[k] = bi[m - k] = -ci[k]!;
  }
  fftPow2(ar, ai, -1);
  fftPow2(br, bi, -1);
  for (let k = 0; k < m; k++) {
    const r = ar[k]! * br[k]! - ai[k]! * bi[k]!, i = ar[k]! * bi[k]! + ai[k]! * br[k]!;
    ar[k] = r;
    ai[k] = i;
  }
  fftPow2(ar, ai, 1);
  const outR = new Float64Array(n), outI = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = ar[k]! / m, i = ai[k]! / m;
    outR[k] = r * cr[k]! - i * ci[k]!;
    outI[k] = r * ci[k]! + i * cr[k]!;
  }
  return [outR, outI];
}

/**
 * ONNX DFT. Opset 17: `axis` attribute (default 1); opset 20: `axis` input 2 (default −2).
 * The last dim holds 1 (real) or 2 (re, im). dft_length zero-pads or truncates the signal.
 * onesided forward returns floor(n/2)+1 bins; onesided inverse (the irfft) reads floor(n/2)+1 bins
 * of a Hermitian spectrum and returns the real n-point signal with a last dim of 1, as
 * onnxruntime 1.30 does.
 */
export const dftKernel: Kernel = (inputs, node, ctx) => {
  const x = need(inputs, 0, node);
  const rank = x.dims.length;
  const rawAxis = ctx.opset >= 20 ? (inputs[2] ? ints(inputs[2])[0]! : -2) : node.attrInt('axis', 1);
  const axis = normAxis(rawAxis, rank, `node '${node.name}' (DFT)`);
  if (axis === rank - 1) throw new Error(`node '${node.name}' (DFT): the axis cannot be the last (re/im) dimension`);
  const c = x.dims[rank - 1]!;
  if (c !== 1 && c !== 2) throw new Error(`node '${node.name}' (DFT): the input's last dimension must be 1 (real) or 2 (complex), got ${c}`);
  const inverse = node.attrInt('inverse', 0) === 1, onesided = node.attrInt('onesided', 0) === 1;
  const nIn = x.dims[axis]!;
  const n = inputs[1] ? ints(inputs[1])[0]! : inverse && onesided ? 2 * (nIn - 1) : nIn;
  const nOut = onesided && !inverse ? Math.floor(n / 2) + 1 : n;
  const outer = size(x.dims.slice(0, axis)), inner = size(x.dims.slice(axis + 1, rank - 1));
  const dims = [...x.dims];
  dims[axis] = nOut;
  const realOut = inverse && onesided;
  const w = realOut ? 1 : 2;
  dims[rank - 1] = w;
  const out = rt(x.dtype, dims);
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      re.fill(0);
      im.fill(0);
      const at = (m: number) => ((o * nIn + m) * inner + q) * c;
      if (inverse && onesided) {
        const half = Math.floor(n / 2);
        for (let k = 0; k <= half && k < nIn; k++) {
          re[k] = x.data[at(k)]!;
          im[k] = c === 2 ? x.data[at(k) + 1]! : 0;
          if (k > 0 && n - k !== k) {
            re[n - k] = re[k]!;
            im[n - k] = -im[k]!;
          }
        }
      } else {
        for (let m = 0; m < Math.min(n, nIn); m++) {
          re[m] = x.data[at(m)]!;
          im[m] = c === 2 ? x.data[at(m) + 1]! : 0;
        }
      }
      const [yr, yi] = dft(re, im, inverse ? 1 : -1);
      for (let k = 0; k < nOut; k++) {
        const dst = ((o * nOut + k) * inner + q) * w;
        out.data[dst] = inverse ? yr[k]! / n : yr[k]!;
        if (!realOut) out.data[dst + 1] = inverse ? yi[k]! / n : yi[k]!;
      }
    }
  }
  return [out];
};
