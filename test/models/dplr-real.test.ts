import { describe, expect, it } from 'vitest';
import { findArch, initialWeights } from 'ssmc';
import { Builder, evaluateModel, Model, type Tensor } from 'ssmc/ir';
import { cIdentity, cPow, cSolve, cVecMat, type CMat } from '../../src/models/cmatrix.js';
import { ctildeTable, featurePower, realFeature, untruncatedRows } from '../../src/models/dplr-real.js';
import { dplrTaps } from '../../src/models/dplr-taps.js';
import { ParamStore } from '../../src/models/params.js';
import { continuousA, dplrKernel, expandedB, expandedCtilde, readSystem, type DplrArgs, type DplrSystem } from '../../src/models/s4-dplr.js';
import { goldenCase, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/**
 * The real half-state forms of dplr-real.ts and the direct taps of dplr-taps.ts against the
 * definitions they replace: the complex conj-expanded matrices (dA by a dense solve, powers by
 * repeated squaring, C = C~ (I − dA^l)⁻¹ by a dense solve, the doubling rule step by step) and
 * the kernel's graph form evaluated by the float64 reference interpreter. Two systems: the golden
 * checkpoint (every feature its own A: the dense path) and a fresh LegS layer (one A shared by
 * every feature: the Schur path).
 */

const PREFIX = 'layer.kernel.';

function systemOf(file: { arch: string; args: Record<string, unknown> }, tensors: Map<string, Tensor>): { sys: DplrSystem; args: DplrArgs; Ck: number; tensors: Map<string, Tensor> } {
  const args = findArch(file.arch).configure(file.args).args as unknown as DplrArgs & { channels: number; bidirectional: boolean };
  const Ck = args.channels * (args.bidirectional ? 2 : 1);
  return { sys: readSystem({ tensor: (n) => tensors.get(n)! }, args, PREFIX, Ck), args, Ck, tensors };
}

const golden = () => {
  const c = goldenCase('s4_dplr_legs');
  return systemOf(modelFileFor(c), goldenWeights(c));
};
const freshFile = { arch: 's4-block', args: { d_model: 6, d_state: 32, mode: 'dplr', init: 'legs', bidirectional: true, transposed: false, l_max: 64 } };
const fresh = () => systemOf(freshFile, initialWeights(freshFile));

/** The bilinear dA of feature h on the conj-expanded state, by a dense complex solve (the definition). */
function denseDA(sys: DplrSystem, h: number): CMat {
  const M = 2 * sys.N, d = sys.dt[h]!, A = continuousA(sys, h), I = cIdentity(M);
  return cSolve(I.map((x, k) => x - (d / 2) * A[k]!), I.map((x, k) => x + (d / 2) * A[k]!), M);
}

/** A conj-symmetric complex M×M matrix acting on (x, x̄) as the real matrix on z = (Re x, Im x). */
function toReal(P: CMat, N: number): Float64Array {
  const M = 2 * N, S = 2 * N, out = new Float64Array(S * S);
  for (let i = 0; i < N; i++) for (let k = 0; k < N; k++) {
    const a = P[2 * (i * M + k)]!, b = P[2 * (i * M + k) + 1]!, c = P[2 * (i * M + N + k)]!, d = P[2 * (i * M + N + k) + 1]!;
    out[i * S + k] = a + c;
    out[i * S + N + k] = d - b;
    out[(N + i) * S + k] = b + d;
    out[(N + i) * S + N + k] = a - c;
  }
  return out;
}

/** row · M⁻¹ for a complex row (solves Mᵀ zᵀ = rowᵀ). */
function rowTimesInverse(row: Float64Array, M: CMat, n: number): Float64Array {
  const Mt = new Float64Array(2 * n * n), rhs = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    Mt[2 * (i * n + j)] = M[2 * (j * n + i)]!;
    Mt[2 * (i * n + j) + 1] = M[2 * (j * n + i) + 1]!;
  }
  for (let i = 0; i < n; i++) [rhs[2 * i * n], rhs[2 * i * n + 1]] = [row[2 * i]!, row[2 * i + 1]!];
  const z = cSolve(Mt, rhs, n);
  return Float64Array.from({ length: 2 * n }, (_, k) => z[2 * (Math.floor(k / 2) * n) + (k % 2)]!);
}

const maxAbs = (x: ArrayLike<number>) => Array.from(x).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const relErr = (x: ArrayLike<number>, ref: ArrayLike<number>) => Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0) / maxAbs(ref);

describe.each([['golden checkpoint (dense path)', golden], ['fresh LegS, one A for every feature (Schur path)', fresh]] as const)('S4 DPLR real forms: %s', (_label, make) => {
  const { sys, args, Ck, tensors } = make();
  const { H, N } = sys, M = 2 * N;

  it('dA, dB and dA^e equal the dense complex definitions', () => {
    for (let h = 0; h < H; h++) {
      const dA = denseDA(sys, h), f = realFeature(sys, h);
      expect(relErr(f.A, toReal(dA, N))).toBeLessThan(TOL.F64_REORDERED);
      // dB = (I + dA)/2 · Δ B on the expanded state; the half state keeps its first N' entries.
      const B = expandedB(sys, h).map((v) => v * sys.dt[h]!);
      const dB = new Float64Array(2 * M);
      for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) {
        const pr = (i === j ? 1 : 0) + dA[2 * (i * M + j)]!, pi = dA[2 * (i * M + j) + 1]!;
        dB[2 * i] += (pr * B[2 * j]! - pi * B[2 * j + 1]!) / 2;
        dB[2 * i + 1] += (pr * B[2 * j + 1]! + pi * B[2 * j]!) / 2;
      }
      const ref = Float64Array.from({ length: M }, (_, k) => (k < N ? dB[2 * k]! : dB[2 * (k - N) + 1]!));
      expect(relErr(f.B, ref)).toBeLessThan(TOL.F64_REORDERED);
      for (const e of [1, 7, sys.lKernel]) expect(relErr(featurePower(sys, h, e), toReal(cPow(dA, e, M), N))).toBeLessThan(TOL.F64_CONDITIONED);
    }
  });

  it('the untruncated output rows are C~ (I − dA^l_kernel)⁻¹', () => {
    const rows = untruncatedRows(sys);
    for (let h = 0; h < H; h++) {
      const X = cPow(denseDA(sys, h), sys.lKernel, M), IminusX = cIdentity(M).map((v, k) => v - X[k]!);
      for (let c = 0; c < Ck; c++) {
        const full = rowTimesInverse(expandedCtilde(sys, c, h), IminusX, M);
        const ref = Float64Array.from({ length: M }, (_, k) => (k < N ? 2 * full[2 * k]! : -2 * full[2 * (k - N) + 1]!));
        expect(relErr(rows[c]![h]!, ref)).toBeLessThan(TOL.F64_CONDITIONED);
      }
    }
  });

  it('the C~ table follows the doubling rule C~_{m+1} = C~_m (I + dA^{l·2^m})', () => {
    const doublings = 4, table = ctildeTable(sys, doublings);
    for (let h = 0; h < H; h++) {
      let X = cPow(denseDA(sys, h), sys.lKernel, M);
      const rows = Array.from({ length: Ck }, (_, c) => expandedCtilde(sys, c, h));
      for (let m = 1; m <= doublings; m++) {
        for (let c = 0; c < Ck; c++) {
          const prod = cVecMat(rows[c]!, X, M);
          rows[c] = rows[c]!.map((x, k) => x + prod[k]!);
          const got = table.subarray(2 * ((m * Ck + c) * H + h) * N, 2 * ((m * Ck + c) * H + h + 1) * N);
          expect(relErr(got, rows[c]!.subarray(0, 2 * N))).toBeLessThan(TOL.F64_CONDITIONED);
        }
        X = cPow(X, 2, M);
      }
    }
  });

  const lengths = [[sys.lKernel, sys.lKernel], [sys.lKernel - 5, sys.lKernel], [3 * sys.lKernel + 1, 4 * sys.lKernel]];
  it.each(lengths.flatMap(([L, Lint]) => [[L, Lint, false], [L, Lint, true]] as const))('the taps at L = %i (L_int %i) equal the kernel graph in the float64 interpreter (approximate trig: %s)', (L, Lint, approximateTrig) => {
    // The graph reads its constants (Δ, B̂, C~, Δa, 2π or the folded frequencies) as float32
    // initializers; dplrTaps computes from the float64 system and rounds once, at the end.
    const model = new Model(17), b = new Builder(model.graph, 17);
    const K = dplrKernel(b, new ParamStore(b, tensors), args, PREFIX, Ck, b.i64(L, [], 'L'), null, approximateTrig);
    model.graph.outputs.push(K);
    // For a device with approximate sin/cos, every phase is a folded constant: none is taken at run time.
    const trig = model.graph.nodes.filter((n) => n.op === 'Sin' || n.op === 'Cos').length;
    expect(trig).toBe(approximateTrig ? 0 : 2);
    const ref = evaluateModel(model, {}).get(K.name)!;
    expect(ref.dims).toEqual([Ck, H, L]);
    const doublings = Math.log2(Lint / sys.lKernel);
    const row = ctildeTable(sys, doublings).subarray(2 * doublings * Ck * H * N);
    expect(relErr(dplrTaps(sys, row, Lint, L), ref.data)).toBeLessThan(TOL.F32_CONSTANTS);
  });
});
