import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison } from 'ssmc';
import { type Builder, c64, f32, type Model, printModel, type Tensor, type Value, verifyModel } from 'ssmc/ir';
import { dcePass, lowerComplexPass } from 'ssmc/passes';
import { evalF64, input, maxAbsDiff, newModel, opsOf, randomTensor, runOrt } from '../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const target = { opset: 17 };

/** lower-complex then dce, checking the IR after each (no complex64 may remain). */
function lower(model: Model): void {
  expect(lowerComplexPass.run(model, target).changed).toBe(true);
  expect(lowerComplexPass.ensures!(model, target)).toBeNull();
  verifyModel(model, { noComplex: true, checkOpsets: true });
  dcePass.run(model, target);
  verifyModel(model, { noComplex: true, checkOpsets: true });
}

/**
 * Expose a complex value as two real graph outputs `<name>.re` and `<name>.im`. The Identity keeps
 * each output a node of its own: a part that lowers to a graph input (Imag(z + real) is y itself)
 * would otherwise lose its public name — the known bug tested at the end of this file.
 */
function outputParts(model: Model, b: Builder, name: string, z: Value, wrap = true): void {
  const part = (op: string) => (wrap ? b.op('Identity', [b.ssm(op, [z])]) : b.ssm(op, [z]));
  const re = part('Real'), im = part('Imag');
  model.graph.renameValue(re, `${name}.re`);
  model.graph.renameValue(im, `${name}.im`);
  model.graph.outputs.push(re, im);
}

function complexConst(b: Builder, name: string, dims: number[], seed: number): Value {
  const n = dims.reduce((a, d) => a * d, 1);
  const re = randomTensor([n], seed).data as Float32Array, im = randomTensor([n], seed + 1).data as Float32Array;
  return b.initializer(name, c64(re, im, dims));
}

/**
 * Evaluates the model in float64 before and after lowering on the same feeds and returns the
 * largest difference per output. Lowering only rewrites the arithmetic, so in float64 the two
 * agree to rounding (≈1e-16) except where a float32 constant enters (π in atan2).
 */
function lowerAndCompare(model: Model, feeds: Record<string, Tensor>): Map<string, number> {
  const before = evalF64(model, feeds);
  lower(model);
  const after = evalF64(model, feeds);
  expect([...after.keys()]).toEqual([...before.keys()]);
  return new Map([...before].map(([name, ref]) => {
    expect(after.get(name)!.dims, name).toEqual(ref.dims);
    return [name, maxAbsDiff(after.get(name)!.data, ref.data)];
  }));
}

function expectAllBelow(diffs: Map<string, number>, tol: number): void {
  for (const [name, d] of diffs) expect(d, name).toBeLessThanOrEqual(tol);
}

describe('lower-complex: IR before and after', () => {
  it('complex × complex constant splits the constant and multiplies out (re, im); dce keeps only what Imag needs', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3]), y = input(model, 'y', [2, 3]);
    const z = b.ssm('Complex', [x, y]);
    const w = b.initializer('w', c64([1, 2, 3], [4, 5, 6], [3]));
    const im = b.ssm('Imag', [b.mul(z, w)]);
    model.graph.renameValue(im, 'im');
    model.graph.outputs.push(im);
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,3], %y: f32[2,3]) -> (%im: f32[2,3]) {
        const %w: c64[3] = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        %complex = ai.ssmc.Complex(%x, %y) : c64[2,3]
        %mul = Mul(%complex, %w) : c64[2,3]
        %im = ai.ssmc.Imag(%mul) : f32[2,3]
        return %im
      }"
    `);
    lower(model);
    // Only im = x·w.im + y·w.re is left: the real half and the complex initializer are gone.
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,3], %y: f32[2,3]) -> (%im: f32[2,3]) {
        const %w.re: f32[3] = [1.0, 2.0, 3.0]
        const %w.im: f32[3] = [4.0, 5.0, 6.0]
        %mul_3 = Mul(%x, %w.im) : f32[2,3]
        %mul_4 = Mul(%y, %w.re) : f32[2,3]
        %im = Add(%mul_3, %mul_4) : f32[2,3]
        return %im
      }"
    `);
  });

  it('Complex broadcasts a scalar imaginary part with Expand so both halves carry the full shape', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3]);
    const z = b.ssm('Complex', [x, b.f32(0.5, [], 'half')]);
    const e = b.op('Exp', [z]);
    outputParts(model, b, 'e', e, false);
    lower(model);
    expect(opsOf(model)).toContain('Expand');
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%x: f32[2,3]) -> (%e.re: f32[2,3], %e.im: f32[2,3]) {
        const %half_1_1: f32[] = [0.5]
        %shape = Shape(%x) : i64[2]
        %expand = Expand(%half_1_1, %shape) : f32[2,3]
        %exp_1 = Exp(%x) : f32[2,3]
        %cos = Cos(%expand) : f32[2,3]
        %e.re = Mul(%exp_1, %cos) : f32[2,3]
        %sin = Sin(%expand) : f32[2,3]
        %e.im = Mul(%exp_1, %sin) : f32[2,3]
        return %e.re, %e.im
      }"
    `);
  });
});

describe('lower-complex: numbers equal the complex float64 definition', () => {
  it('Add, Sub, Mul, Div, Neg, Conj, Exp with complex and real operands and broadcasting', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3]), y = input(model, 'y', [2, 3]), r = input(model, 'r', [2, 3]);
    const z = b.ssm('Complex', [x, y]);
    const w = complexConst(b, 'w', [3], 10); // broadcasts over rows
    const s = input(model, 's', [3]); // a real row, broadcast
    const cases: Record<string, Value> = {
      zw: b.mul(z, w), zr: b.mul(z, r), rz: b.mul(r, z),
      z_div_w: b.div(z, w), z_div_r: b.div(z, r), r_div_z: b.div(r, z), s_div_z: b.div(s, z),
      z_add_s: b.add(z, s), s_add_z: b.add(s, z), s_sub_z: b.sub(s, z), z_sub_s: b.sub(z, s), z_sub_w: b.sub(z, w),
      neg: b.neg(z), conj: b.ssm('Conj', [z]), exp: b.exp(z), exp_w: b.exp(b.mul(w, b.f32(0.5))),
    };
    for (const [name, v] of Object.entries(cases)) outputParts(model, b, name, v);
    const feeds = {
      x: randomTensor([2, 3], 1), y: randomTensor([2, 3], 2), r: randomTensor([2, 3], 3), s: randomTensor([3], 4),
    };
    expectAllBelow(lowerAndCompare(model, feeds), TOL.F64_REORDERED);
    expect(opsOf(model)).toEqual(expect.arrayContaining(['Cos', 'Sin', 'Exp', 'Div', 'Neg']));
  });

  it('Log on every quadrant, both axes and the negative real axis (log(−r) = log r + iπ)', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [12]), y = input(model, 'y', [12]);
    const lz = b.op('Log', [b.ssm('Complex', [x, y])]);
    outputParts(model, b, 'log', lz);
    // Right half-plane, left half-plane (both signs of y), y = 0 with x < 0, x = 0 with y ≷ 0.
    const xs = [2, 0.5, 3, -1, -2, -0.25, -1, -3, 0, 0, 1e-3, -4];
    const ys = [1, -0.75, 0, 2, -0.5, 0.25, 0, 0, 1.5, -2, 5, 1e-3];
    const feeds = { x: f32(xs, [12]), y: f32(ys, [12]) };
    const ref = evalF64(model, feeds);
    lower(model);
    expect(opsOf(model)).toEqual(expect.arrayContaining(['Atan', 'Where', 'Log']));
    const out = evalF64(model, feeds);
    expect(maxAbsDiff(out.get('log.re')!.data, ref.get('log.re')!.data)).toBeLessThanOrEqual(TOL.F64_REORDERED);
    const im = out.get('log.im')!.data, imRef = ref.get('log.im')!.data;
    for (let i = 0; i < xs.length; i++) {
      // atan(y/x) alone is exact to rounding on the right half-plane; elsewhere ±π or ±π/2 enter
      // as float32 constants (|π − fround(π)| ≈ 8.7e-8).
      const tol = xs[i]! > 0 ? TOL.F64_REORDERED : TOL.F32_PI;
      expect(Math.abs(im[i]! - imRef[i]!), `log(${xs[i]} + ${ys[i]}i).im`).toBeLessThanOrEqual(tol);
    }
    expect(im[6]!).toBeCloseTo(Math.PI, TOL.F32_DIGITS); // log(−1)
    expect(im[7]!).toBeCloseTo(Math.PI, TOL.F32_DIGITS); // log(−3)
    expect(im[8]!).toBeCloseTo(Math.PI / 2, TOL.F32_DIGITS); // log(1.5i)
    expect(im[9]!).toBeCloseTo(-Math.PI / 2, TOL.F32_DIGITS); // log(−2i)
    expect(im[4]!).toBeCloseTo(Math.atan2(-0.5, -2), TOL.F32_DIGITS); // third quadrant: −π + atan(y/x)
  });

  it('MatMul complex × complex with broadcast batch dims, complex × real and real × complex', () => {
    const { model, b } = newModel(17);
    const ar = input(model, 'ar', [2, 1, 3, 4]), ai = input(model, 'ai', [2, 1, 3, 4]);
    const a = b.ssm('Complex', [ar, ai]);
    const bm = complexConst(b, 'B', [5, 4, 2], 20); // batch [5] broadcasts against [2, 1]
    const real = input(model, 'm', [4, 2]);
    const left = input(model, 'l', [6, 3]);
    outputParts(model, b, 'ab', b.matmul(a, bm));
    outputParts(model, b, 'am', b.matmul(a, real));
    outputParts(model, b, 'la', b.matmul(left, a));
    const feeds = {
      ar: randomTensor([2, 1, 3, 4], 1), ai: randomTensor([2, 1, 3, 4], 2), m: randomTensor([4, 2], 3), l: randomTensor([6, 3], 4),
    };
    const diffs = lowerAndCompare(model, feeds);
    expectAllBelow(diffs, TOL.F64_REORDERED);
    const shapes = model.graph.outputs.map((v) => `${v.name}: ${JSON.stringify(v.type.shape)}`);
    expect(shapes).toEqual([
      'ab.re: [2,5,3,2]', 'ab.im: [2,5,3,2]', 'am.re: [2,1,3,2]', 'am.im: [2,1,3,2]', 'la.re: [2,1,6,4]', 'la.im: [2,1,6,4]',
    ]);
    // complex × complex: 4 real products; with one real operand: 2 each.
    expect(opsOf(model).filter((o) => o === 'MatMul')).toHaveLength(8);
  });

  it('structural ops act on both halves: Transpose, Reshape, Unsqueeze, Squeeze, Concat, Slice, Gather, Expand, Identity, ReduceSum', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3, 4]), y = input(model, 'y', [2, 3, 4]);
    const r = input(model, 'r', [2, 1, 4]);
    const z = b.ssm('Complex', [x, y]);
    const cases: Record<string, Value> = {
      transpose: b.transpose(z, [2, 0, 1]),
      reshape: b.reshape(z, [6, 4]),
      unsqueeze: b.unsqueeze(z, [0, 3]),
      squeeze: b.squeeze(b.unsqueeze(z, [1]), [1]),
      concat: b.concat([z, r, z], 1), // a real part in the middle: its imaginary part is zeros
      slice: b.slice(z, [1, -3], [3, 100], [1, 2], [1, 2]),
      gather: b.op('Gather', [z, b.i64([2, 0, 2])], { axis: 1 }),
      expand: b.op('Expand', [z, b.i64([5, 2, 3, 4])]),
      identity: b.op('Identity', [z]),
      reducesum: b.op('ReduceSum', [z, b.i64([0, 2])], { keepdims: 0 }),
    };
    for (const [name, v] of Object.entries(cases)) outputParts(model, b, name, v);
    const feeds = { x: randomTensor([2, 3, 4], 1), y: randomTensor([2, 3, 4], 2), r: randomTensor([2, 1, 4], 3) };
    expectAllBelow(lowerAndCompare(model, feeds), TOL.F64_REORDERED);
  });

  it('the lowered graph runs in onnxruntime and matches the complex float64 reference', async () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [3, 4]), y = input(model, 'y', [3, 4]);
    const z = b.ssm('Complex', [x, y]);
    const w = complexConst(b, 'w', [4, 2], 30);
    const q = b.div(b.op('Log', [z]), b.add(b.exp(b.mul(z, b.f32(0.3))), b.f32(2)));
    outputParts(model, b, 'out', b.matmul(q, w));
    const xs = randomTensor([3, 4], 5), ys = randomTensor([3, 4], 6);
    (xs.data as Float32Array)[0] = -1.5; // a point on the branch cut
    (ys.data as Float32Array)[0] = 0;
    const feeds = { x: xs, y: ys };
    const ref = evalF64(model, feeds);
    lower(model);
    const got = await runOrt(model, feeds);
    for (const name of ['out.re', 'out.im']) {
      const cmp = compareToReference(got.get(name)!.data as Float32Array, ref.get(name)!.data);
      expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
    }
  });
});

describe('lower-complex: constants and interfaces', () => {
  it('Shape, Split, Flatten, Tile, ReduceMean and a complex Constant node', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [4, 3]), y = input(model, 'y', [4, 3]);
    const z = b.ssm('Complex', [x, y]);
    const k = b.op('Constant', [], { value: c64([1, 2, 3], [-1, 0.5, 2], [3]) });
    const zk = b.mul(z, k);
    const [s1, s2] = b.node('Split', [zk, b.i64([1, 3])], { axis: 0 }, 2);
    outputParts(model, b, 'split0', s1!);
    outputParts(model, b, 'split1', s2!);
    outputParts(model, b, 'flatten', b.op('Flatten', [zk], { axis: 1 }));
    outputParts(model, b, 'mean', b.op('ReduceMean', [zk], { axes: [0], keepdims: 0 }));
    outputParts(model, b, 'tile', b.op('Tile', [zk, b.i64([2, 1])]));
    const shape = b.cast(b.op('Shape', [zk]), 1);
    model.graph.renameValue(shape, 'dims');
    model.graph.outputs.push(shape);
    expectAllBelow(lowerAndCompare(model, { x: randomTensor([4, 3], 1), y: randomTensor([4, 3], 2) }), TOL.F64_REORDERED);
  });

  it('a complex initializer becomes two float32 initializers of its real and imaginary parts', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const w = b.initializer('w', c64([1.5, -2], [0.25, 3], [2]));
    outputParts(model, b, 'p', b.mul(w, x));
    lower(model);
    const inits = model.graph.initializers.map((v) => [v.name, v.type.dtype, [...(v.constant!.data as Float32Array)]]);
    expect(inits).toHaveLength(2);
    expect(inits[0]![0]).toMatch(/^w\.re/);
    expect(inits[0]!.slice(1)).toEqual(['float32', [1.5, -2]]);
    expect(inits[1]![0]).toMatch(/^w\.im/);
    expect(inits[1]!.slice(1)).toEqual(['float32', [0.25, 3]]);
    expect([...model.graph.values()].filter((v) => v.type.dtype === 'complex64')).toEqual([]);
  });

  it('rejects a complex graph input or output by name', () => {
    const a = newModel(17);
    const z = a.model.graph.addInput('zin', { dtype: 'complex64', shape: [2] });
    const re = a.b.ssm('Real', [z]);
    a.model.graph.outputs.push(re);
    expect(() => lowerComplexPass.run(a.model, target)).toThrow(/graph input 'zin' is complex/);

    const c = newModel(17);
    const x = input(c.model, 'x', [2]);
    const out = c.b.ssm('Complex', [x, x]);
    c.model.graph.renameValue(out, 'zout');
    c.model.graph.outputs.push(out);
    expect(() => lowerComplexPass.run(c.model, target)).toThrow(/graph output 'zout' is complex/);
  });

  it('an op without a complex lowering is an error naming the node and listing the supported ops', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2]);
    const abs = b.op('Abs', [b.ssm('Complex', [x, x])], {}, { name: 'magnitude' });
    outputParts(model, b, 'a', abs);
    expect(() => lowerComplexPass.run(model, target)).toThrow(/node 'magnitude' \(Abs\).*supports only .*MatMul/);
  });

  // Real(Complex(x, y)) is x itself, and a graph input cannot take the output's name: an Identity
  // carries the public name instead, so the graph never returns its own input under another name.
  it('a real output whose lowered value is a graph input keeps its public name', () => {
    const { model, b } = newModel(17);
    const x = input(model, 'x', [2, 3]), y = input(model, 'y', [2, 3]), s = input(model, 's', [3]);
    const z = b.ssm('Complex', [x, y]);
    const outs: [string, Value][] = [
      ['re', b.ssm('Real', [z])], // = x
      ['conj_re', b.ssm('Real', [b.ssm('Conj', [z])])], // = x again
      ['sum_im', b.ssm('Imag', [b.add(z, s)])], // = y (a real addend leaves the imaginary part)
    ];
    for (const [name, v] of outs) {
      model.graph.renameValue(v, name);
      model.graph.outputs.push(v);
    }
    lower(model);
    // Today: ['x', 'x', 'y'] — the interface is renamed and two outputs share a name.
    expect(model.graph.outputs.map((v) => v.name)).toEqual(['re', 'conj_re', 'sum_im']);
  });
});
