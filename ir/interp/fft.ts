/** cos/sin of 2πk/n for k < n/2, per power-of-two size: one table serves every transform of that size. */
const twiddles = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddleTable(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = twiddles.get(n);
  if (!t) {
    const half = n >> 1, cos = new Float64Array(half), sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      cos[k] = Math.cos((2 * Math.PI * k) / n);
      sin[k] = Math.sin((2 * Math.PI * k) / n);
    }
    t = { cos, sin };
    if (twiddles.size > 64) twiddles.clear();
    twiddles.set(n, t);
  }
  return t;
}

/**
 * In-place radix-2 FFT of separate (re, im) arrays; `sign` −1 forward, +1 inverse (unscaled).
 * O(n log n), twiddles from a table (the stage of length len uses every (n/len)-th entry).
 */
export function fftPow2(re: Float64Array, im: Float64Array, sign: number): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      // Temporaries, not a destructuring swap (which allocates an array per swap).
      const tr = re[i]!, ti = im[i]!;
      re[i] = re[j]!;
      im[i] = im[j]!;
      re[j] = tr;
      im[j] = ti;
    }
  }
  const { cos, sin } = twiddleTable(n);
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1, stride = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0, t = 0; k < half; k++, t += stride) {
        const wr = cos[t]!, wi = sign * sin[t]!;
        const a = i + k, b = a + half;
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
  const { m, cr, ci, br, bi } = chirp(n, sign);
  // X_k = c_k · Σ_m (x_m c_m) · conj(c_{k−m}): a convolution, done with power-of-two FFTs.
  const ar = new Float64Array(m), ai = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    ar[k] = re[k]! * cr[k]! - im[k]! * ci[k]!;
    ai[k] = re[k]! * ci[k]! + im[k]! * cr[k]!;
  }
  fftPow2(ar, ai, -1);
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

/** Bluestein's chirp of one length and direction and the spectrum of its conjugate, shared by every transform of that length. */
interface Chirp { m: number; cr: Float64Array; ci: Float64Array; br: Float64Array; bi: Float64Array }
const chirps = new Map<string, Chirp>();

/** O(n) cos/sin and one FFT of m ≥ 2n − 1 points, once per (n, sign): a transform then costs two FFTs, not three. */
function chirp(n: number, sign: number): Chirp {
  const key = `${n}:${sign}`;
  let c = chirps.get(key);
  if (c) return c;
  let m = 1;
  while (m < 2 * n - 1) m <<= 1;
  // chirp w_k = exp(sign·iπk²/n); k² mod 2n keeps the angle exact for large k.
  const cr = new Float64Array(n), ci = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const ang = (sign * Math.PI * ((k * k) % (2 * n))) / n;
    cr[k] = Math.cos(ang);
    ci[k] = Math.sin(ang);
  }
  const br = new Float64Array(m), bi = new Float64Array(m);
  br[0] = cr[0]!;
  bi[0] = -ci[0]!;
  for (let k = 1; k < n; k++) {
    br[k] = br[m - k] = cr[k]!;
    bi[k] = bi[m - k] = -ci[k]!;
  }
  fftPow2(br, bi, -1);
  c = { m, cr, ci, br, bi };
  if (chirps.size > 16) chirps.clear();
  chirps.set(key, c);
  return c;
}
