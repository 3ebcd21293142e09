import { dft } from '../fft.js';
import { need, onnxKernel, type Kernel } from '../kernel.js';
import { ints, normAxis, rt, size } from '../rtensor.js';

/**
 * ONNX DFT. Opset 17: `axis` attribute (default 1); opset 20: `axis` input 2 (default −2).
 * The last dim holds 1 (real) or 2 (re, im). dft_length zero-pads or truncates the signal.
 * onesided forward returns floor(n/2)+1 bins; onesided inverse (the irfft) reads floor(n/2)+1 bins
 * of a Hermitian spectrum and returns the real n-point signal with a last dim of 1, as
 * onnxruntime 1.30 does.
 */
const dftKernel: Kernel = (inputs, node, ctx) => {
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

export const DFT = onnxKernel('DFT', dftKernel, 17);
