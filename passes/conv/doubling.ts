import type { Builder } from '../../ir/builder.js';
import type { Node } from '../../ir/node.js';
import { readLongConv } from '../../ir/ops/long-conv.js';
import { onnxCode } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { chunkedStatePassing, chunkLength, realStateSize, statePassingMatmulFlops, statePassingMatmulMs, whyNotStatePassing, type ChunkRecurrence, type StatesBefore } from './chunked.js';
import { plannedLength, planningNote, type ConvFacts, type ConvLowering, type LoweringEstimate } from './lowering.js';
import type { RuntimeTarget } from './targets.js';

/**
 * Chunked state passing with no loop: the chunked form (chunked.ts — chunk end states by one
 * MatMul, then the intra-chunk Toeplitz block and the carried state in one MatMul), but the
 * recurrence over chunks g_{c+1} = A^T·g_c + s_c is a log-depth doubling (a Hillis–Steele prefix
 * scan) instead of a Scan:
 *   x ← s shifted by one chunk (x_c = s_{c−1}, x_0 = 0)
 *   for k = 0 … K−1:  x_c ← x_c + A^(T·2^k)·x_{c−2^k}       (x_{c−2^k} = 0 for c < 2^k)
 * after which x_c = Σ_{c'<c} A^(T(c−1−c'))·s_{c'} = g_c, with K = ⌈log2 #chunks⌉ levels. Every level
 * is a few whole-tensor kernels — a shift (Pad + Slice), and an elementwise complex multiply-add
 * (diagonal) or one batched MatMul by A^(T·2^k) (dense) — so the graph holds no control flow: a
 * runtime without Scan or Loop (onnxruntime's WebGPU provider, which would run the loop on the CPU
 * and copy the state to the GPU and back every iteration) runs all of it on the device.
 *
 * The doubling does K passes over all chunk states where the Scan does one, so on a CPU it pays
 * off only where the Scan's per-step cost dominates (many short steps: narrow layers, 2+ threads,
 * which a Scan cannot use). A dynamic length gets the levels for up to MAX_DYNAMIC_POSITIONS
 * positions (2^20, as S4 DPLR's kernel table), each level's shift clamped to the chunks present.
 * The diagonal powers μ^(T·2^k) are computed in the graph from λ (folded into constants with the
 * rest); the dense powers A^(T·2^k) by squaring in A's dtype (float64 from a model, folded at
 * compile time, one [H,S,S] matrix per level).
 */

/** The longest input a dynamic-length graph serves: the chunk count's levels are fixed in the graph. */
export const MAX_DYNAMIC_POSITIONS = 2 ** 20;

/** Doubling levels for nc chunks: the smallest K with 2^K ≥ nc. */
export function doublingLevels(nc: number): number {
  let k = 0;
  while (2 ** k < nc) k++;
  return k;
}

/** Levels for a length: fixed (⌈L/T⌉ chunks), or dynamic (MAX_DYNAMIC_POSITIONS). */
function levelsFor(L: number | null, T: number): number {
  return doublingLevels(Math.ceil((L ?? MAX_DYNAMIC_POSITIONS) / T));
}

const BEGIN_REVERSED = Number.MIN_SAFE_INTEGER;

/**
 * x [B,H,nc,S] moved d chunks later along axis 2, zeros in front: x_{c−d}. With a fixed nc the
 * sizes are constants; otherwise the zeros are min(d, nc) rows (never more than the tensor holds)
 * and the result is cut back to nc rows.
 */
function shiftChunks(b: Builder, x: Value, d: number, nc: number | Value): Value {
  if (typeof nc === 'number') {
    const kept = b.slice(x, [0], [nc - d], [2]);
    return b.op('Pad', [kept, b.i64([0, 0, d, 0, 0, 0, 0, 0], [8], 'shift_pads')]);
  }
  const front = b.op('Min', [b.i64([d], [1], 'shift'), nc]); // [1]
  const pads = b.concat([b.i64([0, 0], [2], 'pads'), front, b.i64([0, 0, 0, 0, 0], [5], 'pads')], 0);
  return b.slice(b.op('Pad', [x, pads]), [0], nc, [2]);
}

/** q ↦ a⊙q for states held as (re | im) halves of N complex modes: q ⊙ (ar | ar) + swap(q) ⊙ (−ai | ai). */
function diagonalTimes(b: Builder, q: Value, lambda: Value, steps: number, N: number): Value {
  const a = b.exp(b.mul(lambda, b.f32(steps))); // μ^steps, [H,N] or [N]
  const ar = b.ssm('Real', [a]), ai = b.ssm('Imag', [a]);
  const shared = lambda.type.shape?.length === 1;
  const pair = (lo: Value, hi: Value) => b.unsqueeze(b.concat([lo, hi], -1), shared ? [0] : [1]); // [H,1,2N] | [1,2N]
  const swapped = b.reshape(b.slice(b.reshape(q, [0, 0, 0, 2, N]), [-1], [BEGIN_REVERSED], [3], [-1]), [0, 0, 0, 2 * N]);
  return b.add(b.mul(q, pair(ar, ar)), b.mul(swapped, pair(b.neg(ai), ai)));
}

/** The states before each chunk by log-depth doubling (above); `levels` fixed by the length. */
function doublingStatesBefore(levels: number): StatesBefore {
  return (b, s, r: ChunkRecurrence) => {
    const fixed = s.type.shape?.[2];
    const nc: number | Value = typeof fixed === 'number' ? fixed : b.unsqueeze(b.dim(s, 2), [0]);
    if (typeof nc === 'number' && nc <= 1) return b.mul(s, b.f32(0)); // one chunk: nothing before it
    let x = shiftChunks(b, s, 1, nc);
    let power = r.kind === 'dense' ? r.power : null; // A^(T·2^k), column form, A's dtype
    for (let k = 0; k < levels; k++) {
      const d = 2 ** k;
      if (typeof nc === 'number' && d >= nc) break;
      const shifted = shiftChunks(b, x, d, nc);
      const moved = r.kind === 'diagonal'
        ? diagonalTimes(b, shifted, r.lambda, r.T * d, r.N)
        : b.matmul(shifted, b.cast(b.transpose(power!, [0, 2, 1]), onnxCode('float32')));
      x = b.add(x, moved);
      if (power && k + 1 < levels) power = b.matmul(power, power);
    }
    return x;
  };
}

/** LongConv (diagonal or dense kernel) → chunked state passing with the doubling recurrence. */
export function doublingConv(b: Builder, node: Node): Value {
  const L = readLongConv(node).u.type.shape?.[2];
  const fixedL = typeof L === 'number' ? L : null;
  const T = chunkLength(fixedL);
  return chunkedStatePassing(b, node, T, doublingStatesBefore(levelsFor(fixedL, T)));
}

/** Elementwise whole-tensor passes per level of a diagonal doubling (shift 2, swap 1, multiply-add 4). */
const DIAGONAL_LEVEL_PASSES = 7;
/** Passes per level of a dense doubling beside its MatMul (shift 2, add 1). */
const DENSE_LEVEL_PASSES = 3;

/**
 * The work of the doubling recurrence: the levels that do work at the planned length, the levels
 * the graph holds (a dynamic-length graph holds them for MAX_DYNAMIC_POSITIONS, and each one's
 * kernels run even when its shift passes every chunk), element-passes over the chunk states, and
 * MatMul flops.
 */
export function doublingWork(f: ConvFacts): { T: number; levels: number; graphLevels: number; elementOps: number; matmulFlops: number } {
  const L = plannedLength(f), T = chunkLength(f.L), S = realStateSize(f), sides = f.bidirectional ? 2 : 1;
  const levels = levelsFor(L, T);
  const graphLevels = levelsFor(f.L, T);
  const states = Math.ceil(L / T) * f.H * S * sides;
  const passes = f.kernel === 'dense' ? DENSE_LEVEL_PASSES : DIAGONAL_LEVEL_PASSES;
  return { T, levels, graphLevels, elementOps: levels * passes * states, matmulFlops: f.kernel === 'dense' ? levels * 2 * states * S : 0 };
}

function estimate(f: ConvFacts, t: RuntimeTarget, threads: number): LoweringEstimate {
  const par = Math.max(1, Math.min(threads, t.maxThreads));
  const w = doublingWork(f);
  // The level passes are whole-tensor kernels, which threads do speed up (unlike a Scan's steps).
  const levelMs = w.elementOps / (t.elementwiseGops * par * 1e6) + w.matmulFlops / (t.matmulGflops * par * 1e6);
  const what = f.kernel === 'dense' ? `dense state space with ${f.states} real states` : `${f.modes} complex modes`;
  return { ms: statePassingMatmulMs(f, w.T, t, threads) + levelMs, note: `chunks of ${w.T}, ${w.levels} doubling levels, ${what}${planningNote(f)}` };
}

/** Its MatMul flops (for targets that price by structure). */
export function doublingFlops(f: ConvFacts): number {
  const w = doublingWork(f);
  return statePassingMatmulFlops(f, w.T) + w.matmulFlops;
}

export const doublingLowering: ConvLowering = {
  name: 'doubling',
  description: 'chunked state passing with no loop: chunk end states by MatMul, the chunk recurrence by log-depth doubling, Toeplitz block and carried state in one MatMul',
  reads: 'state-space',
  needs: ['MatMul', 'Pad'],
  whyNot: whyNotStatePassing,
  estimate,
  lower: doublingConv,
};
