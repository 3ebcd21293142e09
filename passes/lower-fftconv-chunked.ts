import { Builder } from '../ir/builder.js';
import { Graph } from '../ir/graph.js';
import { SSMC_DOMAIN, type Node } from '../ir/node.js';
import { tensorType, type Dim } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';
import { chunkLength } from './cost-model.js';
import { noneTagged, rewriteTagged } from './lowering-tag.js';

/**
 * Chunked state passing for convolutions whose kernel comes from a diagonal SSM
 * (K_l = scale·Re Σ_n coef_n·μ_n^l with μ = exp(λ)): the block decomposition behind Mamba-2's SSD
 * algorithm, written for a time-invariant kernel. Split the sequence into chunks of T positions:
 *   inside a chunk     y_intra = u_chunk · Toeplitz(K_0..K_{T−1})         (the same T×T block everywhere)
 *   chunk end states   s_c     = Σ_j μ^{T−1−j} u_{cT+j}                   (one MatMul, complex as re|im)
 *   chunk recurrence   S_c     = μ^T ⊙ S_{c−1} + s_c                       (a Scan over chunks)
 *   from the past      y_inter = scale·Re Σ_n coef_n μ_n^{i+1} S_{c−1,n}    (one MatMul)
 * Cost is linear in L and every weight depends on the parameters only, not on L: one graph serves
 * any length, and with constant parameters all of them fold into initializers.
 */

/** A diagonal kernel in Vandermonde form, traced back from an FFTConv kernel input. */
export interface DiagSource {
  lambda: Value; // c64 [H,N] or [N]
  coef: Value; // c64 [C,H,N]
  scale: number;
  /** State size per channel. */
  N: number;
}

function constInts(v: Value | null | undefined): number[] | null {
  const t = v?.constant;
  if (!t || (t.dtype !== 'int64' && t.dtype !== 'int32') || !t.data) return null;
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/**
 * The Vandermonde node behind a kernel, directly or through a Slice of its channel axis (how a
 * bidirectional kernel is split into k and k_rev). Null when the kernel is anything else.
 */
export function traceDiagKernel(k: Value): { node: Node; channelSlice: [number, number] | null } | null {
  const p = k.producer;
  if (!p) return null;
  if (p.domain === SSMC_DOMAIN && p.op === 'Vandermonde') return { node: p, channelSlice: null };
  if (p.domain !== '' || p.op !== 'Slice') return null;
  const src = p.inputs[0]?.producer;
  if (!src || src.domain !== SSMC_DOMAIN || src.op !== 'Vandermonde') return null;
  const starts = constInts(p.inputs[1]), ends = constInts(p.inputs[2]);
  const axes = p.inputs[3] ? constInts(p.inputs[3]) : [0];
  const steps = p.inputs[4] ? constInts(p.inputs[4]) : [1];
  if (!starts || !ends || !axes || !steps || starts.length !== 1 || axes[0] !== 0 || steps[0] !== 1) return null;
  return { node: src, channelSlice: [starts[0]!, ends[0]!] };
}

/** Why the chunked form cannot compute this FFTConv node, or null when it can. */
export function chunkedUnsupported(node: Node): string | null {
  const u = node.input(0);
  // A state-space realization (ir/ssm-ops.ts) holds for every length by contract.
  if (realizationOf(node)) return null;
  for (const [i, what] of [[1, 'kernel'], [2, 'anti-causal kernel']] as const) {
    const k = node.inputs[i];
    if (!k) continue;
    if (!traceDiagKernel(k)) return `its ${what} is not produced by a diagonal SSM (the chunked form needs K_l = Re Σ coef·μ^l) and carries no state-space realization`;
    // A kernel at least as long as the input acts like the infinite one; a shorter one truncates
    // the recurrence, which state passing cannot express.
    const L = u.type.shape?.[2], Lk = k.type.shape?.[2];
    const longEnough = (typeof L === 'number' && typeof Lk === 'number' && Lk >= L) || (L !== undefined && L !== null && L === Lk);
    if (!longEnough) return `its ${what} length (${Lk ?? '?'}) may be shorter than the input (${L ?? '?'}); state passing needs the full-length kernel`;
  }
  return null;
}

export function diagSource(b: Builder, k: Value): DiagSource {
  const traced = traceDiagKernel(k);
  if (!traced) throw new Error('internal: kernel is not a diagonal SSM kernel');
  const { node, channelSlice } = traced;
  let coef = node.input(1);
  if (channelSlice) coef = b.slice(coef, [channelSlice[0]], [channelSlice[1]], [0]);
  const lambda = node.input(0);
  const N = lambda.type.shape?.at(-1);
  if (typeof N !== 'number') throw new Error('internal: the state size of a diagonal kernel must be static');
  const scale = node.attrs.get('scale');
  return { lambda, coef, scale: scale?.kind === 'float' ? scale.value : scale?.kind === 'int' ? scale.value : 1, N };
}

/** A causal kernel's state-space realization: FFTConv inputs 3-6 (ir/ssm-ops.ts), or null. */
export function realizationOf(node: Node): { taps: Value; toState: Value; transition: Value; fromState: Value; T: number; S: number } | null {
  const [taps, toState, transition, fromState] = [3, 4, 5, 6].map((i) => node.inputs[i] ?? null);
  if (!taps || !toState || !transition || !fromState || node.inputs[2]) return null;
  const [, T, S] = toState.type.shape ?? [];
  if (typeof T !== 'number' || typeof S !== 'number') throw new Error(`internal: FFTConv '${node.name}': its realization needs static sizes`);
  return { taps, toState, transition, fromState, T, S };
}

/**
 * What chunkedCausalConv needs: the intra-chunk Toeplitz block [C,H,T,T], toState [H,T,S], the
 * chunk recurrence (the states before each chunk [B,H,nc,S] from the chunks' own end states
 * [B,H,nc,S]), and the output from the state before each chunk: either per-channel weights
 * fromState [C,H,S,T] (one MatMul together with the Toeplitz block) or a function of the states.
 */
interface ChunkForm {
  toeplitz: Value;
  toState: Value;
  statesBefore: (s: Value) => Value;
  carried: { fromState: Value } | { output: (before: Value) => Value };
}

/** Intra-chunk Toeplitz block, as the right factor of u_chunk [.., T] · KtT [T, T]: KtT[j,i] = K_{i−j} (i ≥ j). */
function toeplitzBlock(b: Builder, taps: Value, T: number): Value {
  const idx: number[] = [], mask: number[] = [];
  for (let j = 0; j < T; j++) for (let i = 0; i < T; i++) { idx.push(Math.max(i - j, 0)); mask.push(i >= j ? 1 : 0); }
  return b.mul(b.op('Gather', [taps, b.i64(idx, [T, T], 'toeplitz_index')], { axis: 2 }), b.f32(mask, [T, T], 'causal_mask')); // [C,H,T,T]
}

/** Weights of the chunked form, all functions of (λ, coef) alone. */
function chunkWeights(b: Builder, d: DiagSource, T: number, batch: Dim, H: Dim): ChunkForm {
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

  const statesBefore = (st: Value) => chunkStateScan(b, st, d.lambda, T, d.N, batch, H);
  if (rank === 1) {
    // Modes shared by every channel (DSS/GSS): y_i = Re Σ_n (coef_n·g_n)·μ_n^{i+1}. Weighting the
    // states by the coefficients first leaves one [2N,T] matrix for all channels, where per-channel
    // weights [C,H,2N,T] would outweigh the layer's own parameters many times over.
    const M = powers(1); // [N,T]
    const shared = b.concat([re(M), b.neg(im(M))], 0); // [2N,T]
    const c = b.mul(d.coef, b.f32(d.scale)); // [C,H,N]
    const cr = b.unsqueeze(re(c), [0, 3]), ci = b.unsqueeze(im(c), [0, 3]); // [1,C,H,1,N]
    const output = (before: Value) => {
      const g = b.unsqueeze(before, [1]); // [B,1,H,nc,2N]
      const gr = b.slice(g, [0], [d.N], [4]), gi = b.slice(g, [d.N], [2 * d.N], [4]);
      const qr = b.sub(b.mul(gr, cr), b.mul(gi, ci)), qi = b.add(b.mul(gr, ci), b.mul(gi, cr)); // [B,C,H,nc,N]
      return b.matmul(b.concat([qr, qi], 4), shared); // [B,C,H,nc,T]
    };
    return { toeplitz, toState, statesBefore, carried: { output } };
  }
  // Output from the carried state: Re(S·Z) = [S_re | S_im] · [Re Z ; −Im Z], Z[n,i] = scale·coef_n·μ_n^{i+1}.
  const Z = b.mul(b.mul(b.unsqueeze(d.coef, [-1]), powers(1)), b.f32(d.scale)); // [C,H,N,T]
  const fromState = b.concat([re(Z), b.neg(im(Z))], 2); // [C,H,2N,T]
  return { toeplitz, toState, statesBefore, carried: { fromState } };
}

/**
 * The chunked form of a realized kernel: its weights are the realization's, and the chunk
 * recurrence multiplies the state by the dense transition, one small MatMul per Scan step.
 */
function realizedForm(b: Builder, r: NonNullable<ReturnType<typeof realizationOf>>, batch: Dim, H: Dim): ChunkForm {
  const statesBefore = (st: Value) => {
    const stepType = tensorType('float32', [batch, H, 1, r.S]);
    const body = new Graph(b.graph.freshName('chunk_scan'), b.graph);
    const bb = new Builder(body, b.opset);
    const g = body.addInput(b.graph.freshName('state'), stepType);
    const sc = body.addInput(b.graph.freshName('chunk_state'), stepType);
    body.outputs.push(bb.add(bb.matmul(g, r.transition), sc), bb.op('Identity', [g]));
    return scanChunks(b, body, b.reshape(st, [0, 0, 0, 1, r.S]), r.S);
  };
  return { toeplitz: toeplitzBlock(b, r.taps, r.T), toState: r.toState, statesBefore, carried: { fromState: r.fromState } };
}

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

/** The causal part: u [B,H,L] ⊛ K → [B,C,H,L]. */
export function chunkedCausalConv(b: Builder, u: Value, w: ChunkForm, T: number): Value {
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
  const before = w.statesBefore(P); // [B,H,nc,S]
  let both: Value; // [B,C,H,nc,T]
  if ('fromState' in w.carried) {
    // Inside the chunk and from the past in one MatMul: [u_chunk | g_before] · [Toeplitz ; fromState].
    const lhs = b.concat([chunks, before], 3); // [B,H,nc,T+S]
    const rhs = b.concat([w.toeplitz, w.carried.fromState], 2); // [C,H,T+S,T]
    both = b.matmul(b.unsqueeze(lhs, [1]), rhs);
  } else {
    both = b.add(b.matmul(b.unsqueeze(chunks, [1]), w.toeplitz), w.carried.output(before));
  }

  const y = b.reshape(both, [0, 0, 0, -1]); // [B,C,H,nc·T]
  return whole ? y : b.slice(y, [0], staticL !== null ? [staticL] : b.unsqueeze(len, [0]), [3]);
}

/** FFTConv(u, k[, k_rev]) → the chunked form (the anti-causal part runs on the reversed sequence). */
export function lowerFftConvChunked(b: Builder, node: Node): Value[] {
  const u = node.input(0);
  const L = u.type.shape?.[2];
  const batch = u.type.shape?.[0] ?? null, H = u.type.shape?.[1] ?? null;
  const realized = realizationOf(node);
  if (realized) return [chunkedCausalConv(b, u, realizedForm(b, realized, batch, H), realized.T)];
  const T = chunkLength(typeof L === 'number' ? L : null);
  let y = chunkedCausalConv(b, u, chunkWeights(b, diagSource(b, node.input(1)), T, batch, H), T);
  const kRev = node.inputs[2];
  if (kRev) {
    // y_anti[t] = Σ_m k_rev[m]·u[t+1+m]: a causal convolution of the reversed input, reversed back
    // and shifted by one position.
    const reverse = (x: Value, axis: number) => b.slice(x, [-1], [BEGIN_REVERSED], [axis], [-1]);
    const z = reverse(chunkedCausalConv(b, reverse(u, 2), chunkWeights(b, diagSource(b, kRev), T, batch, H), T), 3);
    const shifted = b.op('Pad', [b.slice(z, [1], [END], [3]), b.i64([0, 0, 0, 0, 0, 0, 0, 1], undefined, 'pads')]);
    y = b.add(y, shifted);
  }
  return [y];
}

export const lowerFftConvChunkedPass: Pass = {
  name: 'lower-fftconv-chunked',
  description: "FFTConv of a diagonal SSM's kernel, or of a realized one (S4 DPLR) → chunked state passing (Toeplitz MatMul, chunk states, a Scan over chunks)",
  run: (model) => changed(rewriteTagged(model, 'chunked', lowerFftConvChunked)),
  ensures: (model) => noneTagged(model, 'chunked'),
};
