import type { Builder } from '../builder.js';
import type { Value } from '../value.js';

/**
 * exp(λ·l) for l = 0 … count−1 by products of constants alone, for a device whose sin and cos
 * are approximations (a GPU shader's: WGSL allows 2^-11 absolute error, SwiftShader's are off by
 * 2e-4): a complex exp of a run-time argument would take its phase from them. With λ constant,
 * every exp here folds at compile time (in float64), and the device only multiplies:
 *   fine[r]   = exp(λ·r),            r < B                 (a constant)
 *   coarse[q] = exp(λ·B·q),          q < Q = ⌈count/B⌉     (doubled from 1: [c, c·exp(λ·B·2^k)], cut to Q)
 *   table     = coarse ⊗ fine, flattened and cut to `count`
 * Each entry is the product of at most ⌈log2(maxCount/B)⌉ + 1 constants, so its relative error is
 * a few float32 roundings, independent of l (exp of a float32 λ·l loses ulp(λ·l) of phase instead).
 * λ complex [...], count an int64 scalar (dynamic or not), maxCount the most positions the graph
 * serves. Returns complex [..., count].
 */
export function powersByProducts(b: Builder, lambda: Value, count: Value, maxCount: number, block = 64): Value {
  const rank = lambda.type.shape?.length;
  if (rank === undefined) throw new Error('powersByProducts: λ needs a known rank');
  const lamE = b.unsqueeze(lambda, [rank]); // [...,1]
  const at = (positions: number[], name: string) => b.exp(b.mul(lamE, b.f32(positions, [positions.length], name)));
  const fine = at(Array.from({ length: block }, (_, r) => r), 'power_fine'); // [...,B]
  const chunks = b.unsqueeze(b.div(b.add(count, b.i64(block - 1, [], 'block_less_one')), b.i64(block, [], 'block')), [0]); // [1]
  let coarse = at([0], 'power_zero'); // [...,1]: 1
  for (let k = 0; 2 ** k * block < maxCount; k++) {
    coarse = b.slice(b.concat([coarse, b.mul(coarse, at([block * 2 ** k], 'power_step'))], rank), [0], chunks, [rank]);
  }
  const table = b.mul(b.unsqueeze(coarse, [rank + 1]), b.unsqueeze(fine, [rank])); // [...,Q,B]
  const flat = b.reshape(table, [...new Array<number>(rank).fill(0), -1]);
  return b.slice(flat, [0], b.unsqueeze(count, [0]), [rank]);
}
