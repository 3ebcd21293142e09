/**
 * lower-vandermonde: Vandermonde(λ [H,N] | [N], coef [C,H,N], L){scale} →
 *   l = Range(0, Cast(L), 1) in float32, S = Exp(Unsqueeze(λ, −1)·l) [H|1,N,L],
 *   K = scale·(Re c·Re S − Im c·Im S) [H,C,L], c = Transpose(coef → [H,C,N]) → Transpose → [C,H,L]
 *   (the real part of the complex product alone: two real MatMuls).
 * Numbers against the direct float64 sum K[c,h,l] = scale·Re Σ_n coef·exp(λ·l).
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison } from 'ssmc';
import { c64, f32, type Model, printModel, type Tensor, type Value } from 'ssmc/ir';
import { csePass, dcePass, foldConstantsPass, lowerComplexPass, lowerVandermondePass, runPipeline } from 'ssmc/passes';
import { evalF64, input, newModel, opsOf, randomTensor, runOrt } from '../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const H = 4, N = 5, C = 2;

interface Params { lamRe: Float32Array; lamIm: Float32Array; coefRe: Float32Array; coefIm: Float32Array; shared: boolean }

function params(seed: number, shared: boolean): Params {
  const lamDims = shared ? [N] : [H, N];
  return {
    lamRe: (randomTensor(lamDims, seed).data as Float32Array).map((x) => -0.02 - 0.3 * Math.abs(x)),
    lamIm: randomTensor(lamDims, seed + 1, 1.5).data as Float32Array,
    coefRe: randomTensor([C, H, N], seed + 2).data as Float32Array,
    coefIm: randomTensor([C, H, N], seed + 3).data as Float32Array,
    shared,
  };
}

/** K[c,h,l] = scale·Re Σ_n coef[c,h,n]·exp(λ[h,n]·l), in float64. */
function direct(p: Params, scale: number, L: number): Float64Array {
  const out = new Float64Array(C * H * L);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) {
    let s = 0;
    for (let n = 0; n < N; n++) {
      const j = p.shared ? n : h * N + n, q = (c * H + h) * N + n;
      const mag = Math.exp(p.lamRe[j]! * l), ph = p.lamIm[j]! * l;
      s += mag * (p.coefRe[q]! * Math.cos(ph) - p.coefIm[q]! * Math.sin(ph));
    }
    out[(c * H + h) * L + l] = scale * s;
  }
  return out;
}

/**
 * k = Vandermonde(λ, coef, Shape(u)[2]) with λ, coef as complex64 constants, or (runtime) built by
 * ai.ssmc.Complex from float inputs so that nothing folds.
 */
function vmodel(opset: number, p: Params, scale: number, L: number | 'L', runtime = false): Model {
  const { model, b } = newModel(opset);
  const u = input(model, 'u', L === 'L' ? ['batch', H, 'L'] : [1, H, L]);
  const lamDims = p.shared ? [N] : [H, N];
  let lam: Value, coef: Value;
  if (runtime) {
    lam = b.ssm('Complex', [input(model, 'lam_re', lamDims), input(model, 'lam_im', lamDims)]);
    coef = b.ssm('Complex', [input(model, 'coef_re', [C, H, N]), input(model, 'coef_im', [C, H, N])]);
  } else {
    lam = b.initializer('lam', c64(p.lamRe, p.lamIm, lamDims));
    coef = b.initializer('coef', c64(p.coefRe, p.coefIm, [C, H, N]));
  }
  const k = b.ssm('Vandermonde', [lam, coef, b.dim(u, 2)], { scale: { kind: 'float', value: scale } });
  model.graph.renameValue(k, 'k');
  model.graph.outputs.push(k);
  return model;
}

function feeds(p: Params, L: number, runtime: boolean, batch = 1): Record<string, Tensor> {
  const f: Record<string, Tensor> = { u: f32(new Array(batch * H * L).fill(0), [batch, H, L]) };
  if (runtime) {
    const lamDims = p.shared ? [N] : [H, N];
    Object.assign(f, { lam_re: f32(p.lamRe, lamDims), lam_im: f32(p.lamIm, lamDims), coef_re: f32(p.coefRe, [C, H, N]), coef_im: f32(p.coefIm, [C, H, N]) });
  }
  return f;
}

const TAIL = [lowerVandermondePass, lowerComplexPass, foldConstantsPass, csePass, dcePass];

describe('lower-vandermonde: IR before and after', () => {
  it('λ [H,N]: Cast → Range, Unsqueeze(λ)·l → Exp, Transpose(coef), Re·Re − Im·Im → Mul scale → Transpose', () => {
    const model = vmodel(17, params(1, false), 2, 'L');
    expect(printModel(model)).toMatch(/%k = ai\.ssmc\.Vandermonde\(%lam, %coef, %gather\) \{scale=2\.0\} : f32\[2,4,L\]/);
    const before = new Set(model.graph.nodes);
    runPipeline(model, { opset: 17 }, [lowerVandermondePass]);
    const added = model.graph.nodes.filter((n) => !before.has(n));
    expect(added.map((n) => n.qualifiedOp)).toEqual([
      'Cast', 'Range', 'Unsqueeze', 'Mul', 'Exp', 'Transpose',
      'ai.ssmc.Real', 'ai.ssmc.Real', 'MatMul', 'ai.ssmc.Imag', 'ai.ssmc.Imag', 'MatMul', 'Sub', 'Mul', 'Transpose',
    ]);
    const text = printModel(model);
    // The positions as a float Range (a GPU generates them on the device from the host-side length).
    expect(text).toMatch(/%cast = Cast\(%gather\) \{to=1\} : f32\[\]/);
    expect(text).toMatch(/%range = Range\(%zero\w*, %cast, %one\w*\) : f32\[L\]/); // the count is the length's symbol
    expect(text).toMatch(/%unsqueeze = Unsqueeze\(%lam, %axes\w*\) : c64\[4,5,1\]/);
    // λ·l is formed first (in float32 after lower-complex, as the official code does), then exp.
    expect(text).toMatch(/%mul = Mul\(%unsqueeze, %range\) : c64\[4,5,L\]/);
    expect(text).toMatch(/%exp = Exp\(%mul\) : c64\[4,5,L\]/);
    expect(text).toMatch(/%transpose = Transpose\(%coef\) \{perm=\[1,0,2\]\} : c64\[4,2,5\]/);
    expect(text).toMatch(/%real = ai\.ssmc\.Real\(%transpose\) : f32\[4,2,5\]/);
    expect(text).toMatch(/%real_1 = ai\.ssmc\.Real\(%exp\) : f32\[4,5,L\]/);
    expect(text).toMatch(/%matmul = MatMul\(%real, %real_1\) : f32\[4,2,L\]/);
    expect(text).toMatch(/%matmul_1 = MatMul\(%imag, %imag_1\) : f32\[4,2,L\]/);
    expect(text).toMatch(/%sub = Sub\(%matmul, %matmul_1\) : f32\[4,2,L\]/);
    expect(text).toMatch(/%k = Transpose\(%mul_1\) \{perm=\[1,0,2\]\} : f32\[2,4,L\]/);
    expect(text).not.toMatch(/Vandermonde/);
  });

  it('λ [N] shared by all H (parameters as inputs): one more Unsqueeze to [1,N], the MatMuls broadcast; scale 1 adds no Mul', () => {
    const model = vmodel(20, params(2, true), 1, 16, true);
    const before = new Set(model.graph.nodes);
    runPipeline(model, { opset: 20 }, [lowerVandermondePass]);
    const added = model.graph.nodes.filter((n) => !before.has(n));
    expect(added.map((n) => n.qualifiedOp)).toEqual([
      'Cast', 'Range', 'Unsqueeze', 'Unsqueeze', 'Mul', 'Exp', 'Transpose',
      'ai.ssmc.Real', 'ai.ssmc.Real', 'MatMul', 'ai.ssmc.Imag', 'ai.ssmc.Imag', 'MatMul', 'Sub', 'Transpose',
    ]);
    const text = printModel(model);
    expect(text).toMatch(/= Exp\(%\w+\) : c64\[1,5,16\]/);
    expect(text).toMatch(/= MatMul\(%real, %real_1\) : f32\[4,2,16\]/);
    expect(text).toMatch(/%k = Transpose\(%sub\) \{perm=\[1,0,2\]\} : f32\[2,4,16\]/);
  });

  it.each([false, true])('constant λ and coefficients at a fixed length (shared modes: %s): the taps computed at compile time, a float64 constant read through a Cast', (shared) => {
    const p = params(4, shared);
    const model = vmodel(17, p, 2, 100);
    runPipeline(model, { opset: 17 }, [lowerVandermondePass]);
    const cast = model.graph.outputs[0]!.producer!;
    expect(cast.op).toBe('Cast');
    const taps = cast.input(0).constant!;
    expect(taps.dtype).toBe('float64');
    expect(taps.dims).toEqual([C, H, 100]);
    // Within float64 rounding of the direct sum (the powers by tables, not exp per entry).
    const want = direct(p, 2, 100);
    const got = taps.data as Float64Array;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-12);
  });

  it('after lower-complex and dce, only the real part is computed: 2 real MatMuls, no complex value', () => {
    const model = vmodel(17, params(3, false), 2, 'L', true);
    runPipeline(model, { opset: 17 }, TAIL);
    const ops = opsOf(model);
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(2);
    expect(ops).toEqual(expect.arrayContaining(['Exp', 'Cos', 'Sin', 'Sub']));
    expect(ops.filter((o) => o.startsWith('ai.ssmc.'))).toEqual([]);
    expect([...model.graph.values()].filter((v) => v.type.dtype === 'complex64')).toEqual([]);
  });
});

describe.each([
  ['λ [H,N]', false],
  ['λ [N] shared', true],
] as const)('lower-vandermonde, %s: numbers', (_label, shared) => {
  const p = params(7, shared);

  it('float64: the definition and the lowered graph equal the direct sum (L = 1, 7, 32, 100)', () => {
    for (const L of [1, 7, 32, 100]) {
      const want = direct(p, 2, L);
      const model = vmodel(17, p, 2, 'L');
      const ref = evalF64(model, feeds(p, L, false)).get('k')!;
      expect(ref.dims).toEqual([C, H, L]);
      const a = compareToReference(ref.data, want, TOL.F64_REORDERED);
      expect(a.ok, describeComparison(`Vandermonde definition, L=${L}`, a)).toBe(true);
      runPipeline(model, { opset: 17 }, [lowerVandermondePass]);
      const b = compareToReference(evalF64(model, feeds(p, L, false)).get('k')!.data, want, 1e-12);
      expect(b.ok, describeComparison(`lowered, L=${L}`, b)).toBe(true);
    }
  });

  describe.each([17, 20])('opset %i: onnxruntime after the pipeline tail', (opset) => {
    it.each([1, 7, 32, 100])('fixed L = %i (constant λ, coef: the kernel folds)', async (L) => {
      const model = vmodel(opset, p, 2, L);
      runPipeline(model, { opset }, TAIL);
      expect(model.graph.nodes).toEqual([]);
      const k = (await runOrt(model, feeds(p, L, false))).get(model.graph.outputs[0]!.name)!;
      expect(k.dims).toEqual([C, H, L]);
      const cmp = compareToReference(k.data as Float32Array, direct(p, 2, L));
      expect(cmp.ok, describeComparison(`fixed L=${L}`, cmp)).toBe(true);
    });

    it('dynamic L, runtime λ and coef (nothing folds): one graph for L = 1, 7, 32, 100', async () => {
      const model = vmodel(opset, p, 0.5, 'L', true);
      runPipeline(model, { opset }, TAIL);
      for (const L of [1, 7, 32, 100]) {
        const k = (await runOrt(model, feeds(p, L, true, 2))).get('k')!;
        expect(k.dims).toEqual([C, H, L]);
        const cmp = compareToReference(k.data as Float32Array, direct(p, 0.5, L));
        expect(cmp.ok, describeComparison(`dynamic L=${L}`, cmp)).toBe(true);
      }
    });
  });
});
