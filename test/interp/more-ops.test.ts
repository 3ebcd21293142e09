import { describe, expect, it } from 'vitest';
import { evaluateGraph, Graph, type RTensor, tensorType } from 'ssmc/ir';
import type { Kernel } from '../../ir/interp/kernel.js';
import { KERNELS } from '../../ir/interp/registry.js';
import { rt } from '../../ir/interp/rtensor.js';
import { attrs, f32, i64, iota, makeNode, maxDiff, values, type AttrValue } from './harness.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/** Control flow, Conv, CumSum, GatherElements, TopK and the any-axis Softmax family, called through the registry. */

function call(kernel: Kernel, op: string, inputs: (RTensor | null)[], a: Record<string, AttrValue> = {}, opset = 17, outputs = 1): RTensor[] {
  const node = makeNode(op, inputs, a, outputs);
  return kernel(inputs, node, { opset, runSubgraph: () => { throw new Error('no subgraphs here'); } });
}

function k(op: string, opset = 17): Kernel {
  const kernel = KERNELS.find('', op, opset);
  if (!kernel) throw new Error(`no kernel for ${op} at opset ${opset}`);
  return kernel;
}

describe('Scan', () => {
  /** A graph running Scan over `seq` with the running-sum body: acc' = acc + x_t, emitting acc'. */
  function runningSum(extra: Record<string, AttrValue>, seqDims: number[]): Graph {
    const g = new Graph();
    const init = g.addInput('init', tensorType('float32', [2]));
    const seq = g.addInput('seq', tensorType('float32', seqDims));
    const body = new Graph('scan_body', g);
    const acc = body.addInput('acc', tensorType('float32', [2]));
    const xt = body.addInput('xt', tensorType('float32', [2]));
    const next = body.createNode('', 'Add', [acc, xt], {}, 1).outputs[0]!;
    body.outputs.push(next, body.createNode('', 'Identity', [next], {}, 1).outputs[0]!);
    const scan = g.createNode('', 'Scan', [init, seq], attrs({ body, num_scan_inputs: 1, ...extra }), 2, { outputNames: ['final', 'partials'] });
    g.outputs.push(...scan.outputs);
    return g;
  }

  it('threads a state and stacks the scan output along axis 0', () => {
    const out = evaluateGraph(runningSum({}, [3, 2]), { init: f32([2], [0, 100]), seq: f32([3, 2], [1, 2, 3, 4, 5, 6]) }, { opset: 17 });
    expect(values(out.get('final')!)).toEqual([9, 112]);
    expect(out.get('partials')!.dims).toEqual([3, 2]);
    expect(values(out.get('partials')!)).toEqual([1, 102, 4, 106, 9, 112]);
  });

  it('scans along axis 1 backwards and stacks reversed along axis 1', () => {
    const g = runningSum({ scan_input_axes: [1], scan_input_directions: [1], scan_output_axes: [1], scan_output_directions: [1] }, [2, 3]);
    // seq [2,3] read as columns from the last: [3,6], [2,5], [1,4]
    const out = evaluateGraph(g, { init: f32([2], [0, 0]), seq: f32([2, 3], [1, 2, 3, 4, 5, 6]) }, { opset: 17 });
    expect(values(out.get('final')!)).toEqual([6, 15]);
    // partial sums [3,6], [5,11], [6,15], written back to front along axis 1
    expect(out.get('partials')!.dims).toEqual([2, 3]);
    expect(values(out.get('partials')!)).toEqual([6, 5, 3, 15, 11, 6]);
  });

  it('its body reads an outer-scope value', () => {
    const g = new Graph();
    const seq = g.addInput('seq', tensorType('float32', [3, 1]));
    const gain = g.addInput('gain', tensorType('float32', [1]));
    const body = new Graph('scan_body', g);
    const xt = body.addInput('xt', tensorType('float32', [1]));
    body.outputs.push(body.createNode('', 'Mul', [xt, gain], {}, 1).outputs[0]!);
    const scan = g.createNode('', 'Scan', [seq], attrs({ body, num_scan_inputs: 1 }), 1, { outputNames: ['y'] });
    g.outputs.push(scan.outputs[0]!);
    const out = evaluateGraph(g, { seq: f32([3, 1], [1, 2, 3]), gain: f32([1], [10]) }, { opset: 17 });
    expect(values(out.get('y')!)).toEqual([10, 20, 30]);
  });
});

describe('Loop and If', () => {
  it('Loop runs M times, carrying a value and collecting a scan output', () => {
    const g = new Graph();
    const x0 = g.addInput('x0', tensorType('float32', [1]));
    const body = new Graph('loop_body', g);
    const iter = body.addInput('i', tensorType('int64', []));
    const condIn = body.addInput('cond', tensorType('bool', []));
    const x = body.addInput('x', tensorType('float32', [1]));
    const iF = body.createNode('', 'Cast', [iter], attrs({ to: 1 }), 1).outputs[0]!;
    const next = body.createNode('', 'Add', [x, iF], {}, 1).outputs[0]!;
    body.outputs.push(body.createNode('', 'Identity', [condIn], {}, 1).outputs[0]!, next, body.createNode('', 'Identity', [next], {}, 1).outputs[0]!);
    const M = g.addInitializer('M', { dtype: 'int64', dims: [], data: BigInt64Array.of(4n) });
    const loop = g.createNode('', 'Loop', [M, null, x0], attrs({ body }), 2, { outputNames: ['x_final', 'xs'] });
    g.outputs.push(...loop.outputs);
    const out = evaluateGraph(g, { x0: f32([1], [10]) }, { opset: 17 });
    // x: 10 → 10 → 11 → 13 → 16
    expect(values(out.get('x_final')!)).toEqual([16]);
    expect(out.get('xs')!.dims).toEqual([4, 1]);
    expect(values(out.get('xs')!)).toEqual([10, 11, 13, 16]);
  });

  it('Loop stops when the body returns a false condition', () => {
    const g = new Graph();
    const x0 = g.addInput('x0', tensorType('float32', []));
    const body = new Graph('loop_body', g);
    body.addInput('i', tensorType('int64', []));
    body.addInput('cond', tensorType('bool', []));
    const x = body.addInput('x', tensorType('float32', []));
    const two = body.addInitializer('two', { dtype: 'float32', dims: [], data: Float32Array.of(2) });
    const limit = body.addInitializer('limit', { dtype: 'float32', dims: [], data: Float32Array.of(50) });
    const next = body.createNode('', 'Mul', [x, two], {}, 1).outputs[0]!;
    body.outputs.push(body.createNode('', 'Less', [next, limit], {}, 1).outputs[0]!, next);
    const loop = g.createNode('', 'Loop', [null, null, x0], attrs({ body }), 1, { outputNames: ['x_final'] });
    g.outputs.push(loop.outputs[0]!);
    // 3 → 6 → 12 → 24 → 48 → 96 (96 ≥ 50 stops)
    expect(values(evaluateGraph(g, { x0: f32([], [3]) }, { opset: 17 }).get('x_final')!)).toEqual([96]);
  });

  it('If runs the branch its condition picks; the branches read outer-scope values', () => {
    const g = new Graph();
    const cond = g.addInput('cond', tensorType('bool', []));
    const x = g.addInput('x', tensorType('float32', [2]));
    const thenG = new Graph('then', g);
    thenG.outputs.push(thenG.createNode('', 'Neg', [x], {}, 1).outputs[0]!);
    const elseG = new Graph('else', g);
    elseG.outputs.push(elseG.createNode('', 'Abs', [x], {}, 1).outputs[0]!);
    const node = g.createNode('', 'If', [cond], attrs({ then_branch: thenG, else_branch: elseG }), 1, { outputNames: ['y'] });
    g.outputs.push(node.outputs[0]!);
    const feed = (c: number) => ({ cond: rt('bool', [], Float64Array.of(c)), x: f32([2], [-1, 2]) });
    expect(values(evaluateGraph(g, feed(1), { opset: 17 }).get('y')!)).toEqual([1, -2]);
    expect(values(evaluateGraph(g, feed(0), { opset: 17 }).get('y')!)).toEqual([1, 2]);
  });
});

describe('Conv', () => {
  it('1-D with padding, stride and dilation', () => {
    // x = [1..5], w = [1, 0, −1], pads 1/1, stride 2, dilation 1: windows centred on 0, 2, 4
    const x = f32([1, 1, 5], [1, 2, 3, 4, 5]), w = f32([1, 1, 3], [1, 0, -1]);
    const y = call(k('Conv'), 'Conv', [x, w], { pads: [1, 1], strides: [2] })[0]!;
    expect(y.dims).toEqual([1, 1, 3]);
    expect(values(y)).toEqual([0 - 2, 2 - 4, 4 - 0]);
    const dil = call(k('Conv'), 'Conv', [x, w], { dilations: [2] })[0]!;
    expect(values(dil)).toEqual([1 - 5]);
  });

  it('2-D with two groups and a bias', () => {
    // two input channels, each convolved with its own 2×2 filter
    const x = f32([1, 2, 2, 3], [...iota(6), ...iota(6).map((v) => 10 * v)]);
    const w = f32([2, 1, 2, 2], [1, 0, 0, 1, /* g1 */ 0, 1, 1, 0]);
    const y = call(k('Conv'), 'Conv', [x, w, f32([2], [0.5, -1])], { group: 2 })[0]!;
    expect(y.dims).toEqual([1, 2, 1, 2]);
    // ch0: x[0,0]+x[1,1] = 0+4, 1+5; ch1: x[0,1]+x[1,0] = 10+30, 20+40
    expect(values(y)).toEqual([4.5, 6.5, 39, 59]);
  });

  it('SAME_UPPER keeps ceil(n / stride) outputs, the odd pad at the end', () => {
    const x = f32([1, 1, 4], [1, 2, 3, 4]), w = f32([1, 1, 2], [1, 1]);
    const y = call(k('Conv'), 'Conv', [x, w], { auto_pad: 'SAME_UPPER' })[0]!;
    expect(values(y)).toEqual([3, 5, 7, 4]);
    const lower = call(k('Conv'), 'Conv', [x, w], { auto_pad: 'SAME_LOWER' })[0]!;
    expect(values(lower)).toEqual([1, 3, 5, 7]);
  });

  it('rejects channels that do not match the filters', () => {
    expect(() => call(k('Conv'), 'Conv', [f32([1, 3, 4], iota(12)), f32([1, 2, 1], [1, 1])])).toThrow(/group/);
  });
});

describe('CumSum, GatherElements, TopK', () => {
  it('CumSum inclusive, exclusive and reversed along an axis', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(values(call(k('CumSum'), 'CumSum', [x, i64([], [1])])[0]!)).toEqual([1, 3, 6, 4, 9, 15]);
    expect(values(call(k('CumSum'), 'CumSum', [x, i64([], [-1])], { exclusive: 1 })[0]!)).toEqual([0, 1, 3, 0, 4, 9]);
    expect(values(call(k('CumSum'), 'CumSum', [x, i64([], [0])], { reverse: 1 })[0]!)).toEqual([5, 7, 9, 4, 5, 6]);
    expect(values(call(k('CumSum'), 'CumSum', [x, i64([], [1])], { reverse: 1, exclusive: 1 })[0]!)).toEqual([5, 3, 0, 11, 6, 0]);
  });

  it('GatherElements along axis 1 with a negative index', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    const y = call(k('GatherElements'), 'GatherElements', [x, i64([2, 2], [0, -1, 1, 1])], { axis: 1 })[0]!;
    expect(y.dims).toEqual([2, 2]);
    expect(values(y)).toEqual([1, 3, 5, 5]);
  });

  it('TopK largest and smallest along the last axis; ties keep the lower index first', () => {
    const x = f32([2, 4], [3, 1, 3, 2, 0, 5, -1, 5]);
    const [v, ix] = call(k('TopK'), 'TopK', [x, i64([1], [2])], {}, 17, 2);
    expect(values(v!)).toEqual([3, 3, 5, 5]);
    expect(values(ix!)).toEqual([0, 2, 1, 3]);
    expect(ix!.dtype).toBe('int64');
    const [s, is] = call(k('TopK'), 'TopK', [x, i64([1], [1])], { largest: 0, axis: 1 }, 17, 2);
    expect(values(s!)).toEqual([1, -1]);
    expect(values(is!)).toEqual([1, 2]);
  });
});

describe('Softmax, LogSoftmax, ArgMax and ArgMin on any axis', () => {
  const x = f32([2, 2], [1, 3, 2, 0]);

  it('Softmax along axis 0 (opset 13)', () => {
    const y = call(k('Softmax'), 'Softmax', [x], { axis: 0 }, 13)[0]!;
    const s = (a: number, b: number) => Math.exp(a) / (Math.exp(a) + Math.exp(b));
    expect(maxDiff(values(y), [s(1, 2), s(3, 0), s(2, 1), s(0, 3)])).toBeLessThan(TOL.F64_FEW_OPS);
  });

  it('before opset 13 the input is flattened at axis (default 1): a [1,2,2] input normalises all 4 values', () => {
    const y = call(k('Softmax'), 'Softmax', [f32([1, 2, 2], [1, 3, 2, 0])], {}, 11)[0]!;
    const total = Math.exp(1) + Math.exp(3) + Math.exp(2) + 1;
    expect(maxDiff(values(y), [1, 3, 2, 0].map((v) => Math.exp(v) / total))).toBeLessThan(TOL.F64_FEW_OPS);
    const logY = call(k('LogSoftmax'), 'LogSoftmax', [f32([1, 2, 2], [1, 3, 2, 0])], {}, 11)[0]!;
    expect(maxDiff(values(logY), [1, 3, 2, 0].map((v) => v - Math.log(total)))).toBeLessThan(TOL.F64_FEW_OPS);
  });

  it('ArgMax and ArgMin along axis 0, keepdims, select_last_index', () => {
    const t = f32([3, 2], [1, 7, 4, 7, 4, 0]);
    const am = call(k('ArgMax'), 'ArgMax', [t], { axis: 0 })[0]!;
    expect(am.dims).toEqual([1, 2]);
    expect(values(am)).toEqual([1, 0]);
    expect(values(call(k('ArgMax'), 'ArgMax', [t], { axis: 0, select_last_index: 1, keepdims: 0 })[0]!)).toEqual([2, 1]);
    expect(values(call(k('ArgMin'), 'ArgMin', [t], { axis: 0, keepdims: 0 })[0]!)).toEqual([0, 2]);
  });
});
