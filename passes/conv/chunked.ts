import { Builder } from '../../ir/builder.js';
import { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import { readLongConv, type DiagonalSide } from '../../ir/ops/long-conv.js';
import { onnxCode, tensorType, type Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { lazyTensor } from '../../ir/tensor.js';
import { constantValue } from '../constant-value.js';
import { diagChunkWeights, diagDims, type DiagChunkSource, type DiagChunkWeights } from './chunk-weights.js';
import { nextPow2, plannedLength, planningNote, type ConvFacts, type ConvLowering, type LoweringEstimate } from './lowering.js';
import type { RuntimeTarget } from './targets.js';

/**
 * Chunked state passing for a convolution whose kernel has a state-space description: the block
 * decomposition behind Mamba-2's SSD algorithm, written for a time-invariant kernel. Split the
 * sequence into chunks of T positions:
 *   inside a chunk     y_intra = u_chunk · Toeplitz(K_0..K_{T−1})         (the same T×T block everywhere)
 *   chunk end states   s_c     = Σ_j A^{T−1−j} B u_{cT+j}                  (one MatMul)
 *   chunk recurrence   S_c     = A^T S_{c−1} + s_c                         (a Scan over chunks)
 *   from the past      y_inter = C A^{i+1} S_{c−1}                         (one MatMul)
 * A diagonal kernel (K_l = scale·Re Σ_n coef_n·μ_n^l, μ = exp(λ)) has A = diag(μ), B = 1 and the
 * recurrence is elementwise; a dense one (K_l = C A^l B) multiplies by A^T, one small MatMul per
 * Scan step. Cost is linear in L and every weight depends on the parameters only, not on L: one
 * graph serves any length, and with constant parameters all of them fold into initializers. The
 * chunk length is this lowering's own choice (chunkLength).
 */

/** The chunk length: 64 up to 4K positions, 128 beyond (the notes' best), the next power of two for short inputs. */
export function chunkLength(L: number | null): number {
  if (L === null) return 64;
  if (L > 4096) return 128;
  return Math.min(64, nextPow2(L));
}

/** A diagonal description with what the chunk weights need. */
interface DiagSource {
  lambda: Value; // c64 [H,N] or [N]
  coef: Value; // c64 [C,H,N]
  scale: number;
  /** State size per channel. */
  N: number;
}

function diagSource(side: DiagonalSide, scale: number): DiagSource {
  const N = side.lambda.type.shape?.at(-1);
  if (typeof N !== 'number') throw new Error('the state size of a diagonal kernel must be static');
  return { lambda: side.lambda, coef: side.coef, scale, N };
}

/**
 * What chunkedCausalConv needs: toState [H,T,S], the transition a state undergoes across one
 * chunk (`recurrence`: how the states before each chunk follow from the chunks' own end states is
 * the lowering's choice — a Scan here, log-depth doubling in doubling.ts), and each chunk's
 * output (`carried`) from the intra-chunk Toeplitz block [C,H,T,T] and the state before the chunk:
 * either per-channel weights fromState [C,H,S,T] (one MatMul together with the Toeplitz block),
 * or the two already stacked into that MatMul's right factor [C,H,T+S,T] (computed at compile
 * time: no Concat for the folder to copy), or a function of the states beside the Toeplitz block.
 */
export interface ChunkForm {
  toState: Value;
  recurrence: ChunkRecurrence;
  carried: { toeplitz: Value; fromState: Value } | { stacked: Value } | { toeplitz: Value; output: (before: Value) => Value };
}

/**
 * The map a state undergoes across one chunk of T positions, as the chunk states hold it:
 *   diagonal  (re | im halves of N complex modes) multiplied by μ^T = exp(λ·T), λ [H,N] or [N]
 *   dense     S real states, z ← A^T z: `power` is A^T in A's own dtype (float64 when it folds at
 *             compile time), [H,S,S] in column form
 */
export type ChunkRecurrence =
  | { kind: 'diagonal'; lambda: Value; T: number; N: number }
  | { kind: 'dense'; power: Value; S: number };

/**
 * How a lowering turns the chunks' own end states s [B,H,nc,S] into the states before each chunk
 * g [B,H,nc,S]: g_0 = 0, g_{c+1} = A^T·g_c + s_c. `batch` and `H` are u's dims (for subgraph types).
 */
export type StatesBefore = (b: Builder, s: Value, r: ChunkRecurrence, batch: Dim, H: Dim) => Value;

/** The real state size a recurrence carries per channel. */
export function stateSize(r: ChunkRecurrence): number {
  return r.kind === 'diagonal' ? 2 * r.N : r.S;
}

/** Intra-chunk Toeplitz block, as the right factor of u_chunk [.., T] · KtT [T, T]: KtT[j,i] = K_{i−j} (i ≥ j). */
function toeplitzBlock(b: Builder, taps: Value, T: number): Value {
  const idx: number[] = [], mask: number[] = [];
  for (let j = 0; j < T; j++) for (let i = 0; i < T; i++) { idx.push(Math.max(i - j, 0)); mask.push(i >= j ? 1 : 0); }
  return b.mul(b.op('Gather', [taps, b.i64(idx, [T, T], 'toeplitz_index')], { axis: 2 }), b.f32(mask, [T, T], 'causal_mask')); // [C,H,T,T]
}

/**
 * The large weights of the chunked form of a diagonal kernel: toState [H,T,2N] ([T,2N] for shared
 * modes) and the Toeplitz block [C,H,T,T] with the output weights from the carried state: one
 * [2N,T] matrix (Re μ^{i+1} ; −Im μ^{i+1}) for shared modes, per-channel fromState [C,H,2N,T], or
 * the two stacked as [C,H,T+2N,T] when computed at compile time.
 */
type DiagPieces = { toState: Value } & ({ toeplitz: Value; shared: Value } | { toeplitz: Value; fromState: Value } | { stacked: Value });

/**
 * With λ and the coefficients constants (a model's parameters), the pieces are computed at compile
 * time in float64 typed arrays (chunk-weights.ts), each a constant computed when first read; null
 * when they are not (a custom op's function body, where they are its inputs).
 */
function constantPieces(b: Builder, d: DiagSource, T: number): DiagPieces | null {
  const memo = new Map();
  const lambda = constantValue(d.lambda, b.opset, memo);
  const coef = lambda && constantValue(d.coef, b.opset, memo);
  if (!lambda || !coef) return null;
  const src: DiagChunkSource = { lambda, coef, scale: d.scale, T };
  const { C, H, N, shared } = diagDims(src);
  // One pass computes them all, when the first is read (chunk-weights.ts).
  const weights = once(() => diagChunkWeights(src));
  const lazy = (name: string, dims: number[], pick: (w: DiagChunkWeights) => Float32Array | undefined) =>
    b.initializer(b.graph.freshName(name), lazyTensor('float32', dims, () => pick(weights())!));
  const toState = lazy('chunk_to_state', shared ? [T, 2 * N] : [H, T, 2 * N], (w) => w.toState);
  if (shared) {
    const toeplitz = lazy('chunk_toeplitz', [C, H, T, T], (w) => w.toeplitz);
    return { toeplitz, toState, shared: lazy('chunk_from_state', [2 * N, T], (w) => w.shared) };
  }
  return { toState, stacked: lazy('chunk_weights', [C, H, T + 2 * N, T], (w) => w.stacked) };
}

/** The same pieces as graph ops on λ and the coefficients (folded into constants when those are constants). */
function graphPieces(b: Builder, d: DiagSource, T: number): DiagPieces {
  const lamE = b.unsqueeze(d.lambda, [-1]); // [H,N,1]
  const powers = (from: number) => b.exp(b.mul(lamE, b.f32(Array.from({ length: T }, (_, j) => from + j), [T], 'chunk_pos'))); // μ^(from+j)
  const re = (x: Value) => b.ssm('Real', [x]);
  const im = (x: Value) => b.ssm('Imag', [x]);

  const taps = b.ssm('Vandermonde', [d.lambda, d.coef, b.i64(T, [], 'chunk_len')], { scale: { kind: 'float', value: d.scale } }); // [C,H,T]
  const toeplitz = toeplitzBlock(b, taps, T);

  // End-of-chunk state from the chunk's own inputs: W[j, (re|im) n] = μ_n^{T−1−j}.
  const back = b.exp(b.mul(lamE, b.f32(Array.from({ length: T }, (_, j) => T - 1 - j), [T], 'chunk_back'))); // [H,N,T]
  const rank = d.lambda.type.shape!.length;
  const toState = b.transpose(b.concat([re(back), im(back)], rank - 1), rank === 1 ? [1, 0] : [0, 2, 1]); // [H,T,2N]
  if (rank === 1) {
    const M = powers(1); // [N,T]
    return { toeplitz, toState, shared: b.concat([re(M), b.neg(im(M))], 0) }; // [2N,T]
  }
  // Output from the carried state: Re(S·Z) = [S_re | S_im] · [Re Z ; −Im Z], Z[n,i] = scale·coef_n·μ_n^{i+1}.
  const Z = b.mul(b.mul(b.unsqueeze(d.coef, [-1]), powers(1)), b.f32(d.scale)); // [C,H,N,T]
  return { toeplitz, toState, fromState: b.concat([re(Z), b.neg(im(Z))], 2) }; // [C,H,2N,T]
}

function once<T>(f: () => T): () => T {
  let done = false, value: T | undefined;
  return () => {
    if (!done) { value = f(); done = true; }
    return value as T;
  };
}

/** Weights of the chunked form, all functions of (λ, coef) alone. */
function chunkWeights(b: Builder, d: DiagSource, T: number): ChunkForm {
  const pieces = constantPieces(b, d, T) ?? graphPieces(b, d, T);
  const { toState } = pieces;
  const recurrence: ChunkRecurrence = { kind: 'diagonal', lambda: d.lambda, T, N: d.N };
  if ('shared' in pieces) {
    // Modes shared by every channel (DSS/GSS): y_i = Re Σ_n (coef_n·g_n)·μ_n^{i+1}. Weighting the
    // states by the coefficients first leaves one [2N,T] matrix for all channels, where per-channel
    // weights [C,H,2N,T] would outweigh the layer's own parameters many times over.
    const re = (x: Value) => b.ssm('Real', [x]);
    const im = (x: Value) => b.ssm('Imag', [x]);
    const c = b.mul(d.coef, b.f32(d.scale)); // [C,H,N]
    const cr = b.unsqueeze(re(c), [0, 3]), ci = b.unsqueeze(im(c), [0, 3]); // [1,C,H,1,N]
    const output = (before: Value) => {
      const g = b.unsqueeze(before, [1]); // [B,1,H,nc,2N]
      const gr = b.slice(g, [0], [d.N], [4]), gi = b.slice(g, [d.N], [2 * d.N], [4]);
      const qr = b.sub(b.mul(gr, cr), b.mul(gi, ci)), qi = b.add(b.mul(gr, ci), b.mul(gi, cr)); // [B,C,H,nc,N]
      return b.matmul(b.concat([qr, qi], 4), pieces.shared); // [B,C,H,nc,T]
    };
    return { toState, recurrence, carried: { toeplitz: pieces.toeplitz, output } };
  }
  if ('stacked' in pieces) return { toState, recurrence, carried: { stacked: pieces.stacked } };
  return { toState, recurrence, carried: { toeplitz: pieces.toeplitz, fromState: pieces.fromState } };
}

/**
 * The chunk weights of a dense description (A [H,S,S], B [H,S], C [C,H,S]), in the graph and in
 * A's dtype (float64 from a model; folded at compile time when A, B and C are constants), cast to
 * float32 once at the end. By doubling (T is a power of two):
 *   P = [B, A·B, …, A^{T−1}·B] [H,S,T],  Q = [C·A, …, C·A^T] [C,H,T,S],  M = A^T
 * taps K_l = C·P_l, toState row j = P_{T−1−j}, transition (row vectors) Mᵀ, fromState Qᵀ.
 */
function denseForm(b: Builder, A: Value, B: Value, C: Value, T: number): ChunkForm {
  const S = A.type.shape?.[1];
  if (typeof S !== 'number') throw new Error('the state size of a dense kernel must be static');
  if (nextPow2(T) !== T) throw new Error(`internal: the chunk length ${T} must be a power of two`);
  let P = b.unsqueeze(B, [2]); // [H,S,1]
  let Q = b.matmul(b.unsqueeze(C, [2]), A); // [C,H,1,S]
  let M = A; // A^m
  for (let m = 1; m < T; m *= 2) {
    P = b.concat([P, b.matmul(M, P)], 2);
    Q = b.concat([Q, b.matmul(Q, M)], 2);
    M = b.matmul(M, M);
  }
  const float = (v: Value) => b.cast(v, onnxCode('float32'));
  const taps = float(b.reshape(b.matmul(b.unsqueeze(C, [2]), P), [0, 0, T])); // [C,H,T]
  const toState = float(b.transpose(b.slice(P, [-1], [BEGIN_REVERSED], [2], [-1]), [0, 2, 1])); // [H,T,S]
  const fromState = float(b.transpose(Q, [0, 1, 3, 2])); // [C,H,S,T]
  return { toState, recurrence: { kind: 'dense', power: M, S }, carried: { toeplitz: toeplitzBlock(b, taps, T), fromState } };
}

/** The chunk recurrence as an ONNX Scan over the chunk axis: one small step per chunk. */
const scanStatesBefore: StatesBefore = (b, s, r, batch, H) => {
  if (r.kind === 'diagonal') return chunkStateScan(b, s, r.lambda, r.T, r.N, batch, H);
  const S = r.S;
  const transition = b.cast(b.transpose(r.power, [0, 2, 1]), onnxCode('float32')); // [H,S,S], row vectors
  const stepType = tensorType('float32', [batch, H, 1, S]);
  const body = new Graph(b.graph.freshName('chunk_scan'), b.graph);
  const bb = new Builder(body, b.opset);
  const g = body.addInput(b.graph.freshName('state'), stepType);
  const sc = body.addInput(b.graph.freshName('chunk_state'), stepType);
  body.outputs.push(bb.add(bb.matmul(g, transition), sc), bb.op('Identity', [g]));
  return scanChunks(b, body, b.reshape(s, [0, 0, 0, 1, S]), S);
};

/** Run a chunk-recurrence body over axis 2 of steps [B,H,nc,…] from zeros; the states before each chunk, [B,H,nc,S]. */
function scanChunks(b: Builder, body: Graph, steps: Value, S: number): Value {
  const zero = b.op('Mul', [b.op('Gather', [steps, b.i64(0, [], 'first_chunk')], { axis: 2 }), b.f32(0)]); // one step of zeros
  const [, gathered] = b.node('Scan', [zero, steps], {
    body: { kind: 'graph', value: body },
    num_scan_inputs: { kind: 'int', value: 1 },
    scan_input_axes: { kind: 'ints', value: [2] },
    scan_output_axes: { kind: 'ints', value: [2] },
  }, 2);
  return b.reshape(gathered!, [0, 0, 0, S]);
}

/**
 * Scan over the chunk axis (2) of the chunk end states s [B,H,nc,2N] (complex as re | im halves):
 * returns g [B,H,nc,2N], the state before each chunk, g_0 = 0, g_{c+1} = μ^T ⊙ g_c + s_c.
 */
function chunkStateScan(b: Builder, s: Value, lambda: Value, T: number, N: number, batch: Dim, H: Dim): Value {
  const a = b.exp(b.mul(lambda, b.f32(T)));
  const ar = b.ssm('Real', [a]), ai = b.ssm('Imag', [a]); // [H,N] or [N]
  // One chunk's state with the input's dims (reshapes lose them): tools that cost a Scan body
  // (ssmc inspect) can then size it.
  const stepType = tensorType('float32', [batch, H, 2, N]);

  const body = new Graph(b.graph.freshName('chunk_scan'), b.graph);
  const bb = new Builder(body, b.opset);
  const g = body.addInput(b.graph.freshName('state'), stepType);
  const sc = body.addInput(b.graph.freshName('chunk_state'), stepType);
  // Elementwise on (re, im) pairs: a⊙q = ar⊙q + ai'⊙swap(q), swap(q) = (q_im, q_re), ai' = (−ai, +ai).
  // (A [H,2N,2N] block-rotation MatMul per step was slower: 256 batched 1×64·64×64 GEMMs a step.)
  const arE = b.unsqueeze(ar, [-2]), aiE = b.unsqueeze(ai, [-2]); // [H|1,1,N]
  const arPair = b.concat([arE, arE], -2), aiPair = b.concat([b.neg(aiE), aiE], -2); // [H|1,2,N]
  const swapped = bb.slice(g, [-1], [BEGIN_REVERSED], [2], [-1]);
  const next = bb.add(bb.add(bb.mul(g, arPair), bb.mul(swapped, aiPair)), sc);
  body.outputs.push(next, bb.op('Identity', [g]));

  return scanChunks(b, body, b.reshape(s, [0, 0, 0, 2, N]), 2 * N);
}

const END = Number.MAX_SAFE_INTEGER;
const BEGIN_REVERSED = Number.MIN_SAFE_INTEGER;

/** The causal part: u [B,H,L] ⊛ K → [B,C,H,L], the chunk recurrence by `statesBefore`. */
export function chunkedCausalConv(b: Builder, u: Value, w: ChunkForm, T: number, statesBefore: StatesBefore): Value {
  const L = u.type.shape?.[2];
  const staticL = typeof L === 'number' ? L : null;

  // Pad to a whole number of chunks: (T − L mod T) mod T zeros at the end (no copy when whole).
  const whole = staticL !== null && staticL % T === 0;
  const len = staticL !== null ? b.i64(staticL, [], 'len') : b.dim(u, 2);
  const tail = staticL !== null
    ? b.i64((T - (staticL % T)) % T, [1], 'pad_tail')
    : b.unsqueeze(b.op('Mod', [b.sub(b.i64(T, [], 'chunk'), b.op('Mod', [len, b.i64(T, [], 'chunk')])), b.i64(T, [], 'chunk')]), [0]);
  const padded = whole ? u : b.op('Pad', [u, b.concat([b.i64([0, 0, 0, 0, 0], undefined, 'pads'), tail], 0)]);
  const chunks = b.reshape(padded, [0, 0, -1, T]); // [B,H,nc,T]

  const P = b.matmul(chunks, w.toState); // [B,H,nc,S]: s_c (diagonal: re | im of the N modes)

  // The state before each chunk: g_0 = 0, g_{c+1} = μ^T ⊙ g_c + s_c, one `Scan` step per chunk over
  // the chunk axis. A step touches only [B,H,2,N], so the recurrence costs a few small kernels per
  // chunk instead of log2(#chunks) passes over all chunk states (which made a doubling prefix half
  // of the whole lowering's time at 16K), and it serves any number of chunks.
  const before = statesBefore(b, P, w.recurrence, u.type.shape?.[0] ?? null, u.type.shape?.[1] ?? null); // [B,H,nc,S]
  let both: Value; // [B,C,H,nc,T]
  if ('output' in w.carried) {
    both = b.add(b.matmul(b.unsqueeze(chunks, [1]), w.carried.toeplitz), w.carried.output(before));
  } else {
    // Inside the chunk and from the past in one MatMul: [u_chunk | g_before] · [Toeplitz ; fromState].
    const lhs = b.concat([chunks, before], 3); // [B,H,nc,T+S]
    const rhs = 'stacked' in w.carried ? w.carried.stacked : b.concat([w.carried.toeplitz, w.carried.fromState], 2); // [C,H,T+S,T]
    both = b.matmul(b.unsqueeze(lhs, [1]), rhs);
  }

  const y = b.reshape(both, [0, 0, 0, -1]); // [B,C,H,nc·T]
  return whole ? y : b.slice(y, [0], staticL !== null ? [staticL] : b.unsqueeze(len, [0]), [3]);
}

/**
 * LongConv with a diagonal or dense kernel → chunked state passing with chunks of T positions, the
 * chunk recurrence by `statesBefore` (the anti-causal part runs on the reversed sequence).
 */
export function chunkedStatePassing(b: Builder, node: Node, T: number, statesBefore: StatesBefore): Value {
  const conv = readLongConv(node);
  const u = conv.u;
  if (conv.kernel === 'dense') return chunkedCausalConv(b, u, denseForm(b, conv.A, conv.B, conv.C, T), T, statesBefore);
  if (conv.kernel !== 'diagonal') throw new Error(`internal: chunked state passing reads a state-space description, LongConv '${node.name}' has taps only`);
  let y = chunkedCausalConv(b, u, chunkWeights(b, diagSource(conv.causal, conv.scale), T), T, statesBefore);
  if (conv.reverse) {
    // y_anti[t] = Σ_m k_rev[m]·u[t+1+m]: a causal convolution of the reversed input, reversed back
    // and shifted by one position.
    const reverse = (x: Value, axis: number) => b.slice(x, [-1], [BEGIN_REVERSED], [axis], [-1]);
    const z = reverse(chunkedCausalConv(b, reverse(u, 2), chunkWeights(b, diagSource(conv.reverse, conv.scale), T), T, statesBefore), 3);
    const shifted = b.op('Pad', [b.slice(z, [1], [END], [3]), b.i64([0, 0, 0, 0, 0, 0, 0, 1], undefined, 'pads')]);
    y = b.add(y, shifted);
  }
  return y;
}

/** LongConv with a diagonal or dense kernel → the chunked form with a Scan over chunks. */
export function chunkedConv(b: Builder, node: Node): Value {
  const L = readLongConv(node).u.type.shape?.[2];
  return chunkedStatePassing(b, node, chunkLength(typeof L === 'number' ? L : null), scanStatesBefore);
}

/** The chunked form's MatMuls reach about 60 % of the MatMul rate (small [T+S, T] right factors). */
const CHUNK_MATMUL_EFFICIENCY = 0.6;
/** A dense Scan step ([1,2N]·[2N,2N] per channel) runs at about 45 % of the MatMul rate (0.083 ms at H=256, 2N=64). */
const DENSE_STEP_MATMUL_EFFICIENCY = 0.45;
/** Elementwise passes over [H,2N] per diagonal Scan step (0.12 ms a step measured at H=256, N=32). */
const DIAGONAL_STEP_PASSES = 6;

/** Why chunked state passing cannot take this convolution, or null (shared with doubling.ts). */
export function whyNotStatePassing(f: ConvFacts): string | null {
  if (f.kernel === 'taps') return 'its kernel is given by its taps alone; the chunked form needs a state-space description (a diagonal SSM, K_l = Re Σ coef·μ^l, or a dense one)';
  if (!f.fullLength) return `its kernel length (${f.Lk ?? '?'}) may be shorter than the input (${f.L ?? '?'}); state passing needs the full-length kernel`;
  return null;
}

/** The real state size of a state-space convolution: 2N for N complex modes, S for a dense one. */
export function realStateSize(f: ConvFacts): number {
  return f.kernel === 'dense' ? f.states! : 2 * f.modes!;
}

/** Flops of chunked state passing's MatMuls at chunk length T: end states, then Toeplitz block and carried part together. */
export function statePassingMatmulFlops(f: ConvFacts, T: number): number {
  const S = realStateSize(f);
  return 2 * plannedLength(f) * f.H * (f.C * T + S + f.C * S) * (f.bidirectional ? 2 : 1);
}

/** Milliseconds of those MatMuls on a CPU-like target (they reach about 60 % of its MatMul rate). */
export function statePassingMatmulMs(f: ConvFacts, T: number, t: RuntimeTarget, threads: number): number {
  const par = Math.max(1, Math.min(threads, t.maxThreads));
  return statePassingMatmulFlops(f, T) / (t.matmulGflops * CHUNK_MATMUL_EFFICIENCY * par * 1e6);
}

function estimate(f: ConvFacts, t: RuntimeTarget, threads: number): LoweringEstimate {
  const L = plannedLength(f), sides = f.bidirectional ? 2 : 1;
  const T = chunkLength(f.L);
  const S = realStateSize(f);
  // The Scan over chunks: per step a fixed overhead and either elementwise passes over the state
  // or, with a dense transition, H small [1,S]·[S,S] MatMuls; threads do not help.
  const stepWork = f.kernel === 'dense'
    ? (2 * f.H * S * S) / (t.matmulGflops * DENSE_STEP_MATMUL_EFFICIENCY * 1e6)
    : (DIAGONAL_STEP_PASSES * f.H * S) / (t.elementwiseGops * 1e6);
  const scanMs = Math.ceil(L / T) * sides * (t.scanStepMs + stepWork);
  const what = f.kernel === 'dense' ? `dense state space with ${S} real states` : `${f.modes} complex modes`;
  return { ms: statePassingMatmulMs(f, T, t, threads) + scanMs, note: `chunks of ${T}, ${what}${planningNote(f)}` };
}

export const chunkedLowering: ConvLowering = {
  name: 'chunked',
  description: 'chunked state passing: Toeplitz MatMul inside chunks, chunk end states, a Scan over chunks',
  reads: 'state-space',
  needs: ['Scan', 'MatMul'],
  whyNot: whyNotStatePassing,
  estimate,
  lower: chunkedConv,
};
