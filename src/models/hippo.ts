import { symmetricEigen } from './eig.js';

/**
 * HiPPO-LegS in normal-plus-low-rank form, diagonalised (ssm-math.md §2.5, nplr('legs')):
 * A + P Pᵀ = −½ I + S with S skew-symmetric, so its eigenvalues are −½ ± iω. We keep the N/2
 * eigenpairs with negative imaginary part and return W (the diagonal) with V*B and V*P, Im B
 * clipped to [−2, 2] as the official code does. Eigenvector phases are arbitrary (they are in the
 * official code too); only freshly initialised models depend on them.
 */
export function legsNplr(N: number): { w: { re: number; im: number }[]; B: { re: number; im: number }[]; P: { re: number; im: number }[] } {
  const Bv = Array.from({ length: N }, (_, n) => Math.sqrt(2 * n + 1));
  const Pv = Array.from({ length: N }, (_, n) => Math.sqrt(n + 0.5));
  // S = A + PPᵀ + ½I: for n > k, −√((2n+1)(2k+1)) + √((n+½)(k+½)) = −½√((2n+1)(2k+1)), and S is skew.
  const S = new Float64Array(N * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < n; k++) {
    const v = -0.5 * Math.sqrt((2 * n + 1) * (2 * k + 1));
    S[n * N + k] = v;
    S[k * N + n] = -v;
  }
  // S² is symmetric with eigenvalues −ω², each twice; x in such a space gives S(x + i·Sx/ω) = −iω(x + i·Sx/ω).
  const S2 = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < N; k++) s += S[i * N + k]! * S[k * N + j]!;
    S2[i * N + j] = s;
  }
  const { values, vectors } = symmetricEigen(S2, N);
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]); // most negative (largest ω) first
  const w: { re: number; im: number }[] = [], B: { re: number; im: number }[] = [], P: { re: number; im: number }[] = [];
  const used = new Set<number>();
  for (const [val, idx] of order) {
    if (w.length === N / 2) break;
    if (used.has(idx)) continue;
    const omega = Math.sqrt(Math.max(-val, 0));
    // Take one vector of the (doubly degenerate) eigenspace; skip its partner.
    const partner = order.find(([v2, i2]) => i2 !== idx && !used.has(i2) && Math.abs(v2 - val) < 1e-8 * Math.max(1, Math.abs(val)));
    used.add(idx);
    if (partner) used.add(partner[1]);
    const x = Array.from({ length: N }, (_, k) => vectors[k * N + idx]!);
    const y = Array.from({ length: N }, (_, i) => (omega > 0 ? x.reduce((s, xk, k) => s + S[i * N + k]! * xk, 0) / omega : 0));
    const norm = Math.sqrt(x.reduce((s, v) => s + v * v, 0) + y.reduce((s, v) => s + v * v, 0));
    // v = (x + i y)/‖·‖; V* b = Σ_k conj(v_k) b_k.
    const dot = (b: number[]) => ({
      re: b.reduce((s, bk, k) => s + (x[k]! / norm) * bk, 0),
      im: b.reduce((s, bk, k) => s - (y[k]! / norm) * bk, 0),
    });
    w.push({ re: -0.5, im: -omega });
    const bb = dot(Bv);
    B.push({ re: bb.re, im: Math.min(2, Math.max(-2, bb.im)) });
    P.push(dot(Pv));
  }
  return { w, B, P };
}
