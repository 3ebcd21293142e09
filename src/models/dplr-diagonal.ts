/**
 * The diagonalised S4 DPLR stepper (ssm-math.md §2.4 "diagonal": eig(dA) = V Λ V⁻¹, dA ← Λ,
 * dB ← V⁻¹dB, dC ← dC·V), reduced to the S4D Vandermonde form that `vandermondeStep` steps and
 * `finalState` forwards:
 *   h_l = C dA^l dB = Σ_k g_k μ_k^l,   g_k = (C V)_k (V⁻¹ dB)_k,
 * so with w = z / (V⁻¹dB) (z = V⁻¹x) the state update is w' = μ⊙w + u and y = Re Σ_k g_k w_k.
 *
 * dA is a rational function of A (bilinear), so one eigendecomposition of the continuous A per
 * SSM copy serves every feature: μ = (1 + Δα/2)/(1 − Δα/2), V⁻¹dB = Δ(V⁻¹B)/(1 − Δα/2), and
 * C V = C~ (I − dA^l_kernel)⁻¹ V = (C~V) / (1 − μ^l_kernel).
 *
 * The conj-expanded system is real (J A J = Ā with J swapping the halves), so its modes come in
 * conjugate pairs with conjugate g: one of each pair is kept with weight 2. A mode with no
 * partner (a real eigenvalue — HiPPO-LegS has only real ones — or a pair whose numerics differ)
 * is kept alone with weight 1, which is exact, not a guess: Re Σ over all modes is the response.
 *
 * HiPPO matrices are far from normal, so V can be too ill-conditioned for float64 (and the modal
 * sum cancel too much for float32). The decomposition is therefore checked against the dense
 * system before it is used; see checkDiagonal.
 */
import { TOLERANCES } from '../verify/tolerances.js';
import { cVecMat } from './cmatrix.js';
import { complexEigen, type ComplexEigen } from './eig-complex.js';
import { continuousA, expandedB, expandedCtilde, linearStepParams, type DplrSystem, type LinearStepParams } from './s4-dplr.js';

/** Impulse-response taps compared (at least; l_kernel when longer). */
export const IMPULSE_CHECK_LENGTH = 4096;
/** Eigenvalues and coefficients within this relative distance of a conjugate partner are paired. */
const PAIR_TOLERANCE = 1e-8;
/** Floor of |μ|: μ = 0 (Δα = −2) is a mode that forgets at once; log needs it finite. */
const MIN_MODULUS = 1e-30;
/** Padding modes (copies that keep fewer modes than others): decaying, with zero coefficient. */
const PAD_LAMBDA = -1;

/** The diagonal system in Vandermonde form, scale 2: K_l = 2 Re Σ_k coef_k exp(λ_k l). */
export interface DiagonalForm {
  /** Modes per feature (the state is complex [batch, H, K]). */
  K: number;
  /** complex [H,K] */
  lambda: Float64Array;
  /** complex [C,H,K] */
  coef: Float64Array;
  quality: DiagonalQuality;
}

export interface DiagonalQuality {
  /** Worst feature's Σ|Δh| / Σ|h| over the checked taps. */
  impulseL1: number;
  /** Worst feature's max|Δh| / max|h|. */
  impulsePeak: number;
  /** Worst feature's Σ_l Σ_k 2|coef||μ|^l / Σ|h| (float32 cancellation in the modal sum). */
  amplification: number;
  /** The feature those worst values come from (per measure, the first that fails if any). */
  feature: number;
  checkedLength: number;
  /** Conjugate pairs kept once, and modes kept alone, summed over copies. */
  pairs: number;
  singles: number;
}

export type DiagonalOutcome = { form: DiagonalForm; refusal: null } | { form: null; refusal: string; quality: DiagonalQuality | null };

type C = [number, number];
const cmul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const cdiv = (a: C, b: C): C => {
  const d = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / d, (a[1] * b[0] - a[0] * b[1]) / d];
};
const cabs = (a: C) => Math.hypot(a[0], a[1]);
const at = (arr: Float64Array, k: number): C => [arr[2 * k]!, arr[2 * k + 1]!];
/** μ^e for a real exponent, in polar form (exact phase even for large e). */
const cpowReal = (m: C, e: number): C => {
  const r = cabs(m) ** e, th = Math.atan2(m[1], m[0]) * e;
  return [r * Math.cos(th), r * Math.sin(th)];
};

/** Modes of one copy: which eigenvalue indices are kept, and each one's weight (2 = pair, 1 = alone). */
interface KeptModes {
  index: number[];
  weight: number[];
}

/** Per-feature modal data before pairing: μ_k and g[c]_k on all 2N' modes. */
interface FeatureModes {
  mu: C[];
  g: C[][]; // [c][k]
}

function featureModes(sys: DplrSystem, eig: ComplexEigen, vInvB: Float64Array, h: number): FeatureModes {
  const M = 2 * sys.N, d = sys.dt[h]!;
  const alpha = Array.from({ length: M }, (_, k) => at(eig.values, k));
  const denom = alpha.map((a): C => [1 - (d / 2) * a[0], -(d / 2) * a[1]]);
  const mu = alpha.map((a, k) => cdiv([1 + (d / 2) * a[0], (d / 2) * a[1]], denom[k]!));
  const dB = alpha.map((_, k) => cdiv(cmul([d, 0], at(vInvB, k)), denom[k]!));
  const recover = mu.map((m) => {
    const p = cpowReal(m, sys.lKernel);
    return [1 - p[0], -p[1]] as C;
  });
  const g = Array.from({ length: sys.C }, (_, c) => {
    const ctV = cVecMat(expandedCtilde(sys, c, h), eig.vectors, M);
    return alpha.map((_, k) => cmul(cdiv(at(ctV, k), recover[k]!), dB[k]!));
  });
  return { mu, g };
}

/** Pair each eigenvalue with its conjugate partner when both it and every coefficient match. */
function pairModes(alpha: C[], features: FeatureModes[]): KeptModes {
  const M = alpha.length, taken = new Array<boolean>(M).fill(false);
  const kept: KeptModes = { index: [], weight: [] };
  for (let i = 0; i < M; i++) {
    if (taken[i]) continue;
    taken[i] = true;
    let best = i, bestDist = Math.hypot(alpha[i]![0] - alpha[i]![0], alpha[i]![1] + alpha[i]![1]);
    for (let j = i + 1; j < M; j++) {
      if (taken[j]) continue;
      const dist = Math.hypot(alpha[j]![0] - alpha[i]![0], alpha[j]![1] + alpha[i]![1]);
      if (dist < bestDist) [best, bestDist] = [j, dist];
    }
    const scale = Math.max(1, cabs(alpha[i]!));
    const conjugateCoefs = best !== i && bestDist <= PAIR_TOLERANCE * scale && features.every((f) => f.g.every((gc) => {
      const gi = gc[i]!, gj = gc[best]!;
      return Math.hypot(gj[0] - gi[0], gj[1] + gi[1]) <= PAIR_TOLERANCE * Math.max(cabs(gi), Number.MIN_VALUE);
    }));
    if (conjugateCoefs) {
      taken[best] = true;
      kept.index.push(i);
      kept.weight.push(2);
    } else {
      kept.index.push(i);
      kept.weight.push(1);
    }
  }
  return kept;
}

/**
 * The dense impulse response of feature h (every channel, `length` taps), from the float64
 * linear stepper — an exact O(N) form of (dA, dB, C), independent of the eigenbasis.
 */
function denseImpulse(sys: DplrSystem, lin: LinearStepParams, h: number, length: number): Float64Array[] {
  const { N, H, rank } = sys;
  const out = Array.from({ length: sys.C }, () => new Float64Array(length));
  let x = new Float64Array(2 * N);
  const idx = (n: number) => h * N + n;
  const lift = (v: Float64Array, rows: Float64Array, conjRows: boolean) => {
    // v − Σ_r P_r · 2 Re Σ_n rows_r,n v_n
    for (let r = 0; r < rank; r++) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        const q = at(rows, r * H * N + idx(n));
        if (conjRows) q[1] = -q[1];
        s += q[0] * v[2 * n]! - q[1] * v[2 * n + 1]!;
      }
      for (let n = 0; n < N; n++) {
        const p = at(sys.P, r * H * N + idx(n));
        v[2 * n] -= 2 * s * p[0];
        v[2 * n + 1] -= 2 * s * p[1];
      }
    }
  };
  for (let l = 0; l < length; l++) {
    const x1 = new Float64Array(2 * N);
    for (let n = 0; n < N; n++) {
      const e = cmul(at(lin.E, idx(n)), at(x, n));
      x1[2 * n] = e[0] + (l === 0 ? lin.B2[2 * idx(n)]! : 0);
      x1[2 * n + 1] = e[1] + (l === 0 ? lin.B2[2 * idx(n) + 1]! : 0);
    }
    if (l > 0) {
      // E⊙x − P·2Re(Qx) with Q = conj(P); the 2B·u term entered only at l = 0 (above).
      const corrected = Float64Array.from(x);
      lift(corrected, sys.P, true);
      for (let k = 0; k < 2 * N; k++) x1[k] += corrected[k]! - x[k]!;
    }
    lift(x1, lin.R, false);
    for (let n = 0; n < N; n++) {
      const v = cmul(at(lin.Dv, idx(n)), at(x1, n));
      x1[2 * n] = v[0];
      x1[2 * n + 1] = v[1];
    }
    x = x1;
    for (let c = 0; c < sys.C; c++) {
      let y = 0;
      for (let n = 0; n < N; n++) y += cmul(at(lin.dC, (c * H + h) * N + n), at(x, n))[0];
      out[c]![l] = y;
    }
  }
  return out;
}

interface FeatureCheck {
  impulseL1: number;
  impulsePeak: number;
  amplification: number;
}

/** Compare feature h's diagonal system (kept modes, Vandermonde form) with the dense one. */
function checkFeature(dense: Float64Array[], lambda: C[], coef: C[][]): FeatureCheck {
  const length = dense[0]!.length;
  let diff1 = 0, abs1 = 0, diffMax = 0, absMax = 0, terms = 0;
  for (let c = 0; c < dense.length; c++) {
    const z = lambda.map((): C => [1, 0]);
    const mu = lambda.map((l): C => [Math.exp(l[0]) * Math.cos(l[1]), Math.exp(l[0]) * Math.sin(l[1])]);
    for (let l = 0; l < length; l++) {
      let y = 0;
      for (let k = 0; k < z.length; k++) {
        const t = cmul(coef[c]![k]!, z[k]!);
        y += 2 * t[0];
        terms += 2 * cabs(t);
        z[k] = cmul(z[k]!, mu[k]!);
      }
      const h = dense[c]![l]!, d = Math.abs(y - h);
      diff1 += d;
      abs1 += Math.abs(h);
      diffMax = Math.max(diffMax, Number.isNaN(d) ? Infinity : d);
      absMax = Math.max(absMax, Math.abs(h));
    }
  }
  const tiny = Number.MIN_VALUE;
  const l1 = diff1 / Math.max(abs1, tiny);
  return {
    impulseL1: Number.isFinite(l1) ? l1 : Infinity,
    impulsePeak: diffMax / Math.max(absMax, tiny),
    amplification: terms / Math.max(abs1, tiny),
  };
}

/**
 * Diagonalise every copy's DPLR matrix and check each feature against the dense system.
 * Refuses (with the numbers) when the float64 basis change or the float32 modal sum is too
 * inaccurate; `linear` are the linear stepper's parameters (the reference it is checked against).
 */
export function diagonalizeDplr(sys: DplrSystem, linear: LinearStepParams): DiagonalOutcome {
  const { H, N, nSsm, C: Ck } = sys, M = 2 * N;
  const checkedLength = Math.max(IMPULSE_CHECK_LENGTH, sys.lKernel);
  const perFeature: { lambda: C[]; coef: C[][] }[] = new Array(H);
  const quality: DiagonalQuality = { impulseL1: 0, impulsePeak: 0, amplification: 0, feature: 0, checkedLength, pairs: 0, singles: 0 };
  // Copy by copy, each checked before the next is decomposed: a refusal costs one decomposition.
  for (let t = 0; t < nSsm; t++) {
    let eig: ComplexEigen;
    try {
      eig = complexEigen(continuousA(sys, t), M);
    } catch (e) {
      return { form: null, refusal: `the eigendecomposition of copy ${t}'s state matrix failed (${(e as Error).message})`, quality: null };
    }
    const alpha = Array.from({ length: M }, (_, k) => at(eig.values, k));
    const vInvB = eig.solve(expandedB(sys, t));
    const features = Array.from({ length: H / nSsm }, (_, v) => v * nSsm + t);
    const modes = features.map((h) => featureModes(sys, eig, vInvB, h));
    const kept = pairModes(alpha, modes);
    quality.pairs += kept.weight.filter((w) => w === 2).length;
    quality.singles += kept.weight.filter((w) => w === 1).length;
    for (const [f, h] of features.entries()) {
      const { mu, g } = modes[f]!;
      const lambda = kept.index.map((k): C => {
        const m = mu[k]!, r = Math.max(cabs(m), MIN_MODULUS);
        return [Math.log(r), Math.atan2(m[1], m[0])];
      });
      // Scale 2 in the graph: a pair's mode carries g, a lone mode g/2.
      const coef = g.map((gc) => kept.index.map((k, i): C => [gc[k]![0] * kept.weight[i]! / 2, gc[k]![1] * kept.weight[i]! / 2]));
      perFeature[h] = { lambda, coef };
      const chk = checkFeature(denseImpulse(sys, linear, h, checkedLength), lambda, coef);
      if (chk.impulseL1 > quality.impulseL1 || chk.amplification > quality.amplification) quality.feature = h;
      quality.impulseL1 = Math.max(quality.impulseL1, chk.impulseL1);
      quality.impulsePeak = Math.max(quality.impulsePeak, chk.impulsePeak);
      quality.amplification = Math.max(quality.amplification, chk.amplification);
      if (!(chk.impulseL1 <= TOLERANCES.DPLR_DIAGONAL_IMPULSE_L1) || !(chk.amplification <= TOLERANCES.DPLR_DIAGONAL_AMPLIFICATION)) {
        return { form: null, refusal: refusalText(h, checkedLength, chk), quality: { ...quality, feature: h } };
      }
    }
  }

  const K = Math.max(...perFeature.map((f) => f.lambda.length));
  const lambda = new Float64Array(2 * H * K), coef = new Float64Array(2 * Ck * H * K);
  for (let h = 0; h < H; h++) {
    const f = perFeature[h]!;
    for (let k = 0; k < K; k++) {
      const l = f.lambda[k] ?? [PAD_LAMBDA, 0];
      lambda.set(l, 2 * (h * K + k));
      for (let c = 0; c < Ck; c++) coef.set(f.coef[c]![k] ?? [0, 0], 2 * ((c * H + h) * K + k));
    }
  }
  return { form: { K, lambda, coef, quality }, refusal: null };
}

function refusalText(h: number, length: number, chk: FeatureCheck): string {
  const fmt = (x: number) => x.toExponential(2);
  return `its eigenvector basis is too ill-conditioned (HiPPO-type state matrices are far from normal): for feature ${h}, over ${length} taps, ` +
    `the diagonal system's impulse response differs from the dense one by ${fmt(chk.impulseL1)} (Σ|Δh|/Σ|h|; limit ${fmt(TOLERANCES.DPLR_DIAGONAL_IMPULSE_L1)}, peak-relative ${fmt(chk.impulsePeak)}) ` +
    `and its float32 modal sum adds terms ${fmt(chk.amplification)}× larger than the result (limit ${TOLERANCES.DPLR_DIAGONAL_AMPLIFICATION})`;
}

/** What an S4 DPLR step or prefill graph uses, after the choice and the check. */
export type DplrStepPlan =
  | { kind: 'linear'; sys: DplrSystem; params: LinearStepParams; meaning: string }
  | { kind: 'diagonal'; form: DiagonalForm; meaning: string };

const LINEAR_MEANING = "S4 DPLR half state x[:N'] of the official linear stepper (N' = d_state/2)";
const diagonalMeaning = (K: number) => `S4 DPLR state in the eigenbasis of dA (diagonal stepper): w = (V⁻¹x)/(V⁻¹dB), ${K} modes`;

/**
 * Pick the S4 DPLR stepper: 'linear' always works; 'diagonal' is refused (UserError) when its
 * check fails; 'auto' takes the diagonal one when it passes (the cheapest step graph), else the
 * linear one, and says so in the state's meaning. `refuse` throws the caller's UserError.
 */
export function planDplrStep(sys: DplrSystem, choice: 'auto' | 'linear' | 'diagonal', refuse: (reason: string) => never): DplrStepPlan {
  const params = linearStepParams(sys);
  if (choice === 'linear') return { kind: 'linear', sys, params, meaning: LINEAR_MEANING };
  const outcome = diagonalizeDplr(sys, params);
  if (outcome.form) return { kind: 'diagonal', form: outcome.form, meaning: diagonalMeaning(outcome.form.K) };
  if (choice === 'diagonal') refuse(outcome.refusal);
  return { kind: 'linear', sys, params, meaning: `${LINEAR_MEANING}; the diagonal stepper was not used: ${outcome.refusal}` };
}
