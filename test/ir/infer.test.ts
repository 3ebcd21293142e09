/**
 * Shape inference rules: every node the builder makes is typed at once from these, and the
 * verifier re-runs them. Symbolic dims are kept where the rule can (batch, L), lost (null) where a
 * product or an unknown value makes them anonymous, and a mismatch is a TypeInferenceError naming the node.
 */
import { describe, expect, it } from 'vitest';
import { Builder, type Dim, inferNode, longConv, Model, SSMC_DOMAIN, tensorType, TypeInferenceError, type Value } from 'ssmc/ir';

function setup(opset = 17) {
  const model = new Model(opset);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  const b = new Builder(model.graph, opset);
  const input = (name: string, shape: Dim[] | null, dtype: 'float32' | 'int64' | 'complex64' = 'float32') => model.graph.addInput(name, tensorType(dtype, shape));
  return { model, b, input };
}

const shape = (v: Value) => v.type.shape;

describe('ONNX ops', () => {
  it('elementwise: numpy broadcasting, symbols against 1 and against themselves', () => {
    const { b, input } = setup();
    const x = input('x', ['batch', 1, 'L']), y = input('y', [4, 1]), z = input('z', ['batch', 4, 'L']);
    expect(shape(b.add(x, y))).toEqual(['batch', 4, 'L']);
    expect(shape(b.mul(x, z))).toEqual(['batch', 4, 'L']);
    expect(b.op('Equal', [x, z]).type.dtype).toBe('bool');
    expect(shape(b.add(y, input('w', [3])))).toEqual([4, 3]);
    expect(() => b.add(y, input('v', [3, 2]))).toThrow(TypeInferenceError);
  });

  it('MatMul: batch dims broadcast, inner dims must agree', () => {
    const { b, input } = setup();
    const a = input('a', ['batch', 1, 'L', 8]), w = input('w', [4, 8, 2]);
    expect(shape(b.matmul(a, w))).toEqual(['batch', 4, 'L', 2]);
    expect(shape(b.matmul(input('v', [8]), w))).toEqual([4, 2]);
    expect(() => b.matmul(a, input('bad', [3, 2]))).toThrow(/MatMul/);
  });

  it('Reshape: 0 copies a dim, −1 is inferred, symbolic targets come from shape values', () => {
    const { b, input } = setup();
    const x = input('x', [3, 4, 6]);
    expect(shape(b.reshape(x, [0, -1]))).toEqual([3, 24]);
    expect(shape(b.reshape(x, [0, 2, 2, -1]))).toEqual([3, 2, 2, 6]);
    // −1 beside a symbol: a symbol on both sides cancels by name; one left over leaves it unknown
    expect(shape(b.reshape(input('s', ['batch', 4, 6]), [0, -1]))).toEqual(['batch', 24]);
    expect(shape(b.reshape(input('t', ['batch', 1, 32, 'L']), [0, 32, -1]))).toEqual(['batch', 32, 'L']);
    expect(shape(b.reshape(input('r', ['batch', 'L', 6]), [-1, 6]))).toEqual([null, 6]);
    const u = input('u', ['batch', 4, 'L']);
    const target = b.concat([b.unsqueeze(b.dim(u, 0), [0]), b.i64([2, 2]), b.unsqueeze(b.dim(u, 2), [0])], 0);
    expect(shape(b.reshape(u, target))).toEqual(['batch', 2, 2, 'L']);
  });

  it('Concat adds the axis (a sum of symbols has no name), Transpose permutes, Gather indexes', () => {
    const { b, input } = setup();
    const x = input('x', ['batch', 4, 'L']), y = input('y', ['batch', 2, 'L']);
    expect(shape(b.concat([x, y], 1))).toEqual(['batch', 6, 'L']);
    expect(shape(b.concat([x, x], 2))).toEqual(['batch', 4, null]);
    expect(shape(b.transpose(x, [2, 0, 1]))).toEqual(['L', 'batch', 4]);
    expect(shape(b.op('Gather', [x, b.i64([0, 1, 1], [3])], { axis: 1 }))).toEqual(['batch', 3, 'L']);
    expect(shape(b.op('Gather', [x, b.i64(0, [])], { axis: 1 }))).toEqual(['batch', 'L']);
  });

  it('Slice with constant bounds fixes the dim; Pad adds constant pads', () => {
    const { b, input } = setup();
    const x = input('x', [2, 16]);
    expect(shape(b.slice(x, [2], [10], [1]))).toEqual([2, 8]);
    expect(shape(b.slice(x, [-1], [Number.MIN_SAFE_INTEGER], [1], [-1]))).toEqual([2, 16]);
    expect(shape(b.op('Pad', [x, b.i64([0, 1, 0, 3])]))).toEqual([2, 20]);
  });

  it('DFT: the axis takes the transform length, the last dim is (re, im)', () => {
    const { b, input } = setup();
    const x = input('x', [1, 8, 1]);
    expect(shape(b.op('DFT', [x, b.i64(16, [])], { axis: 1 }))).toEqual([1, 16, 2]);
    expect(shape(b.op('DFT', [x, b.i64(16, [])], { axis: 1, onesided: 1 }))).toEqual([1, 9, 2]);
  });

  it('Conv: output length from pads, kernel and stride; channels from the weight', () => {
    const { b, input } = setup();
    const x = input('x', [1, 4, 10]), w = input('w', [8, 1, 3]);
    expect(shape(b.op('Conv', [x, w], { group: 4 }))).toEqual([1, 8, 8]);
    expect(shape(b.op('Conv', [x, w], { group: 4, pads: [2, 0] }))).toEqual([1, 8, 10]);
  });

  it('an op without a rule is refused, unless lenient (imported models)', () => {
    const { model, input } = setup();
    const node = model.graph.createNode('', 'NoSuchOp', [input('x', [1])], {}, 1);
    expect(() => inferNode(node, 17)).toThrow("node 'nosuchop' (NoSuchOp): no shape inference rule for this op (the compiler never emits it)");
    expect(() => inferNode(node, 17, { lenient: true })).not.toThrow();
  });
});

describe('SSM ops (ir/ssm-ops.ts)', () => {
  it('Discretize: λ broadcasts dt [H,1] over A [H,N]; coef has BC’s shape', () => {
    const { b, input } = setup();
    const [lambda, coef] = b.node('Discretize', [input('dt', [4, 1]), input('A', [4, 3], 'complex64'), input('BC', [2, 4, 3], 'complex64')], { disc: 'zoh' }, 2, { domain: SSMC_DOMAIN });
    expect(lambda!.type).toEqual(tensorType('complex64', [4, 3]));
    expect(coef!.type).toEqual(tensorType('complex64', [2, 4, 3]));
    expect(() => b.node('Discretize', [input('dt2', [4, 1]), input('A2', [4, 3]), input('BC2', [2, 4, 3], 'complex64')], {}, 2, { domain: SSMC_DOMAIN })).toThrow('A must be complex64');
  });

  it('Vandermonde: [C,H,L] with L a constant, or a symbol read from Shape(u)', () => {
    const { b, input } = setup();
    const lambda = input('lambda', [4, 3], 'complex64'), coef = input('coef', [2, 4, 3], 'complex64');
    expect(shape(b.ssm('Vandermonde', [lambda, coef, b.i64(32, [])]))).toEqual([2, 4, 32]);
    const u = input('u', ['batch', 4, 'L']);
    expect(shape(b.ssm('Vandermonde', [lambda, coef, b.dim(u, 2)]))).toEqual([2, 4, 'L']);
    expect(shape(b.ssm('Vandermonde', [lambda, input('packed', [2, 4, 3, 2]), b.i64(8, [])]))).toEqual([2, 4, 8]); // the custom op's (re, im) form
  });

  it('LongConv in each kernel form: y [B,C,H,L] with C from the kernel', () => {
    const { b, input } = setup();
    const u = input('u', ['batch', 4, 'L']);
    expect(shape(longConv(b, { kernel: 'taps', u, k: input('k', [2, 4, 'L']), kRev: null }))).toEqual(['batch', 2, 4, 'L']);
    const lambda = input('lambda', [4, 3], 'complex64'), coef = input('coef', [3, 4, 3], 'complex64');
    expect(shape(longConv(b, { kernel: 'diagonal', u, length: b.dim(u, 2), scale: 2, causal: { lambda, coef }, reverse: null }))).toEqual(['batch', 3, 4, 'L']);
    expect(shape(longConv(b, { kernel: 'dense', u, A: input('A', [4, 6, 6]), B: input('B', [4, 6]), C: input('C', [1, 4, 6]), taps: null }))).toEqual(['batch', 1, 4, 'L']);
  });

  it('LongConv rejects operands that do not fit their form', () => {
    const { b, input } = setup();
    const u = input('u', ['batch', 4, 'L']);
    expect(() => longConv(b, { kernel: 'taps', u, k: input('k', [4, 'L']), kRev: null })).toThrow(/the kernel k \[C,H,Lk\]/);
    const lambda = input('lambda', [4, 3]), coef = input('coef', [3, 4, 3], 'complex64');
    expect(() => longConv(b, { kernel: 'diagonal', u, length: b.dim(u, 2), scale: 1, causal: { lambda, coef }, reverse: null })).toThrow('lambda and coef must be complex64');
    expect(() => longConv(b, { kernel: 'dense', u, A: input('A', [4, 6]), B: input('B', [4, 6]), C: input('C', [1, 4, 6]), taps: null })).toThrow(/the state matrix A \[H,S,S\]/);
    expect(() => b.ssm('LongConv', [u, input('k2', [1, 4, 8])], { kernel: 'fft' })).toThrow("attribute 'kernel' must be taps, diagonal or dense, got 'fft'");
  });

  it('DiagSSMStep: y [B,C,H] and the next state, complex or packed (re, im)', () => {
    const { b, input } = setup();
    const coef = input('coef', [2, 4, 3], 'complex64'), lambda = input('lambda', [4, 3], 'complex64');
    const [y, x] = b.node('DiagSSMStep', [input('x', ['batch', 4, 3], 'complex64'), input('u', ['batch', 4]), lambda, coef], {}, 2, { domain: SSMC_DOMAIN });
    expect([y!.type, x!.type]).toEqual([tensorType('float32', ['batch', 2, 4]), tensorType('complex64', ['batch', 4, 3])]);
    const [, xp] = b.node('DiagSSMStep', [input('xp', ['batch', 4, 3, 2]), input('up', ['batch', 4]), input('lp', [4, 3, 2]), input('cp', [2, 4, 3, 2])], {}, 2, { domain: SSMC_DOMAIN });
    expect(xp!.type).toEqual(tensorType('float32', ['batch', 4, 3, 2]));
  });
});
