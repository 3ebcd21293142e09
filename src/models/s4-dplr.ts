import type { Builder } from '../../ir/builder.js';
import { c64, f32, lazyTensor, type Tensor } from '../../ir/tensor.js';
import { onnxCode } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { dftNode } from '../../ir/ops/dft.js';
import { UserError } from '../errors.js';
import { ctildeTable, fromRealRow, rowTimesPower, toRealRow, untruncatedRows } from './dplr-real.js';
import { dplrTaps } from './dplr-taps.js';
import type { ParamStore } from './params.js';
import type { ParamTransform } from './transforms.js';

/** Dynamic lengths are served up to this many positions (the C~ table holds one row per doubling). */
export const DPLR_MAX_DYNAMIC_LENGTH = 1 << 20;

function transform(x: number, t: ParamTransform): number {
  switch (t) {
    case 'exp': return Math.exp(x);
    case 'softplus': return x > 30 ? x : Math.log1p(Math.exp(x));
    case 'relu': return Math.max(0, x) + 1e-4;
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'none': return x;
  }
}

/** The S4Block arguments the DPLR system depends on. */
export interface DplrArgs {
  readonly d_model: number;
  readonly d_state: number;
  readonly rank: number;
  readonly n_ssm: number | null;
  readonly dt_transform: ParamTransform;
  readonly real_transform: ParamTransform;
  readonly imag_transform: ParamTransform;
}

export interface DplrSystem {
  /** The kernel's parameter prefix ('layer.kernel.'): the names of the constants derived from it. */
  prefix: string;
  H: number;
  N: number; // N' stored modes
  /** Independent (A, B, P) copies: feature h uses copy h mod nSsm. */
  nSsm: number;
  rank: number;
  C: number; // kernel channels
  dt: number[]; // [H]
  a: Float64Array; // complex [H,N]
  B: Float64Array; // complex [H,N]
  P: Float64Array; // complex [rank,H,N]
  Ctilde: Float64Array; // complex [C,H,N]
  lKernel: number;
}

/**
 * One build reads its S4 DPLR system for the kernel, the stepper and the chunked forms: the system
 * and what is derived from it (dense dA per feature, its powers, the linear stepper's parameters:
 * seconds at H = 256) are computed once per parameter store, arguments and channel count.
 */
const systems = new WeakMap<object, { args: DplrArgs; prefix: string; Ck: number; sys: DplrSystem }[]>();

/** Read the checkpoint tensors into float64 complex arrays, features expanded from the n_ssm copies. */
export function readSystem(params: Pick<ParamStore, 'tensor'>, args: DplrArgs, prefix: string, Ck: number): DplrSystem {
  const seen = systems.get(params) ?? [];
  const hit = seen.find((e) => e.args === args && e.prefix === prefix && e.Ck === Ck);
  if (hit) return hit.sys;
  const sys = readSystemUncached(params, args, prefix, Ck);
  systems.set(params, [...seen, { args, prefix, Ck, sys }]);
  return sys;
}

function readSystemUncached(params: Pick<ParamStore, 'tensor'>, args: DplrArgs, prefix: string, Ck: number): DplrSystem {
  const H = args.d_model, N = args.d_state / 2, rank = args.rank;
  const nSsm = args.n_ssm ?? H;
  const lk = params.tensor(`${prefix}l_kernel`);
  const lKernel = lk.data && lk.data.length === 1 ? Number((lk.data as BigInt64Array)[0]) : 0;
  if (!(lKernel > 0)) {
    throw new UserError(
      `checkpoint: '${prefix}l_kernel' is ${lKernel}: this S4 (DPLR) checkpoint was saved before any forward pass, so its '${prefix}C' still holds the raw C. ` +
      `After a forward pass the official SSMKernelDPLR stores C~ = C·(I − dA^l_kernel) in '${prefix}C' and l_kernel > 0 (the length it was computed for), which is what ssmc reads; ` +
      `run one forward pass of the module (any input of length l_max or your sequence length) before saving the state_dict`,
    );
  }
  // The kernel is formed at l_kernel·2^m positions: a checkpoint claiming more than ssmc serves
  // would make it allocate and compute what the file merely claims.
  if (!Number.isSafeInteger(lKernel) || lKernel > DPLR_MAX_DYNAMIC_LENGTH) {
    throw new UserError(`checkpoint: 'layer.kernel.l_kernel' is ${lKernel}, over the ${DPLR_MAX_DYNAMIC_LENGTH} (2^20) positions ssmc computes S4 (DPLR) kernels for; the official code stores the length of its first forward pass here — re-save the checkpoint after a forward pass at l_max`);
  }
  // float64 when the checkpoint held float64: the system is built in float64 either way.
  const f = (name: string) => params.tensor(name).data as Float32Array | Float64Array;
  const invDt = f(`${prefix}inv_dt`), aRe = f(`${prefix}A_real`), aIm = f(`${prefix}A_imag`);
  const Braw = f(`${prefix}B`), Praw = f(`${prefix}P`), Craw = f(`${prefix}C`);
  const dt = Array.from({ length: H }, (_, h) => transform(invDt[h]!, args.dt_transform));
  const a = new Float64Array(2 * H * N), B = new Float64Array(2 * H * N), P = new Float64Array(2 * rank * H * N);
  for (let h = 0; h < H; h++) {
    const t = h % nSsm;
    for (let n = 0; n < N; n++) {
      const src = t * N + n, dst = h * N + n;
      a[2 * dst] = -transform(aRe[src]!, args.real_transform);
      a[2 * dst + 1] = -transform(aIm[src]!, args.imag_transform);
      B[2 * dst] = Braw[2 * src]!;
      B[2 * dst + 1] = Braw[2 * src + 1]!;
      for (let r = 0; r < rank; r++) {
        P[2 * (r * H * N + dst)] = Praw[2 * (r * nSsm * N + src)]!;
        P[2 * (r * H * N + dst) + 1] = Praw[2 * (r * nSsm * N + src) + 1]!;
      }
    }
  }
  return { prefix, H, N, nSsm, rank, C: Ck, dt, a, B, P, Ctilde: Float64Array.from(Craw), lKernel };
}

/** Entry i of a stored half vector (base..base+N') on the conj-expanded index (i ≥ N' is the conjugate). */
function expandedEntry(arr: Float64Array, base: number, N: number, i: number): [number, number] {
  return i < N ? [arr[2 * (base + i)]!, arr[2 * (base + i) + 1]!] : [arr[2 * (base + i - N)]!, -arr[2 * (base + i - N) + 1]!];
}

/** Feature h's B on the conj-expanded state: (B, B̄), length 2N'. */
export function expandedB(sys: DplrSystem, h: number): Float64Array {
  const M = 2 * sys.N, out = new Float64Array(2 * M);
  for (let i = 0; i < M; i++) out.set(expandedEntry(sys.B, h * sys.N, sys.N, i), 2 * i);
  return out;
}

/**
 * The continuous state matrix of feature h on the conj-expanded state (2N'):
 * A = diag(a, ā) − Σ_r p_r p_rᴴ with p_r = (P_r, P̄_r).
 */
export function continuousA(sys: DplrSystem, h: number): Float64Array {
  const { N, H } = sys, M = 2 * N;
  const full = (arr: Float64Array, base: number, i: number) => expandedEntry(arr, base, N, i);
  const A = new Float64Array(2 * M * M);
  for (let i = 0; i < M; i++) {
    const [ar, ai] = full(sys.a, h * N, i);
    A[2 * (i * M + i)] += ar;
    A[2 * (i * M + i) + 1] += ai;
    for (let r = 0; r < sys.rank; r++) {
      const [pr, pi] = full(sys.P, r * H * N + h * N, i);
      for (let j = 0; j < M; j++) {
        const [qr, qi] = full(sys.P, r * H * N + h * N, j);
        A[2 * (i * M + j)] -= pr * qr + pi * qi; // p_i · conj(p_j)
        A[2 * (i * M + j) + 1] -= pi * qr - pr * qi;
      }
    }
  }
  return A;
}

/** Values derived from a system, computed once (callers must not modify them). */
const derived = new WeakMap<DplrSystem, Map<string, unknown>>();

function once<T>(sys: DplrSystem, key: string, compute: () => T): T {
  let m = derived.get(sys);
  if (!m) derived.set(sys, (m = new Map()));
  if (!m.has(key)) m.set(key, compute());
  return m.get(key) as T;
}

/** Channel c of feature h's C~ on the conj-expanded state: (C~, conj C~), length 2N'. */
export function expandedCtilde(sys: DplrSystem, c: number, h: number): Float64Array {
  const { H, N } = sys;
  const row = new Float64Array(4 * N);
  for (let n = 0; n < N; n++) {
    const s = 2 * ((c * H + h) * N + n);
    row.set([sys.Ctilde[s]!, sys.Ctilde[s + 1]!], 2 * n);
    row.set([sys.Ctilde[s]!, -sys.Ctilde[s + 1]!], 2 * (n + N));
  }
  return row;
}

/** complex64 from interleaved float64 (re, im) pairs. */
export function complexTensor(data: Float64Array, dims: number[]): Tensor {
  return { dtype: 'complex64', dims: [...dims], data: new Float32Array(data) };
}

/**
 * The S4 DPLR kernel K [C,H,L] in ONNX ops (complex values lowered later): Cauchy sums at the roots
 * of unity of L_int, the Woodbury correction (rank 1 or 2), the bilinear factor 2/(1+ω) and the
 * inverse real FFT, with L_int and C~ chosen in the graph by the official doubling rule. With a
 * fixed length the taps are one constant, computed in float64 by dplrTaps (dplr-taps.ts) the
 * same way, only when a lowering reads them. The C~ table holds a row per doubling up to the
 * longest length served (dynamic: 2^20 positions): O(M³) per doubling and feature (dplr-real.ts).
 */
export function dplrKernel(b: Builder, params: ParamStore, args: DplrArgs, prefix: string, Ck: number, L: Value, fixedLength: number | null, approximateTrig = false): Value {
  const sys = readSystem(params, args, prefix, Ck);
  const { H, N, rank, C, lKernel } = sys;
  if (rank > 2) throw new UserError(`model file: arch 's4-block': "rank" ${rank} is not supported for the DPLR kernel; ssmc implements the Woodbury correction for rank 1 and 2`);
  const maxLen = fixedLength ?? DPLR_MAX_DYNAMIC_LENGTH;
  let doublings = 0;
  while (lKernel * 2 ** doublings < maxLen) doublings++;
  if (fixedLength !== null) {
    // A fixed length needs one row of the table and the taps, computed directly when a lowering
    // reads them (lazily: one that reads the dense state space never forms them).
    const Lint = lKernel * 2 ** doublings;
    const taps = lazyTensor('float32', [C, H, fixedLength], () => {
      const row = ctildeTable(sys, doublings).subarray(2 * doublings * C * H * N);
      return dplrTaps(sys, row, Lint, fixedLength);
    });
    return b.initializer(b.graph.freshName(`${prefix}kernel_taps`), taps);
  }
  const table = lazyTensor('complex64', [doublings + 1, C, H, N], () => new Float32Array(ctildeTable(sys, doublings)));
  const float = onnxCode('float32');

  // m = number of doublings for this L: Σ_j [L > l_kernel·2^j] = Σ_j min(max(L − l_kernel·2^j, 0), 1)
  // (integer arithmetic on the host); L_int = l_kernel·2^m. The tables are indexed by Slice, whose
  // bounds a GPU reads from the host, and L_int is also taken as a float from a float table, so a
  // device provider computes the kernel without copying a value across (Gather indices and floats
  // cast from host integers would be copied to the device on every run).
  const thresholds = Array.from({ length: doublings }, (_, j) => lKernel * 2 ** j);
  const m = doublings === 0
    ? b.i64([0], [1], 'doublings')
    : b.op('ReduceSum', [b.op('Min', [b.op('Max', [b.sub(b.unsqueeze(L, [0]), b.i64(thresholds, undefined, 'thresholds')), b.i64(0, [], 'zero')]), b.i64(1, [], 'one')]), b.i64([0], undefined, 'axes')], { keepdims: 1 }); // [1]
  const pick = (table: Value) => b.squeeze(b.slice(table, m, b.add(m, b.i64([1], [1], 'one')), [0]), [0]);
  const lengths = Array.from({ length: doublings + 1 }, (_, j) => lKernel * 2 ** j);
  const Lint = pick(b.i64(lengths, undefined, 'l_int'));
  const LintF = pick(b.f32(lengths, undefined, 'l_int_float'));
  const Ct = pick(b.initializer(b.graph.freshName(`${prefix}C_tilde_table`), table)); // [C,H,N]

  // Frequencies ω_k = exp(−2πik/L_int), k = 0..⌊L_int/2⌋, and z_k = 2(1−ω)/(1+ω).
  const bins = b.add(b.div(Lint, b.i64(2, [], 'two')), b.i64(1, [], 'one'));
  const k = b.positions(bins); // [F], float
  const omega = approximateTrig
    ? foldedFrequencies(b, lengths, m, bins, sys.prefix)
    : b.ssm('Complex', [b.op('Cos', [b.div(b.mul(k, b.f32(2 * Math.PI)), LintF)]), b.neg(b.op('Sin', [b.div(b.mul(k, b.f32(2 * Math.PI)), LintF)]))]); // [F]
  const one = b.initializer(b.graph.freshName('one'), c64([1], [0], []));
  const z = b.div(b.mul(b.sub(one, omega), b.f32(2)), b.add(one, omega));

  // v[i,j,h,n] = B̂_i Ĉ_j Δ with B̂ = [B; P], Ĉ = [C~; P̄].
  const dtH = b.initializer(b.graph.freshName(`${prefix}dt`), f32(sys.dt, [H, 1]));
  const Bhat = b.initializer(b.graph.freshName(`${prefix}B_hat`), complexTensor(Float64Array.from([...sys.B, ...sys.P]), [1 + rank, H, N]));
  const Q = b.ssm('Conj', [b.initializer(b.graph.freshName(`${prefix}P_full`), complexTensor(sys.P, [rank, H, N]))]);
  const Chat = b.concat([Ct, Q], 0); // [J,H,N], J = C + rank
  const J = C + rank;
  const v = b.mul(b.mul(b.unsqueeze(Bhat, [1]), b.unsqueeze(Chat, [0])), dtH); // [I,J,H,N]
  const vHJN = b.reshape(b.transpose(v, [2, 0, 1, 3]), [H, (1 + rank) * J, N]); // [H,IJ,N]
  const dA = b.initializer(b.graph.freshName(`${prefix}dt_a`), complexTensor(sys.a.map((x, i) => x * sys.dt[Math.floor(i / 2 / N)]!), [H, N]));
  const cauchy = (poles: Value) => b.div(one, b.sub(b.unsqueeze(z, [0, 1]), b.unsqueeze(poles, [2]))); // [H,N,F]
  const r = b.add(b.matmul(vHJN, cauchy(dA)), b.matmul(b.ssm('Conj', [vHJN]), cauchy(b.ssm('Conj', [dA])))); // [H,IJ,F]
  const at = (i: number, j: number, count = 1) => b.slice(r, [i * J + j], [i * J + j + count], [1]); // [H,count,F]

  let Khat: Value; // [H,C,F]
  if (rank === 1) {
    Khat = b.sub(at(0, 0, C), b.div(b.mul(at(0, C), at(1, 0, C)), b.add(one, at(1, C))));
  } else {
    // (I + r11)⁻¹ for the 2×2 P/Q block, written out.
    const m00 = b.add(one, at(1, C)), m01 = at(1, C + 1), m10 = at(2, C), m11 = b.add(one, at(2, C + 1));
    const det = b.sub(b.mul(m00, m11), b.mul(m01, m10));
    const inv = [[m11, b.neg(m01)], [b.neg(m10), m00]];
    const r01 = [at(0, C), at(0, C + 1)], r10 = [at(1, 0, C), at(2, 0, C)];
    let corr: Value | null = null;
    for (let p = 0; p < 2; p++) for (let q = 0; q < 2; q++) {
      const term = b.mul(b.mul(r01[p]!, inv[p]![q]!), r10[q]!);
      corr = corr ? b.add(corr, term) : term;
    }
    Khat = b.sub(at(0, 0, C), b.div(corr!, det));
  }
  Khat = b.mul(Khat, b.div(b.f32(2), b.add(one, omega)));

  // Nyquist bin of an even L_int: ω = −1 makes z infinite; its exact limit is Re Σ_n v[B, C~].
  const nyquist = b.unsqueeze(b.ssm('Real', [b.op('ReduceSum', [b.slice(v, [0, 0], [1, C], [0, 1]), b.i64([3], undefined, 'axes')], { keepdims: 0 })]), [3]); // [1,C,H,1]
  const nyqHC = b.transpose(b.squeeze(nyquist, [0]), [1, 0, 2]); // [H,C,1]
  const isNyq = b.op('Equal', [b.mul(k, b.f32(2)), LintF]); // [F], exact: integers below 2^24
  const re = b.op('Where', [isNyq, nyqHC, b.ssm('Real', [Khat])]);
  const im = b.op('Where', [isNyq, b.f32(0), b.ssm('Imag', [Khat])]);
  const spectrum = b.concat([b.unsqueeze(re, [3]), b.unsqueeze(im, [3])], 3); // [H,C,F,2]

  // Inverse real FFT of length L_int, then the first L taps. ONNX's DFT (17 and 20) defines no
  // one-sided inverse (its shape inference rejects onesided with inverse), so the real part of a
  // full inverse of the weighted, zero-padded one-sided spectrum stands in at every opset.
  const w = b.sub(b.sub(b.f32(2), b.cast(b.op('Equal', [k, b.f32(0)]), float)), b.cast(isNyq, float));
  const kernel = b.op('Gather', [dftNode(b, b.mul(spectrum, b.unsqueeze(w, [1])), Lint, 2, true, false), b.i64(0, [], 'part')], { axis: -1 });
  return b.transpose(b.slice(kernel, b.i64([0], undefined, 'start'), b.unsqueeze(L, [0]), [2]), [1, 0, 2]); // [C,H,L]
}

/** Positions per row of the fine table in foldedFrequencies. */
const FREQUENCY_BLOCK = 64;

/**
 * ω_k = exp(−2πik/L_int), k < bins, for a device whose sin and cos are approximations (a GPU
 * shader's: WGSL allows 2^-11 absolute error, SwiftShader's are off by 2e-4, which puts every
 * S4 kernel formed at run time off by more than the output tolerance). Every phase is folded at
 * compile time in float64; the device only picks and multiplies, k = q·B + r:
 *   fine[r]   = exp(−2πi·r/L_int), r < B           (one row per doubling, picked by m)
 *   coarse[q] = exp(−2πi·q·B/L_int)                 (every 2^(D−m)-th entry of the longest
 *                                                    length's table: a strided Slice)
 *   ω         = (coarse ⊗ fine) flattened, cut to `bins`
 * Each ω_k is the product of two float32 constants: a relative error of a few float32 roundings.
 * lengths: L_int per doubling (lengths[j] = l_kernel·2^j); m: [1] int64, the doubling picked.
 */
function foldedFrequencies(b: Builder, lengths: number[], m: Value, bins: Value, prefix: string): Value {
  const B = FREQUENCY_BLOCK, D = lengths.length - 1, Lmax = lengths[D]!;
  const phase = (k: number, n: number): [number, number] => {
    const a = (-2 * Math.PI * k) / n;
    return [Math.cos(a), Math.sin(a)];
  };
  const fineData = new Float64Array(2 * (D + 1) * B);
  lengths.forEach((n, j) => { for (let r = 0; r < B; r++) fineData.set(phase(r, n), 2 * (j * B + r)); });
  // Row j needs coarse[q] for q < Q_j = ⌈(L_j/2 + 1)/B⌉, at index q·2^(D−j) of the longest table.
  const rows = lengths.map((n) => Math.ceil((Math.floor(n / 2) + 1) / B));
  const ends = lengths.map((_, j) => (rows[j]! - 1) * 2 ** (D - j) + 1);
  const coarseLen = Math.max(...ends);
  const coarseData = new Float64Array(2 * coarseLen);
  for (let i = 0; i < coarseLen; i++) coarseData.set(phase(i * B, Lmax), 2 * i);
  const pickRow = (t: Value) => b.slice(t, m, b.add(m, b.i64([1], [1], 'one')), [0]); // [1, ...]
  const fine = b.squeeze(pickRow(b.initializer(b.graph.freshName(`${prefix}omega_fine`), complexTensor(fineData, [D + 1, B]))), [0]); // [B]
  const coarseTable = b.initializer(b.graph.freshName(`${prefix}omega_coarse`), complexTensor(coarseData, [coarseLen]));
  const stride = pickRow(b.i64(lengths.map((_, j) => 2 ** (D - j)), undefined, 'omega_strides'));
  const end = pickRow(b.i64(ends, undefined, 'omega_ends'));
  const coarse = b.op('Slice', [coarseTable, b.i64([0], undefined, 'starts'), end, b.i64([0], undefined, 'axes'), stride]); // [Q]
  const table = b.mul(b.unsqueeze(coarse, [1]), b.unsqueeze(fine, [0])); // [Q,B]
  return b.slice(b.reshape(table, [-1]), [0], b.unsqueeze(bins, [0]), [0]); // [F]
}

/**
 * A fresh model's checkpoint as the official code leaves it after its first forward pass at
 * length `lKernel`: C~ = C·(I − dA^lKernel) in `<prefix>C` and l_kernel = lKernel.
 */
export function toCtilde(tensors: Map<string, Tensor>, args: DplrArgs, prefix: string, Ck: number, lKernel: number): void {
  tensors.set(`${prefix}l_kernel`, { dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(lKernel)) });
  const sys = readSystem({ tensor: (name) => tensors.get(name)! }, args, prefix, Ck);
  const { H, N, C } = sys;
  // In the real half-state basis (dplr-real.ts): C~ = C − C·dA^lKernel, O(M³ log lKernel) per feature.
  const ct = new Float64Array(2 * C * H * N);
  for (let h = 0; h < H; h++) {
    for (let c = 0; c < C; c++) {
      const row = toRealRow(sys.Ctilde, c * H * N + h * N, N);
      const prod = rowTimesPower(sys, h, row, lKernel);
      for (let k = 0; k < row.length; k++) row[k] -= prod[k]!;
      fromRealRow(row, ct, c * H * N + h * N, N);
    }
  }
  const out = new Float32Array(ct);
  tensors.set(`${prefix}C`, { dtype: 'float32', dims: [C, H, N, 2], data: out });
}

export function dplrExtraParams(args: DplrArgs, prefix: string): { name: string; shape: number[]; dtype: 'float32' | 'int64' }[] {
  const N = args.d_state / 2, rank = args.rank;
  const nSsm = args.n_ssm ?? args.d_model;
  return [
    { name: `${prefix}P`, shape: [rank, nSsm, N, 2], dtype: 'float32' },
    { name: `${prefix}l_kernel`, shape: [], dtype: 'int64' },
  ];
}


/**
 * The float64 parameters of the official O(N) "linear" stepper (ssm-math.md §2.4) on the half
 * state x (complex [H,N']):
 *   x₁ = E⊙x − P·2Re(Qx) + 2B·u,   x' = Dv⊙(x₁ − P·2Re(R x₁)),   y = Re(dC·x')
 * with Dv = (2/Δ − a)⁻¹, E = 2/Δ + a, R = (I + 2Re[Q Dv Pᵀ])⁻¹(Q⊙Dv), and dC = 2·C[:N'] where
 * C = C~(I − dA^l_kernel)⁻¹ recovers the untruncated C from the checkpoint's C~.
 * All complex, interleaved: Dv, E, B2 [H,N'], R [rank,H,N'], dC [C,H,N'].
 */
export interface LinearStepParams {
  Dv: Float64Array;
  E: Float64Array;
  R: Float64Array;
  B2: Float64Array;
  dC: Float64Array;
}

export function linearStepParams(sys: DplrSystem): LinearStepParams {
  return once(sys, 'linear step', () => computeLinearStepParams(sys));
}

function computeLinearStepParams(sys: DplrSystem): LinearStepParams {
  const { H, N, rank, C } = sys;
  if (rank > 2) throw new UserError(`model file: arch 's4-block': "rank" ${rank} is not supported by the linear DPLR stepper (it inverts the r×r Woodbury matrix for rank 1 and 2)`);
  const Dv = new Float64Array(2 * H * N), E = new Float64Array(2 * H * N), R = new Float64Array(2 * rank * H * N);
  const dC = new Float64Array(2 * C * H * N), B2 = sys.B.map((v) => 2 * v);
  for (let h = 0; h < H; h++) {
    const twoOverDt = 2 / sys.dt[h]!;
    for (let n = 0; n < N; n++) {
      const k = h * N + n, ar = sys.a[2 * k]!, ai = sys.a[2 * k + 1]!;
      const dr = twoOverDt - ar, di = -ai, den = dr * dr + di * di;
      Dv[2 * k] = dr / den;
      Dv[2 * k + 1] = -di / den;
      E[2 * k] = twoOverDt + ar;
      E[2 * k + 1] = ai;
    }
    // G[i][j] = δ_ij + 2 Re Σ_n Q_i,n Dv_n P_j,n (Q = conj P), an r×r real matrix; R = G⁻¹ (Q⊙Dv).
    const G = Array.from({ length: rank }, (_, i) => Array.from({ length: rank }, (_, j) => {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const pi = 2 * (i * H * N + h * N + n), pj = 2 * (j * H * N + h * N + n), d = 2 * (h * N + n);
        const qr = sys.P[pi]!, qi = -sys.P[pi + 1]!;
        const tr = qr * Dv[d]! - qi * Dv[d + 1]!, ti = qr * Dv[d + 1]! + qi * Dv[d]!;
        s += tr * sys.P[pj]! - ti * sys.P[pj + 1]!;
      }
      return (i === j ? 1 : 0) + 2 * s;
    }));
    const det = rank === 1 ? G[0]![0]! : G[0]![0]! * G[1]![1]! - G[0]![1]! * G[1]![0]!;
    const Ginv = rank === 1 ? [[1 / det]] : [[G[1]![1]! / det, -G[0]![1]! / det], [-G[1]![0]! / det, G[0]![0]! / det]];
    for (let i = 0; i < rank; i++) for (let n = 0; n < N; n++) {
      let rr = 0, ri = 0;
      for (let j = 0; j < rank; j++) {
        const pj = 2 * (j * H * N + h * N + n), d = 2 * (h * N + n);
        const qr = sys.P[pj]!, qi = -sys.P[pj + 1]!;
        rr += Ginv[i]![j]! * (qr * Dv[d]! - qi * Dv[d + 1]!);
        ri += Ginv[i]![j]! * (qr * Dv[d + 1]! + qi * Dv[d]!);
      }
      R[2 * (i * H * N + h * N + n)] = rr;
      R[2 * (i * H * N + h * N + n) + 1] = ri;
    }
  }
  // C = C~ (I − dA^l_kernel)⁻¹ (dplr-real.ts); the half stepper reads dC = 2·C[:N'].
  const rows = untruncatedRows(sys), half = new Float64Array(2 * C * H * N);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) fromRealRow(rows[c]![h]!, half, c * H * N + h * N, N);
  for (let k = 0; k < dC.length; k++) dC[k] = 2 * half[k]!;
  return { Dv, E, R, B2, dC };
}

/**
 * The linear stepper as step-graph ops on the half state x (complex [B,H,N']); see
 * linearStepParams. `precomputed` saves recomputing them when the caller already has them.
 */
export function dplrLinearStep(b: Builder, sys: DplrSystem, u: Value, x: Value, precomputed?: LinearStepParams): { y: Value; next: Value } {
  const { H, N, rank, C } = sys;
  const { Dv, E, R, B2, dC } = precomputed ?? linearStepParams(sys);
  const k = (name: string, data: Float64Array, dims: number[]) => b.initializer(b.graph.freshName(`${sys.prefix}${name}`), complexTensor(data, dims));
  const P = k('step_P', sys.P, [rank, H, N]), Q = b.ssm('Conj', [P]), Rc = k('step_R', R, [rank, H, N]);
  // 2 Re Σ_n V[r,h,n]·x[b,h,n] → [B,r,H,1]; then Σ_r P[r,h,n]·s[b,r,h] → [B,H,N].
  const project = (V: Value, v: Value) => b.mul(b.ssm('Real', [b.op('ReduceSum', [b.mul(b.unsqueeze(V, [0]), b.unsqueeze(v, [1])), b.i64([3], undefined, 'axes')], { keepdims: 1 })]), b.f32(2));
  const lift = (s: Value) => b.op('ReduceSum', [b.mul(b.unsqueeze(P, [0]), s), b.i64([1], undefined, 'axes')], { keepdims: 0 });
  const x1 = b.add(b.sub(b.mul(x, k('step_E', E, [H, N])), lift(project(Q, x))), b.mul(k('step_2B', B2, [H, N]), b.unsqueeze(u, [2])));
  const next = b.mul(k('step_Dv', Dv, [H, N]), b.sub(x1, lift(project(Rc, x1))));
  const y = b.ssm('Real', [b.op('ReduceSum', [b.mul(b.unsqueeze(k('step_dC', dC, [C, H, N]), [0]), b.unsqueeze(next, [1])), b.i64([3], undefined, 'axes')], { keepdims: 0 })]);
  return { y, next }; // y [B,C,H]
}
