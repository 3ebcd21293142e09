/**
 * How a complex SSM state [batch, H, N] travels at a step or prefill graph's interface, as float32:
 *
 * - `planar` (the default): [batch, H, 2, N], the real parts of a channel's N modes then their
 *   imaginary parts. The step update is then a few whole-tensor ops on the state as it comes
 *   (passes/lower-diag-step.ts): exchanging the two planes is a Gather over an axis of 2
 *   that copies rows of N contiguous values, where the interleaved layout needs a strided
 *   element-by-element exchange or a split into two tensors and a Concat back, each a pass over
 *   the state of its own.
 * - `interleaved`: [batch, H, N, 2], (re, im) pairs — `torch.view_as_real`'s layout and the
 *   custom `ai.ssmc.DiagSSMStep` op's (`--custom-ops`), whose calls then read and write the state
 *   as it is. The step update runs on split real and imaginary parts.
 */
export type StateLayout = 'planar' | 'interleaved';

export const STATE_LAYOUTS: readonly StateLayout[] = ['planar', 'interleaved'];

/** The axis of the (re, im) pair in a complex state's interface tensor [batch, H, …]. */
export function partAxis(layout: StateLayout): number {
  return layout === 'planar' ? 2 : 3;
}

/** The interface dims of a complex state [batch, H, N]. */
export function complexStateDims(layout: StateLayout, H: number, N: number): [number, number, number] {
  return layout === 'planar' ? [H, 2, N] : [H, N, 2];
}

/** The layout's words in the `ssmc.states` metadata. */
export function layoutWords(layout: StateLayout): string {
  return layout === 'planar' ? '[H, 2, N]: the real parts of each channel\'s modes, then their imaginary parts' : '(re, im) in the last dim';
}
