/**
 * select-lowering and the long-convolution lowerings, shown as IR text before → after (the
 * printer is the golden form; `vitest -u` rewrites it when a change is meant), beside the numbers:
 * the lowered graph evaluated in float64 against the LongConv it replaced, which the interpreter
 * evaluates from the op's definition.
 */
import { describe, expect, it } from 'vitest';
import { c64, f32, type Model, printModel, type Tensor, verifyModel } from 'ssmc/ir';
import { chunkedLowering, dcePass, directLowering, dftLowering, fourstepLowering, LOWERINGS, LoweringRefusedError, lowerConvPass, runPipeline, selectLoweringPass, type ConvLowering, type LoweringDecision } from 'ssmc/passes';
import { evalF64, input, maxAbsDiff, newModel, randomTensor, opsOf } from '../../helpers/graphs.js';
import { TEST_TOLERANCES as TOL } from '../../helpers/tolerances.js';

const H = 2, L = 8;

/** λ and the coefficients: one mode per channel, or two modes shared by both channels. */
function paramValues(modes: 'per-channel' | 'shared'): { lambda: Tensor; coef: Tensor } {
  return modes === 'shared'
    ? { lambda: c64([-0.3, -0.1], [0.5, 1.2], [2]), coef: c64([0.7, -0.4, 0.3, 0.1], [0.2, 0.9, -0.5, 0.6], [1, H, 2]) }
    : { lambda: c64([-0.3, -0.1], [0.5, 1.2], [H, 1]), coef: c64([0.7, -0.4], [0.2, 0.9], [1, H, 1]) };
}

/**
 * y = LongConv(u) of a one-mode diagonal kernel per channel, K_l = 2·Re coef·λ^l, at a fixed or
 * symbolic length. `params: 'inputs'` makes λ and the coefficients graph inputs (as in a custom
 * op's function body), so a lowering cannot compute its weights at compile time; `modes: 'shared'`
 * gives two modes shared by both channels (λ [N], as in DSS and GSS).
 */
function diagonalModel(length: number | 'L', params: 'constants' | 'inputs' = 'constants', modes: 'per-channel' | 'shared' = 'per-channel'): Model {
  const { model, b } = newModel(17);
  const u = input(model, 'u', [1, H, length]);
  const values = paramValues(modes);
  const param = (name: 'lambda' | 'coef') => {
    const t = values[name];
    if (params === 'constants') return b.initializer(name, t);
    const re = input(model, `${name}_re`, [...t.dims]), im = input(model, `${name}_im`, [...t.dims]);
    return b.ssm('Complex', [re, im]);
  };
  const lambda = param('lambda');
  const coef = param('coef');
  const y = b.ssm('LongConv', [u, lambda, coef, b.dim(u, 2)], { kernel: 'diagonal', scale: { kind: 'float', value: 2 } });
  model.graph.renameValue(y, 'y');
  model.graph.outputs.push(y);
  return model;
}

const U = randomTensor([1, H, L], 7);

function select(model: Model, lowering: string): LoweringDecision[] {
  const pass = selectLoweringPass(LOWERINGS);
  return runPipeline(model, { opset: 17, lowering }, [pass]).reportOf(pass)!;
}

describe('select-lowering: IR before and after', () => {
  it('a taps lowering (dft): the diagonal kernel becomes its Vandermonde taps, the node is tagged', () => {
    const model = diagonalModel(L);
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%u: f32[1,2,8]) -> (%y: f32[1,1,2,8]) {
        const %lambda: c64[2,1] = [-0.300000012, 0.5, -0.100000001, 1.20000005]
        const %coef: c64[1,2,1] = [0.699999988, 0.200000003, -0.400000006, 0.899999976]
        const %axis_1_1: i64[] = [2]
        %shape = Shape(%u) : i64[3]
        %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]
        %y = ai.ssmc.LongConv(%u, %lambda, %coef, %gather) {kernel="diagonal", scale=2.0} : f32[1,1,2,8]
        return %y
      }"
    `);
    const node = model.graph.nodes.find((n) => n.op === 'LongConv')!;
    const decisions = select(model, 'dft');
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%u: f32[1,2,8]) -> (%y: f32[1,1,2,8]) {
        const %lambda: c64[2,1] = [-0.300000012, 0.5, -0.100000001, 1.20000005]
        const %coef: c64[1,2,1] = [0.699999988, 0.200000003, -0.400000006, 0.899999976]
        const %axis_1_1: i64[] = [2]
        %shape = Shape(%u) : i64[3]
        %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]
        %vandermonde = ai.ssmc.Vandermonde(%lambda, %coef, %gather) {scale=2.0} : f32[1,2,8]
        %y = ai.ssmc.LongConv(%u, %vandermonde) {lowering="dft"} : f32[1,1,2,8]
        return %y
      }"
    `);
    expect(decisions).toEqual([expect.objectContaining({ lowering: 'dft', how: 'forced', reason: 'forced by --lowering' })]);
    expect(decisions[0]!.node).toBe(node); // by reference: the same node, rewritten in place
  });

  it('a state-space lowering (chunked): the description stays, the node is tagged', () => {
    const model = diagonalModel(L);
    select(model, 'chunked');
    expect(printModel(model)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%u: f32[1,2,8]) -> (%y: f32[1,1,2,8]) {
        const %lambda: c64[2,1] = [-0.300000012, 0.5, -0.100000001, 1.20000005]
        const %coef: c64[1,2,1] = [0.699999988, 0.200000003, -0.400000006, 0.899999976]
        const %axis_1_1: i64[] = [2]
        %shape = Shape(%u) : i64[3]
        %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]
        %y = ai.ssmc.LongConv(%u, %lambda, %coef, %gather) {kernel="diagonal", lowering="chunked", scale=2.0} : f32[1,1,2,8]
        return %y
      }"
    `);
  });

  it('auto: the cost model chooses and says why, every lowering estimated or ruled out', () => {
    const model = diagonalModel('L');
    const [d] = select(model, 'auto');
    expect(d!.how).toBe('auto');
    expect(d!.estimates.map((e) => [e.lowering, e.ms === null ? e.note : 'estimated'])).toEqual([
      ['dft', 'estimated'],
      ['fourstep', 'the four-step FFT needs a fixed length; compile with --seq-len N'],
      ['chunked', 'estimated'],
      ['doubling', 'estimated'],
      ['direct', 'estimated'],
    ]);
    expect(d!.reason).toMatch(new RegExp(`^est\\. [\\d.]+ ms on ort-cpu, [\\d.]+× faster than \\w+; .*\\(dynamic length, planned for L=2048\\)$`));
  });

  it('a forced lowering the convolution cannot take is a LoweringRefusedError naming the node', () => {
    const model = diagonalModel('L');
    const node = model.graph.nodes.find((n) => n.op === 'LongConv')!;
    const thrown = (() => { try { select(model, 'fourstep'); } catch (e) { return e; } })() as { cause?: unknown };
    expect(thrown.cause).toBeInstanceOf(LoweringRefusedError);
    expect(thrown.cause).toMatchObject({ node, lowering: 'fourstep', why: 'the four-step FFT needs a fixed length; compile with --seq-len N' });
  });
});

/** The model, tagged for `lowering` and formed by select-lowering, then lowered by its pass alone (and DCE). */
function lowered(lowering: ConvLowering, length: number | 'L' = L, ...form: [('constants' | 'inputs')?, ('per-channel' | 'shared')?]): { before: Model; after: Model } {
  const before = diagonalModel(length, ...form);
  select(before, lowering.name);
  const after = diagonalModel(length, ...form);
  runPipeline(after, { opset: 17, lowering: lowering.name }, [selectLoweringPass(LOWERINGS), lowerConvPass(lowering), dcePass]);
  verifyModel(after);
  return { before, after };
}

/** λ and the coefficients as the feeds of a model whose parameters are inputs: their real and imaginary parts. */
function paramFeeds(modes: 'per-channel' | 'shared'): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(paramValues(modes))) {
    const pairs = t.data as Float32Array;
    feeds[`${name}_re`] = f32(pairs.filter((_, i) => i % 2 === 0), t.dims);
    feeds[`${name}_im`] = f32(pairs.filter((_, i) => i % 2 === 1), t.dims);
  }
  return feeds;
}

function sameNumbers(before: Model, after: Model, tol: number, params: Record<string, Tensor> = {}, u: Tensor = U): void {
  const feeds = { u, ...params };
  const want = evalF64(before, feeds).get('y')!, got = evalF64(after, feeds).get('y')!;
  expect(got.dims).toEqual(want.dims);
  expect(maxAbsDiff(got.data, want.data)).toBeLessThan(tol);
}

describe('the lowerings: IR after, numbers against the LongConv they replace', () => {
  it('direct: one depthwise Conv over the padded input, the kernel reversed', () => {
    const { before, after } = lowered(directLowering);
    expect(printModel(after)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%u: f32[1,2,8]) -> (%y: f32[1,1,2,8]) {
        const %lambda: c64[2,1] = [-0.300000012, 0.5, -0.100000001, 1.20000005]
        const %coef: c64[1,2,1] = [0.699999988, 0.200000003, -0.400000006, 0.899999976]
        const %axis_1_1: i64[] = [2]
        const %starts_1_1: i64[1] = [-1]
        const %ends_1_1: i64[1] = [-9007199254740991]
        const %axes_1_1: i64[1] = [2]
        const %steps_1_1: i64[1] = [-1]
        const %shape_1_1: i64[3] = [2, 1, -1]
        const %pad_left_1_1: i64[1] = [7]
        const %pad_right_1_1: i64[1] = [0]
        const %pads_1_1: i64[2] = [0, 0]
        const %shape_2_1: i64[4] = [0, 2, 1, -1]
        %shape = Shape(%u) : i64[3]
        %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]
        %vandermonde = ai.ssmc.Vandermonde(%lambda, %coef, %gather) {scale=2.0} : f32[1,2,8]
        %slice = Slice(%vandermonde, %starts_1_1, %ends_1_1, %axes_1_1, %steps_1_1) : f32[1,2,8]
        %concat = Concat(%slice) {axis=2} : f32[1,2,8]
        %transpose = Transpose(%concat) {perm=[1,0,2]} : f32[2,1,8]
        %reshape = Reshape(%transpose, %shape_1_1) : f32[2,1,8]
        %concat_1 = Concat(%pads_1_1, %pad_left_1_1, %pads_1_1, %pad_right_1_1) {axis=0} : i64[6]
        %pad = Pad(%u, %concat_1) : f32[1,2,15]
        %conv = Conv(%pad, %reshape) {group=2} : f32[1,2,8]
        %reshape_1 = Reshape(%conv, %shape_2_1) : f32[1,2,1,8]
        %y = Transpose(%reshape_1) {perm=[0,2,1,3]} : f32[1,1,2,8]
        return %y
      }"
    `);
    sameNumbers(before, after, TOL.F64_SUMS);
  });

  it('dft: two real rows per complex DFT, the spectrum product, the inverse, the first L samples', () => {
    const { before, after } = lowered(dftLowering);
    expect(printModel(after)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%u: f32[1,2,8]) -> (%y: f32[1,1,2,8]) {
        const %lambda: c64[2,1] = [-0.300000012, 0.5, -0.100000001, 1.20000005]
        const %coef: c64[1,2,1] = [0.699999988, 0.200000003, -0.400000006, 0.899999976]
        const %axis_1_1: i64[] = [2]
        const %fft_len_1_1: i64[] = [16]
        const %shape_1_1: i64[4] = [1, 1, 2, -1]
        const %split_1_1: i64[2] = [1, 1]
        const %starts_1_1: i64[1] = [0]
        const %ends_1_1: i64[1] = [1]
        const %axes_1_1: i64[1] = [-1]
        const %starts_2_1: i64[1] = [-1]
        const %ends_2_1: i64[1] = [0]
        const %axes_2_1: i64[1] = [-1]
        const %steps_1_1: i64[1] = [-1]
        const %starts_3_1: i64[1] = [0]
        const %ends_3_1: i64[1] = [1]
        const %axes_3_1: i64[1] = [-1]
        const %starts_4_1: i64[1] = [-1]
        const %ends_4_1: i64[1] = [0]
        const %axes_4_1: i64[1] = [-1]
        const %steps_2_1: i64[1] = [-1]
        const %quarter_1_1: f32[] = [0.25]
        const %quarter_2_1: f32[] = [0.25]
        const %quarter_3_1: f32[] = [0.25]
        const %quarter_4_1: f32[] = [0.25]
        const %shape_2_1: i64[4] = [0, 1, 2, -1]
        const %axes_5_1: i64[1] = [1]
        const %split_2_1: i64[2] = [1, 1]
        const %starts_5_1: i64[1] = [0]
        const %ends_5_1: i64[1] = [1]
        const %axes_6_1: i64[1] = [-1]
        const %starts_6_1: i64[1] = [-1]
        const %ends_6_1: i64[1] = [0]
        const %axes_7_1: i64[1] = [-1]
        const %steps_3_1: i64[1] = [-1]
        const %starts_7_1: i64[1] = [0]
        const %ends_7_1: i64[1] = [1]
        const %axes_8_1: i64[1] = [-1]
        const %starts_8_1: i64[1] = [-1]
        const %ends_8_1: i64[1] = [0]
        const %axes_9_1: i64[1] = [-1]
        const %steps_4_1: i64[1] = [-1]
        const %starts_9_1: i64[1] = [0]
        const %ends_9_1: i64[1] = [8]
        const %axes_10_1: i64[1] = [3]
        const %shape_3_1: i64[4] = [0, 1, 2, -1]
        %shape = Shape(%u) : i64[3]
        %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]
        %vandermonde = ai.ssmc.Vandermonde(%lambda, %coef, %gather) {scale=2.0} : f32[1,2,8]
        %reshape = Reshape(%vandermonde, %shape_1_1) : f32[1,1,2,8]
        %transpose = Transpose(%reshape) {perm=[0,1,3,2]} : f32[1,1,8,2]
        %dft = DFT(%transpose, %fft_len_1_1) {axis=2} : f32[1,1,16,2]
        %transpose_1 = Transpose(%dft) {perm=[3,0,1,2]} : f32[2,1,1,16]
        %split.0, %split.1 = Split(%transpose_1, %split_1_1) {axis=0} : f32[1,1,1,16], f32[1,1,1,16]
        %slice = Slice(%split.0, %starts_1_1, %ends_1_1, %axes_1_1) : f32[1,1,1,1]
        %slice_1 = Slice(%split.0, %starts_2_1, %ends_2_1, %axes_2_1, %steps_1_1) : f32[1,1,1,15]
        %concat = Concat(%slice, %slice_1) {axis=-1} : f32[1,1,1,16]
        %slice_2 = Slice(%split.1, %starts_3_1, %ends_3_1, %axes_3_1) : f32[1,1,1,1]
        %slice_3 = Slice(%split.1, %starts_4_1, %ends_4_1, %axes_4_1, %steps_2_1) : f32[1,1,1,15]
        %concat_1 = Concat(%slice_2, %slice_3) {axis=-1} : f32[1,1,1,16]
        %add = Add(%split.0, %concat) : f32[1,1,1,16]
        %add_1 = Add(%split.1, %concat_1) : f32[1,1,1,16]
        %sub = Sub(%split.0, %concat) : f32[1,1,1,16]
        %sub_1 = Sub(%split.1, %concat_1) : f32[1,1,1,16]
        %add_2 = Add(%add, %add_1) : f32[1,1,1,16]
        %mul = Mul(%add_2, %quarter_1_1) : f32[1,1,1,16]
        %sub_2 = Sub(%sub_1, %sub) : f32[1,1,1,16]
        %mul_1 = Mul(%sub_2, %quarter_2_1) : f32[1,1,1,16]
        %sub_3 = Sub(%add, %add_1) : f32[1,1,1,16]
        %mul_2 = Mul(%sub_3, %quarter_3_1) : f32[1,1,1,16]
        %add_3 = Add(%sub_1, %sub) : f32[1,1,1,16]
        %mul_3 = Mul(%add_3, %quarter_4_1) : f32[1,1,1,16]
        %reshape_1 = Reshape(%u, %shape_2_1) : f32[1,1,2,8]
        %transpose_2 = Transpose(%reshape_1) {perm=[0,1,3,2]} : f32[1,1,8,2]
        %dft_1 = DFT(%transpose_2, %fft_len_1_1) {axis=2} : f32[1,1,16,2]
        %unsqueeze = Unsqueeze(%dft_1, %axes_5_1) : f32[1,1,1,16,2]
        %transpose_3 = Transpose(%unsqueeze) {perm=[4,0,1,2,3]} : f32[2,1,1,1,16]
        %split_1.0, %split_1.1 = Split(%transpose_3, %split_2_1) {axis=0} : f32[1,1,1,1,16], f32[1,1,1,1,16]
        %slice_4 = Slice(%split_1.0, %starts_5_1, %ends_5_1, %axes_6_1) : f32[1,1,1,1,1]
        %slice_5 = Slice(%split_1.0, %starts_6_1, %ends_6_1, %axes_7_1, %steps_3_1) : f32[1,1,1,1,15]
        %concat_2 = Concat(%slice_4, %slice_5) {axis=-1} : f32[1,1,1,1,16]
        %slice_6 = Slice(%split_1.1, %starts_7_1, %ends_7_1, %axes_8_1) : f32[1,1,1,1,1]
        %slice_7 = Slice(%split_1.1, %starts_8_1, %ends_8_1, %axes_9_1, %steps_4_1) : f32[1,1,1,1,15]
        %concat_3 = Concat(%slice_6, %slice_7) {axis=-1} : f32[1,1,1,1,16]
        %mul_4 = Mul(%split_1.0, %mul) : f32[1,1,1,1,16]
        %mul_5 = Mul(%split_1.1, %mul_1) : f32[1,1,1,1,16]
        %sub_4 = Sub(%mul_4, %mul_5) : f32[1,1,1,1,16]
        %mul_6 = Mul(%concat_2, %mul_2) : f32[1,1,1,1,16]
        %mul_7 = Mul(%concat_3, %mul_3) : f32[1,1,1,1,16]
        %add_4 = Add(%mul_6, %mul_7) : f32[1,1,1,1,16]
        %add_5 = Add(%sub_4, %add_4) : f32[1,1,1,1,16]
        %mul_8 = Mul(%split_1.0, %mul_1) : f32[1,1,1,1,16]
        %mul_9 = Mul(%split_1.1, %mul) : f32[1,1,1,1,16]
        %add_6 = Add(%mul_8, %mul_9) : f32[1,1,1,1,16]
        %mul_10 = Mul(%concat_2, %mul_3) : f32[1,1,1,1,16]
        %mul_11 = Mul(%concat_3, %mul_2) : f32[1,1,1,1,16]
        %sub_5 = Sub(%mul_10, %mul_11) : f32[1,1,1,1,16]
        %add_7 = Add(%add_6, %sub_5) : f32[1,1,1,1,16]
        %concat_4 = Concat(%add_5, %add_7) {axis=0} : f32[2,1,1,1,16]
        %transpose_4 = Transpose(%concat_4) {perm=[1,2,3,4,0]} : f32[1,1,1,16,2]
        %dft_2 = DFT(%transpose_4, %fft_len_1_1) {axis=3, inverse=1} : f32[1,1,1,16,2]
        %slice_8 = Slice(%dft_2, %starts_9_1, %ends_9_1, %axes_10_1) : f32[1,1,1,8,2]
        %transpose_5 = Transpose(%slice_8) {perm=[0,1,2,4,3]} : f32[1,1,1,2,8]
        %y = Reshape(%transpose_5, %shape_3_1) : f32[1,1,2,8]
        return %y
      }"
    `);
    sameNumbers(before, after, TOL.F32_CONSTANTS);
  });

  it('fourstep, parameters as inputs: the FFT as MatMuls with float32 DFT matrices, the kernel\'s spectrum too', () => {
    const { before, after } = lowered(fourstepLowering, L, 'inputs');
    expect(printModel(after)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%u: f32[1,2,8], %lambda_re: f32[2,1], %lambda_im: f32[2,1], %coef_re: f32[1,2,1], %coef_im: f32[1,2,1]) -> (%y: f32[1,1,2,8]) {
        const %axis_1_1: i64[] = [2]
        const %fourstep_w2_1_1: f32[5,6,6] = <180 values>
        const %fourstep_w2_inverse_1_1: f32[5,6,6] = <180 values>
        const %pads_1_1: i64[6] = [0, 0, 0, 1, 0, 0]
        const %fourstep_w1_1_1: f32[10,3] = <30 values>
        const %shape_1_1: i64[2] = [3, -1]
        const %shape_2_1: i64[3] = [5, 6, -1]
        const %shape_3_1: i64[5] = [15, 2, 1, 1, 2]
        const %starts_1_1: i64[1] = [0]
        const %ends_1_1: i64[1] = [1]
        const %axes_1_1: i64[1] = [1]
        const %starts_2_1: i64[1] = [1]
        const %ends_2_1: i64[1] = [2]
        const %axes_2_1: i64[1] = [1]
        const %i_sign_1_1: f32[1,2,1,1,1] = [-1.0, 1.0]
        const %pads_2_1: i64[6] = [0, 0, 0, 1, 0, 0]
        const %fourstep_w1_2_1: f32[10,3] = <30 values>
        const %shape_4_1: i64[2] = [3, -1]
        const %shape_5_1: i64[3] = [5, 6, -1]
        const %shape_6_1: i64[5] = [15, 2, -1, 1, 2]
        const %swap_1_1: i64[2] = [1, 0]
        const %shape_7_1: i64[3] = [5, 6, -1]
        const %fourstep_w1_inverse_1_1: f32[3,10] = <30 values>
        const %shape_8_1: i64[2] = [10, -1]
        const %shape_9_1: i64[4] = [9, -1, 1, 2]
        const %starts_3_1: i64[1] = [0]
        const %ends_3_1: i64[1] = [8]
        const %axes_3_1: i64[1] = [0]
        %complex = ai.ssmc.Complex(%lambda_re, %lambda_im) : c64[2,1]
        %complex_1 = ai.ssmc.Complex(%coef_re, %coef_im) : c64[1,2,1]
        %shape = Shape(%u) : i64[3]
        %gather = Gather(%shape, %axis_1_1) {axis=0} : i64[]
        %vandermonde = ai.ssmc.Vandermonde(%complex, %complex_1, %gather) {scale=2.0} : f32[1,2,8]
        %transpose = Transpose(%vandermonde) {perm=[2,0,1]} : f32[8,1,2]
        %pad = Pad(%transpose, %pads_1_1) : f32[9,1,2]
        %reshape = Reshape(%pad, %shape_1_1) : f32[3,6]
        %matmul = MatMul(%fourstep_w1_1_1, %reshape) : f32[10,6]
        %reshape_1 = Reshape(%matmul, %shape_2_1) : f32[5,6,2]
        %matmul_1 = MatMul(%fourstep_w2_1_1, %reshape_1) : f32[5,6,2]
        %reshape_2 = Reshape(%matmul_1, %shape_3_1) : f32[15,2,1,1,2]
        %slice = Slice(%reshape_2, %starts_1_1, %ends_1_1, %axes_1_1) : f32[15,1,1,1,2]
        %slice_1 = Slice(%reshape_2, %starts_2_1, %ends_2_1, %axes_2_1) : f32[15,1,1,1,2]
        %mul = Mul(%slice_1, %i_sign_1_1) : f32[15,2,1,1,2]
        %transpose_1 = Transpose(%u) {perm=[2,0,1]} : f32[8,1,2]
        %pad_1 = Pad(%transpose_1, %pads_2_1) : f32[9,1,2]
        %reshape_3 = Reshape(%pad_1, %shape_4_1) : f32[3,6]
        %matmul_2 = MatMul(%fourstep_w1_2_1, %reshape_3) : f32[10,6]
        %reshape_4 = Reshape(%matmul_2, %shape_5_1) : f32[5,6,2]
        %matmul_3 = MatMul(%fourstep_w2_1_1, %reshape_4) : f32[5,6,2]
        %reshape_5 = Reshape(%matmul_3, %shape_6_1) : f32[15,2,1,1,2]
        %gather_1 = Gather(%reshape_5, %swap_1_1) {axis=1} : f32[15,2,1,1,2]
        %mul_1 = Mul(%reshape_5, %slice) : f32[15,2,1,1,2]
        %mul_2 = Mul(%gather_1, %mul) : f32[15,2,1,1,2]
        %add = Add(%mul_1, %mul_2) : f32[15,2,1,1,2]
        %reshape_6 = Reshape(%add, %shape_7_1) : f32[5,6,2]
        %matmul_4 = MatMul(%fourstep_w2_inverse_1_1, %reshape_6) : f32[5,6,2]
        %reshape_7 = Reshape(%matmul_4, %shape_8_1) : f32[10,6]
        %matmul_5 = MatMul(%fourstep_w1_inverse_1_1, %reshape_7) : f32[3,6]
        %reshape_8 = Reshape(%matmul_5, %shape_9_1) : f32[9,1,1,2]
        %slice_2 = Slice(%reshape_8, %starts_3_1, %ends_3_1, %axes_3_1) : f32[8,1,1,2]
        %y = Transpose(%slice_2) {perm=[1,2,3,0]} : f32[1,1,2,8]
        return %y
      }"
    `);
    sameNumbers(before, after, TOL.F32_CONSTANTS, paramFeeds('per-channel'));
  });

  it.each(['per-channel', 'shared'] as const)('fourstep, constant parameters (%s modes): the kernel\'s spectrum a float64 FFT at compile time, the input\'s as MatMuls', (modes) => {
    const { before, after } = lowered(fourstepLowering, L, 'constants', modes);
    const names = after.graph.initializers.map((v) => v.name);
    expect(names.filter((n) => n.startsWith('fourstep_kernel_'))).toHaveLength(2);
    // Forward stages for the input only (the kernel's are gone), inverse stages for the output.
    const ops = opsOf(after);
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(4);
    expect(ops).not.toContain('Exp');
    expect(ops).not.toContain('ai.ssmc.Vandermonde');
    sameNumbers(before, after, TOL.F32_CONSTANTS);
  });

  it('chunked, constant parameters: the chunk weights computed at compile time (toState, the Toeplitz block stacked on the carried-state rows) and state passing over a Scan of chunks', () => {
    const { before, after } = lowered(chunkedLowering);
    expect(printModel(after)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%u: f32[1,2,8]) -> (%y: f32[1,1,2,8]) {
        const %lambda: c64[2,1] = [-0.300000012, 0.5, -0.100000001, 1.20000005]
        const %chunk_to_state_1_1: f32[2,8,2] = <32 values>
        const %chunk_weights_1_1: f32[1,2,10,8] = <160 values>
        const %shape_1_1: i64[4] = [0, 0, -1, 8]
        const %const_1_1: f32[] = [8.0]
        const %axes_1_1: i64[1] = [-2]
        const %axes_2_1: i64[1] = [-2]
        const %shape_2_1: i64[5] = [0, 0, 0, 2, 1]
        const %first_chunk_1_1: i64[] = [0]
        const %const_2_1: f32[] = [0.0]
        const %shape_3_1: i64[4] = [0, 0, 0, 2]
        const %axes_4_1: i64[1] = [1]
        const %shape_4_1: i64[4] = [0, 0, 0, -1]
        %reshape = Reshape(%u, %shape_1_1) : f32[1,2,1,8]
        %matmul = MatMul(%reshape, %chunk_to_state_1_1) : f32[1,2,1,2]
        %mul = Mul(%lambda, %const_1_1) : c64[2,1]
        %exp = Exp(%mul) : c64[2,1]
        %real = ai.ssmc.Real(%exp) : f32[2,1]
        %imag = ai.ssmc.Imag(%exp) : f32[2,1]
        %unsqueeze = Unsqueeze(%real, %axes_1_1) : f32[2,1,1]
        %unsqueeze_1 = Unsqueeze(%imag, %axes_2_1) : f32[2,1,1]
        %concat = Concat(%unsqueeze, %unsqueeze) {axis=-2} : f32[2,2,1]
        %neg = Neg(%unsqueeze_1) : f32[2,1,1]
        %concat_1 = Concat(%neg, %unsqueeze_1) {axis=-2} : f32[2,2,1]
        %reshape_1 = Reshape(%matmul, %shape_2_1) : f32[1,2,1,2,1]
        %gather_1 = Gather(%reshape_1, %first_chunk_1_1) {axis=2} : f32[1,2,2,1]
        %mul_3 = Mul(%gather_1, %const_2_1) : f32[1,2,2,1]
        %scan.0, %scan.1 = Scan(%mul_3, %reshape_1) {body=<graph chunk_scan_1>, num_scan_inputs=1, scan_input_axes=[2], scan_output_axes=[2]} : f32[1,2,2,1], f32[1,2,1,2,1]
          graph chunk_scan_1(%state_1_1: f32[1,2,2,1], %chunk_state_1_1: f32[1,2,2,1]) -> (%add_1: f32[1,2,2,1], %identity: f32[1,2,2,1]) {
            const %starts_1_1: i64[1] = [-1]
            const %ends_1_1: i64[1] = [-9007199254740991]
            const %axes_3_1: i64[1] = [2]
            const %steps_1_1: i64[1] = [-1]
            %slice = Slice(%state_1_1, %starts_1_1, %ends_1_1, %axes_3_1, %steps_1_1) : f32[1,2,2,1]
            %mul_1 = Mul(%state_1_1, %concat) : f32[1,2,2,1]
            %mul_2 = Mul(%slice, %concat_1) : f32[1,2,2,1]
            %add = Add(%mul_1, %mul_2) : f32[1,2,2,1]
            %add_1 = Add(%add, %chunk_state_1_1) : f32[1,2,2,1]
            %identity = Identity(%state_1_1) : f32[1,2,2,1]
            return %add_1, %identity
          }
        %reshape_2 = Reshape(%scan.1, %shape_3_1) : f32[1,2,1,2]
        %concat_2 = Concat(%reshape, %reshape_2) {axis=3} : f32[1,2,1,10]
        %unsqueeze_2 = Unsqueeze(%concat_2, %axes_4_1) : f32[1,1,2,1,10]
        %matmul_1 = MatMul(%unsqueeze_2, %chunk_weights_1_1) : f32[1,1,2,1,8]
        %y = Reshape(%matmul_1, %shape_4_1) : f32[1,1,2,8]
        return %y
      }"
    `);
    // The weights are float32 constants now, rounded once from their float64 values.
    sameNumbers(before, after, TOL.F32_CONSTANTS);
  });

  it('chunked, parameters computed in the graph: the chunk weights as graph ops on λ and the coefficients', () => {
    const { before, after } = lowered(chunkedLowering, L, 'inputs');
    expect(printModel(after)).toMatchInlineSnapshot(`
      "model ir=8 opsets[ai.onnx=17 ai.ssmc=1]
      graph main(%u: f32[1,2,8], %lambda_re: f32[2,1], %lambda_im: f32[2,1], %coef_re: f32[1,2,1], %coef_im: f32[1,2,1]) -> (%y: f32[1,1,2,8]) {
        const %axes_1_1: i64[1] = [-1]
        const %chunk_len_1_1: i64[] = [8]
        const %toeplitz_index_1_1: i64[8,8] = <64 values>
        const %causal_mask_1_1: f32[8,8] = <64 values>
        const %chunk_back_1_1: f32[8] = [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
        const %axes_2_1: i64[1] = [-1]
        const %chunk_pos_1_1: f32[8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
        const %const_1_1: f32[] = [2.0]
        const %shape_1_1: i64[4] = [0, 0, -1, 8]
        const %const_2_1: f32[] = [8.0]
        const %axes_3_1: i64[1] = [-2]
        const %axes_4_1: i64[1] = [-2]
        const %shape_2_1: i64[5] = [0, 0, 0, 2, 1]
        const %first_chunk_1_1: i64[] = [0]
        const %const_3_1: f32[] = [0.0]
        const %shape_3_1: i64[4] = [0, 0, 0, 2]
        const %axes_6_1: i64[1] = [1]
        const %shape_4_1: i64[4] = [0, 0, 0, -1]
        %complex = ai.ssmc.Complex(%lambda_re, %lambda_im) : c64[2,1]
        %complex_1 = ai.ssmc.Complex(%coef_re, %coef_im) : c64[1,2,1]
        %unsqueeze = Unsqueeze(%complex, %axes_1_1) : c64[2,1,1]
        %vandermonde = ai.ssmc.Vandermonde(%complex, %complex_1, %chunk_len_1_1) {scale=2.0} : f32[1,2,8]
        %gather_1 = Gather(%vandermonde, %toeplitz_index_1_1) {axis=2} : f32[1,2,8,8]
        %mul = Mul(%gather_1, %causal_mask_1_1) : f32[1,2,8,8]
        %mul_1 = Mul(%unsqueeze, %chunk_back_1_1) : c64[2,1,8]
        %exp = Exp(%mul_1) : c64[2,1,8]
        %real = ai.ssmc.Real(%exp) : f32[2,1,8]
        %imag = ai.ssmc.Imag(%exp) : f32[2,1,8]
        %concat = Concat(%real, %imag) {axis=1} : f32[2,2,8]
        %transpose = Transpose(%concat) {perm=[0,2,1]} : f32[2,8,2]
        %unsqueeze_1 = Unsqueeze(%complex_1, %axes_2_1) : c64[1,2,1,1]
        %mul_2 = Mul(%unsqueeze, %chunk_pos_1_1) : c64[2,1,8]
        %exp_1 = Exp(%mul_2) : c64[2,1,8]
        %mul_3 = Mul(%unsqueeze_1, %exp_1) : c64[1,2,1,8]
        %mul_4 = Mul(%mul_3, %const_1_1) : c64[1,2,1,8]
        %real_1 = ai.ssmc.Real(%mul_4) : f32[1,2,1,8]
        %imag_1 = ai.ssmc.Imag(%mul_4) : f32[1,2,1,8]
        %neg = Neg(%imag_1) : f32[1,2,1,8]
        %concat_1 = Concat(%real_1, %neg) {axis=2} : f32[1,2,2,8]
        %reshape = Reshape(%u, %shape_1_1) : f32[1,2,1,8]
        %matmul = MatMul(%reshape, %transpose) : f32[1,2,1,2]
        %mul_5 = Mul(%complex, %const_2_1) : c64[2,1]
        %exp_2 = Exp(%mul_5) : c64[2,1]
        %real_2 = ai.ssmc.Real(%exp_2) : f32[2,1]
        %imag_2 = ai.ssmc.Imag(%exp_2) : f32[2,1]
        %unsqueeze_2 = Unsqueeze(%real_2, %axes_3_1) : f32[2,1,1]
        %unsqueeze_3 = Unsqueeze(%imag_2, %axes_4_1) : f32[2,1,1]
        %concat_2 = Concat(%unsqueeze_2, %unsqueeze_2) {axis=-2} : f32[2,2,1]
        %neg_1 = Neg(%unsqueeze_3) : f32[2,1,1]
        %concat_3 = Concat(%neg_1, %unsqueeze_3) {axis=-2} : f32[2,2,1]
        %reshape_1 = Reshape(%matmul, %shape_2_1) : f32[1,2,1,2,1]
        %gather_2 = Gather(%reshape_1, %first_chunk_1_1) {axis=2} : f32[1,2,2,1]
        %mul_8 = Mul(%gather_2, %const_3_1) : f32[1,2,2,1]
        %scan.0, %scan.1 = Scan(%mul_8, %reshape_1) {body=<graph chunk_scan_1>, num_scan_inputs=1, scan_input_axes=[2], scan_output_axes=[2]} : f32[1,2,2,1], f32[1,2,1,2,1]
          graph chunk_scan_1(%state_1_1: f32[1,2,2,1], %chunk_state_1_1: f32[1,2,2,1]) -> (%add_1: f32[1,2,2,1], %identity: f32[1,2,2,1]) {
            const %starts_1_1: i64[1] = [-1]
            const %ends_1_1: i64[1] = [-9007199254740991]
            const %axes_5_1: i64[1] = [2]
            const %steps_1_1: i64[1] = [-1]
            %slice = Slice(%state_1_1, %starts_1_1, %ends_1_1, %axes_5_1, %steps_1_1) : f32[1,2,2,1]
            %mul_6 = Mul(%state_1_1, %concat_2) : f32[1,2,2,1]
            %mul_7 = Mul(%slice, %concat_3) : f32[1,2,2,1]
            %add = Add(%mul_6, %mul_7) : f32[1,2,2,1]
            %add_1 = Add(%add, %chunk_state_1_1) : f32[1,2,2,1]
            %identity = Identity(%state_1_1) : f32[1,2,2,1]
            return %add_1, %identity
          }
        %reshape_2 = Reshape(%scan.1, %shape_3_1) : f32[1,2,1,2]
        %concat_4 = Concat(%reshape, %reshape_2) {axis=3} : f32[1,2,1,10]
        %concat_5 = Concat(%mul, %concat_1) {axis=2} : f32[1,2,10,8]
        %unsqueeze_4 = Unsqueeze(%concat_4, %axes_6_1) : f32[1,1,2,1,10]
        %matmul_1 = MatMul(%unsqueeze_4, %concat_5) : f32[1,1,2,1,8]
        %y = Reshape(%matmul_1, %shape_4_1) : f32[1,1,2,8]
        return %y
      }"
    `);
    sameNumbers(before, after, TOL.F64_SUMS, paramFeeds('per-channel'));
  });

  it('chunked, modes shared by every channel: the same numbers from compile-time weights and from graph ops', () => {
    const constant = lowered(chunkedLowering, L, 'constants', 'shared');
    const graph = lowered(chunkedLowering, L, 'inputs', 'shared');
    const ops = (m: Model) => m.graph.nodes.map((n) => n.op);
    expect(ops(constant.after)).not.toContain('Vandermonde');
    expect(ops(graph.after)).toContain('Vandermonde');
    sameNumbers(constant.before, constant.after, TOL.F32_CONSTANTS);
    sameNumbers(graph.before, graph.after, TOL.F64_SUMS, paramFeeds('shared'));
  });

  it('chunked over several chunks (200 positions: chunks of 64, the last padded), the carried state included: compile-time and graph weights, per-channel and shared modes', () => {
    const long = 200, u = randomTensor([1, H, long], 11);
    for (const modes of ['per-channel', 'shared'] as const) {
      const constant = lowered(chunkedLowering, long, 'constants', modes);
      const graph = lowered(chunkedLowering, long, 'inputs', modes);
      sameNumbers(constant.before, constant.after, TOL.F32_CONSTANTS, {}, u);
      sameNumbers(graph.before, graph.after, TOL.F64_SUMS, paramFeeds(modes), u);
    }
  });
});
