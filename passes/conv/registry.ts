import { chunkedLowering } from './chunked.js';
import { dftLowering } from './dft.js';
import { directLowering } from './direct.js';
import { doublingLowering } from './doubling.js';
import { fourstepLowering } from './fourstep.js';
import type { ConvLowering } from './lowering.js';

/**
 * The long-convolution lowerings, in the order the cost model lists them (on a tie the earlier
 * wins). A new lowering is one module exporting a ConvLowering and one line here.
 */
export const LOWERINGS: readonly ConvLowering[] = [
  dftLowering, // DFT (radix-2 FFT in onnxruntime): any length, the baseline
  fourstepLowering, // four-step FFT as MatMuls: fixed length
  chunkedLowering, // chunked state passing: kernels with a state-space description
  doublingLowering, // the same without a loop: log-depth doubling over chunks (GPUs)
  directLowering, // depthwise Conv: short kernels
];

/** The lowerings checked for duplicate names: a registry is a list with unique names. */
export function loweringRegistry(lowerings: readonly ConvLowering[]): readonly ConvLowering[] {
  const seen = new Set<string>();
  for (const l of lowerings) {
    if (l.name === 'auto') throw new Error("a lowering cannot be named 'auto' (it means: let the cost model choose)");
    if (seen.has(l.name)) throw new Error(`two lowerings are named '${l.name}'`);
    seen.add(l.name);
  }
  return lowerings;
}

export function findLowering(lowerings: readonly ConvLowering[], name: string): ConvLowering | undefined {
  return lowerings.find((l) => l.name === name);
}
