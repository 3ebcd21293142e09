import type { Node } from '../../node.js';
import { need, onnxKernel, type Kernel } from '../kernel.js';
import { rt, size, strides, type RTensor } from '../rtensor.js';

/** Conv's attributes with defaults filled in and auto_pad resolved into explicit pads. */
export interface ConvAttrs {
  group: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  outDims: number[];
}

export function parseConvAttrs(node: Node, xDims: readonly number[], wDims: readonly number[]): ConvAttrs {
  const what = `node '${node.name}' (Conv)`;
  const r = xDims.length - 2;
  if (r < 1 || wDims.length !== r + 2) {
    throw new Error(`${what}: X [N,C,spatial…] and W [M,C/group,kernel…] must agree on rank, got [${xDims.join(',')}] and [${wDims.join(',')}]`);
  }
  const kernel = wDims.slice(2);
  const ks = node.attrInts('kernel_shape', kernel);
  if (ks.join() !== kernel.join()) throw new Error(`${what}: kernel_shape [${ks.join(',')}] differs from W's spatial dims [${kernel.join(',')}]`);
  const group = node.attrInt('group', 1);
  const C = xDims[1]!, M = wDims[0]!;
  if (group < 1 || C !== wDims[1]! * group || M % group !== 0) {
    throw new Error(`${what}: with group = ${group}, X's ${C} channels must equal W's ${wDims[1]} per group times the groups, and W's ${M} filters must divide into the groups`);
  }
  const ones = new Array<number>(r).fill(1);
  const str = node.attrInts('strides', ones), dil = node.attrInts('dilations', ones);
  if (str.length !== r || dil.length !== r) throw new Error(`${what}: strides and dilations need ${r} entries each`);
  const autoPad = node.attrString('auto_pad', 'NOTSET');
  const span = kernel.map((k, d) => (k - 1) * dil[d]! + 1);
  const inDims = xDims.slice(2);
  let padBegin: number[], padEnd: number[];
  if (autoPad === 'NOTSET') {
    const pads = node.attrInts('pads', new Array<number>(2 * r).fill(0));
    if (pads.length !== 2 * r) throw new Error(`${what}: pads needs ${2 * r} entries (all begins, then all ends), got ${pads.length}`);
    padBegin = pads.slice(0, r);
    padEnd = pads.slice(r);
  } else if (autoPad === 'VALID') {
    padBegin = new Array<number>(r).fill(0);
    padEnd = padBegin;
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // Output ceil(in / stride); the odd pad goes at the end (UPPER) or the beginning (LOWER).
    const total = inDims.map((n, d) => Math.max(0, (Math.ceil(n / str[d]!) - 1) * str[d]! + span[d]! - n));
    padBegin = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    padEnd = total.map((t, d) => t - padBegin[d]!);
  } else {
    throw new Error(`${what}: auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '${autoPad}'`);
  }
  const outDims = inDims.map((n, d) => Math.floor((n + padBegin[d]! + padEnd[d]! - span[d]!) / str[d]!) + 1);
  if (outDims.some((o) => o < 1)) throw new Error(`${what}: the kernel (span [${span.join(',')}]) is larger than the padded input [${inDims.join(',')}]`);
  return { group, kernel, strides: str, dilations: dil, padBegin, outDims };
}

/** Direct N-D convolution (cross-correlation, as ONNX defines Conv), grouped, with optional bias. */
export function computeConv(x: RTensor, w: RTensor, bias: RTensor | null, a: ConvAttrs): RTensor {
  const [N, C] = x.dims as [number, number];
  const M = w.dims[0]!;
  const cg = C / a.group, mg = M / a.group;
  const inDims = x.dims.slice(2);
  const inStr = strides(inDims), outStr = strides(a.outDims), kStr = strides(a.kernel);
  const inSize = size(inDims), outSize = size(a.outDims), kSize = size(a.kernel);
  const out = rt(x.dtype, [N, M, ...a.outDims]);
  const r = inDims.length;
  const pos = new Array<number>(r);
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < kSize; k++) {
      // input position of output o under kernel tap k, or −1 when it falls in the padding
      let src = 0;
      for (let d = 0; d < r; d++) {
        const od = Math.floor(o / outStr[d]!) % a.outDims[d]!;
        const kd = Math.floor(k / kStr[d]!) % a.kernel[d]!;
        pos[d] = od * a.strides[d]! - a.padBegin[d]! + kd * a.dilations[d]!;
        if (pos[d]! < 0 || pos[d]! >= inDims[d]!) {
          src = -1;
          break;
        }
        src += pos[d]! * inStr[d]!;
      }
      if (src < 0) continue;
      for (let n = 0; n < N; n++) {
        for (let m = 0; m < M; m++) {
          const g = Math.floor(m / mg);
          let s = 0;
          for (let c = 0; c < cg; c++) s += x.data[(n * C + g * cg + c) * inSize + src]! * w.data[(m * cg + c) * kSize + k]!;
          out.data[(n * M + m) * outSize + o] += s;
        }
      }
    }
  }
  if (bias) {
    for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) {
      for (let o = 0; o < outSize; o++) out.data[(n * M + m) * outSize + o] += bias.data[m]!;
    }
  }
  return out;
}

const convKernel: Kernel = (inputs, node) => {
  const x = need(inputs, 0, node), w = need(inputs, 1, node);
  return [computeConv(x, w, inputs[2] ?? null, parseConvAttrs(node, x.dims, w.dims))];
};

export const Conv = onnxKernel('Conv', convKernel);
