import { Builder } from '../../ir/builder.js';
import { Graph } from '../../ir/graph.js';
import { f32 } from '../../ir/tensor.js';
import { tensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { matvec } from '../../ir/linalg.js';
import { featurePower, realFeature, untruncatedRows } from './dplr-real.js';
import type { DplrSystem } from './s4-dplr.js';

/**
 * S4 DPLR in the linear stepper's half-state basis with the dense transition: the prefill state by
 * chunked state passing (below) and the convolution's dense state space (dplrStateSpace).
 *
 * The S4 DPLR prefill state in the linear stepper's basis: the half state x_L[:N'] of the
 * conj-expanded system after a prompt of L positions from zero,
 *   x_L = Σ_j dA^(L−1−j) dB u_j,
 * which any DPLR matrix has (HiPPO-LegS included: no eigenbasis is needed, unlike the diagonal
 * stepper's prefill). Computed by chunked state passing with the dense transition:
 *   chunk end state   s_c = Σ_j (dA^(T−1−j) dB)[:N'] u_(cT+j)     (one MatMul)
 *   chunk recurrence  x ← x·R + s_c                               (a Scan over chunks)
 * where R is dA^T acting on the half state as a real-linear map of (Re x, Im x): the lower half of
 * the conj-expanded state is conj(x), so x' = P11 x + P12 conj(x) with P = dA^T. Zeros in front of
 * the prompt leave a zero state unchanged, so the prompt is padded at the front to whole chunks.
 * Every weight is computed in float64 at compile time and does not depend on L.
 */

/** Positions per chunk: the per-chunk MatMul is [T, 2N'] and the Scan takes ⌈L/T⌉ steps. */
export const PREFILL_CHUNK = 64;

/**
 * W [H,T,2N']: row j holds (dA^(T−1−j) dB)[:N'] as (Re | Im); R [H,2N',2N']: the half-state
 * transition over one chunk for row vectors (x_row' = x_row·R, x_row = (Re x | Im x)).
 */
export function linearPrefillWeights(sys: DplrSystem, T: number): { W: Float32Array; R: Float64Array } {
  // In the real half-state basis z = (Re x, Im x) of dplr-real.ts: row j of W is A^(T−1−j) B, and
  // R = (A^T)ᵀ. O(T·M² + M³ log T) per feature.
  const { H, N } = sys, S = 2 * N;
  const W = new Float32Array(H * T * S), R = new Float64Array(H * S * S);
  for (let h = 0; h < H; h++) {
    const { A, B } = realFeature(sys, h);
    let g = B; // A^0 B
    for (let p = 0; p < T; p++) {
      W.set(g, (h * T + T - 1 - p) * S); // u at chunk position T−1−p meets A^p B
      if (p < T - 1) g = matvec(A, g, S);
    }
    const P = featurePower(sys, h, T);
    for (let i = 0; i < S; i++) for (let k = 0; k < S; k++) R[(h * S + k) * S + i] = P[i * S + k]!;
  }
  return { W, R };
}

/** Padding in front of the last axis of x [B,H,n,…] (rank `rank`) to a multiple of `multiple` rows along axis 2, as Pad's pads. */
function frontPads(b: Builder, count: Value, multiple: number, rank: number): Value {
  const m = b.i64(multiple, [], 'multiple');
  const front = b.unsqueeze(b.op('Mod', [b.sub(m, b.op('Mod', [count, m])), m]), [0]);
  return b.concat([b.i64([0, 0], undefined, 'pads'), front, b.i64(new Array(2 * rank - 3).fill(0), undefined, 'pads')], 0);
}

/**
 * The prompt's final half state, complex [B,H,N'], from u [B,H,L]. `loopFree` (a runtime without
 * control flow) reduces the chunk states pairwise instead of scanning them (prefillTree).
 */
export function dplrLinearPrefill(b: Builder, sys: DplrSystem, u: Value, loopFree = false, T = PREFILL_CHUNK): Value {
  const { H, N } = sys, S = 2 * N;
  const { W, R } = linearPrefillWeights(sys, T);
  const toState = b.initializer(b.graph.freshName(`${sys.prefix}prefill_in`), f32(W, [H, T, S]));

  const padded = b.op('Pad', [u, frontPads(b, b.dim(u, 2), T, 3)]);
  const chunks = b.reshape(padded, [0, 0, -1, T]); // [B,H,nc,T]
  const ends = b.reshape(b.matmul(chunks, toState), [0, 0, 0, 1, S]); // [B,H,nc,1,2N']
  const flat = loopFree ? prefillTree(b, sys, ends, R) : prefillScan(b, sys, u, ends, R);
  return b.ssm('Complex', [b.slice(flat, [0], [N], [2]), b.slice(flat, [N], [S], [2])]);
}

/** x ← x·R + s_c over the chunks, an ONNX Scan; [B,H,2N']. */
function prefillScan(b: Builder, sys: DplrSystem, u: Value, ends: Value, R: Float64Array): Value {
  const { H, N } = sys, S = 2 * N;
  const transition = b.initializer(b.graph.freshName(`${sys.prefix}prefill_transition`), f32(Float32Array.from(R), [H, S, S]));

  const stepType = tensorType('float32', [u.type.shape?.[0] ?? null, H, 1, S]);
  const body = new Graph(b.graph.freshName('prefill_scan'), b.graph);
  const bb = new Builder(body, b.opset);
  const x = body.addInput(b.graph.freshName('state'), stepType);
  const sc = body.addInput(b.graph.freshName('chunk_state'), stepType);
  body.outputs.push(bb.add(bb.matmul(x, transition), sc));

  const zero = b.op('Mul', [b.op('Gather', [ends, b.i64(0, [], 'first_chunk')], { axis: 2 }), b.f32(0)]); // [B,H,1,2N'] zeros
  const [last] = b.node('Scan', [zero, ends], {
    body: { kind: 'graph', value: body },
    num_scan_inputs: { kind: 'int', value: 1 },
    scan_input_axes: { kind: 'ints', value: [2] },
  }, 1);
  return b.reshape(last!, [0, 0, S]); // [B,H,2N']
}

/** The longest prompt a loop-free prefill graph reduces: its levels are fixed in the graph. */
export const PREFILL_TREE_MAX_POSITIONS = 2 ** 20;

/**
 * x_L = Σ_c s_c·R^(nc−1−c) with no loop: a pairwise reduction over the chunks. At level k the
 * states stand for blocks of 2^k chunks; a zero block goes in front when their count is odd
 * (zeros before the prompt leave the state unchanged), and each pair becomes first·R^(2^k) + second.
 * ⌈log2(PREFILL_TREE_MAX_POSITIONS / T)⌉ levels leave one block for any prompt up to that length; a
 * longer one leaves more, and the final Reshape refuses it at run time rather than return a wrong
 * state. The powers R^(2^k) are squared in float64 at compile time, one [H,S,S] matrix per level
 * (O(levels·H·S³)). Work: about twice one pass over the chunk states, in MatMuls.
 */
function prefillTree(b: Builder, sys: DplrSystem, ends: Value, R: Float64Array): Value {
  const { H, N } = sys, S = 2 * N;
  let levels = 0;
  while (2 ** levels * PREFILL_CHUNK < PREFILL_TREE_MAX_POSITIONS) levels++;
  let x = b.reshape(ends, [0, 0, 0, S]); // [B,H,nc,S]
  let power = R;
  for (let k = 0; k < levels; k++) {
    const even = b.op('Pad', [x, frontPads(b, b.dim(x, 2), 2, 4)]);
    const pairs = b.reshape(even, [0, 0, -1, 2, S]); // [B,H,n/2,2,S]
    const first = b.slice(pairs, [0], [1], [3]), second = b.slice(pairs, [1], [2], [3]); // [B,H,n/2,1,S]
    const Rk = b.initializer(b.graph.freshName(`${sys.prefix}prefill_power`), f32(Float32Array.from(power), [H, 1, S, S]));
    x = b.reshape(b.add(b.matmul(first, Rk), second), [0, 0, -1, S]);
    if (k + 1 < levels) power = squareEach(power, H, S);
  }
  return b.reshape(x, [0, 0, S]); // one block left: [B,H,2N']
}

/** P_h·P_h for each of the H matrices of P [H,S,S], in float64. */
function squareEach(P: Float64Array, H: number, S: number): Float64Array {
  const out = new Float64Array(P.length);
  for (let h = 0; h < H; h++) {
    const o = h * S * S;
    for (let i = 0; i < S; i++) {
      for (let k = 0; k < S; k++) {
        const a = P[o + i * S + k]!;
        if (a === 0) continue;
        for (let j = 0; j < S; j++) out[o + i * S + j] += a * P[o + k * S + j]!;
      }
    }
  }
  return out;
}

/**
 * The convolution y = K * u of an S4 DPLR layer as a dense real state space (the LongConv dense
 * kernel, ir/ops/long-conv.ts), in the linear stepper's half-state basis z = (Re x, Im x):
 *   z' = A z + B u,  y = C z,  so K_l = C A^l B
 * with A [H,2N',2N'] dA acting on the half state as a real-linear map (the lower half of the
 * conj-expanded state is conj(x): x' = P11 x + P12 conj(x), P = dA), B = (Re dB, Im dB)[:N'], and
 * C = (Re dC, −Im dC) from the untruncated output row dC = 2·C[:N'], C = C~(I − dA^l_kernel)⁻¹
 * (linearStepParams), so K equals the kernel's first L taps for every L (the checkpoint's C~
 * truncates at l_kernel·2^m ≥ L). All in float64 from the checkpoint, with no length in it: how
 * to chunk it is the lowering's business.
 */
export interface DplrStateSpace {
  /** [H,S,S], column form (z' = A z), S = 2N' */
  A: Float64Array;
  /** [H,S] */
  B: Float64Array;
  /** [C,H,S] */
  C: Float64Array;
}

const stateSpaces = new WeakMap<DplrSystem, DplrStateSpace>();

export function dplrStateSpace(sys: DplrSystem): DplrStateSpace {
  const hit = stateSpaces.get(sys);
  if (hit) return hit;
  // A and B are dplr-real.ts's real forms (O(M²r²) per feature); C is the untruncated output row
  // in the same basis (O(M³ log l_kernel) per feature: one power and one LU).
  const { H, N, C: Ck } = sys, S = 2 * N;
  const rows = untruncatedRows(sys);
  const A = new Float64Array(H * S * S), B = new Float64Array(H * S), C = new Float64Array(Ck * H * S);
  for (let h = 0; h < H; h++) {
    const f = realFeature(sys, h);
    A.set(f.A, h * S * S);
    B.set(f.B, h * S);
    for (let c = 0; c < Ck; c++) C.set(rows[c]![h]!, (c * H + h) * S);
  }
  const d = { A, B, C };
  stateSpaces.set(sys, d);
  return d;
}
