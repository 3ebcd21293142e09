/** The printer: the IR's stable text form (pass tests, --print-after, inspect --graph, errors). */
import { describe, expect, it } from 'vitest';
import { Builder, c64, f32, type FunctionDef, Graph, i64, Model, printAttr, printModel, printTensorValue, SSMC_DOMAIN, tensorType } from 'ssmc/ir';

describe('printModel', () => {
  it('opsets sorted, signatures with types, small constants in full, nodes with sorted attributes', () => {
    const model = new Model(17);
    model.opsetImports.set(SSMC_DOMAIN, 1);
    const b = new Builder(model.graph, 17);
    const x = model.graph.addInput('x', tensorType('float32', ['batch', 4, 'L']));
    const w = b.initializer('w', f32([1, 2, 3, 4], [4, 1]));
    const big = b.initializer('big', f32(new Array(9).fill(0.5), [9]));
    void big;
    const t = b.op('Transpose', [x], { perm: [0, 2, 1] }, { name: 't' });
    const y = b.op('Gemm', [b.reshape(t, [-1, 4]), w], { transB: 0, alpha: 1.5 }, { name: 'y' });
    model.graph.outputs.push(y);
    expect(printModel(model)).toBe([
      'model ir=8 opsets[ai.onnx=17 ai.ssmc=1]',
      'graph main(%x: f32[batch,4,L]) -> (%y: f32[?,1]) {',
      '  const %w: f32[4,1] = [1.0, 2.0, 3.0, 4.0]',
      '  const %big: f32[9] = <9 values>',
      '  const %shape_1_1: i64[2] = [-1, 4]',
      '  %t = Transpose(%x) {perm=[0,2,1]} : f32[batch,L,4]',
      '  %reshape = Reshape(%t, %shape_1_1) : f32[?,4]',
      '  %y = Gemm(%reshape, %w) {alpha=1.5, transB=0} : f32[?,1]',
      '  return %y',
      '}',
    ].join('\n'));
  });

  it('the same IR prints the same text; an omitted input prints as _', () => {
    const build = () => {
      const model = new Model(17);
      const b = new Builder(model.graph, 17);
      const x = model.graph.addInput('x', tensorType('float32', [2, 8]));
      const y = b.op('Slice', [x, b.i64([0]), b.i64([4]), b.i64([1])]);
      model.graph.outputs.push(b.op('Clip', [y, null, b.f32(1)]));
      return model;
    };
    expect(printModel(build())).toBe(printModel(build()));
    expect(printModel(build())).toMatch(/= Clip\(%slice, _, %const_\w+\)/);
  });

  it('subgraphs print indented under their node; functions after the main graph', () => {
    const model = new Model(17);
    const g = model.graph;
    const x = g.addInput('x', tensorType('float32', [3, 2]));
    const body = new Graph('body', g);
    const s = body.addInput('s', tensorType('float32', [2]));
    const xt = body.addInput('x_t', tensorType('float32', [2]));
    const inner = new Builder(body, 17);
    body.outputs.push(inner.add(s, xt), inner.op('Identity', [s]));
    const b = new Builder(g, 17);
    const [fin] = b.node('Scan', [b.f32([0, 0], [2], 'init'), x], { body, num_scan_inputs: 1 }, 2, { name: 'scan' });
    g.outputs.push(fin!);
    const fbody = new Graph('LongConv');
    fbody.outputs.push(fbody.addInput('u', tensorType('float32', null)));
    const fn: FunctionDef = { domain: SSMC_DOMAIN, name: 'LongConv', body: fbody, attributes: ['scale'], opsetImports: new Map([['', 17]]), docString: '' };
    model.functions.push(fn);
    expect(printModel(model).split('\n').slice(3)).toEqual([
      '  %scan.0, %scan.1 = Scan(%init_1_1, %x) {body=<graph body>, num_scan_inputs=1} : f32[2], f32[3,2]',
      '    graph body(%s: f32[2], %x_t: f32[2]) -> (%add: f32[2], %identity: f32[2]) {',
      '      %add = Add(%s, %x_t) : f32[2]',
      '      %identity = Identity(%s) : f32[2]',
      '      return %add, %identity',
      '    }',
      '  return %scan.0',
      '}',
      'function ai.ssmc.LongConv <scale>',
      'graph LongConv(%u: f32[*]) -> (%u: f32[*]) {',
      '  return %u',
      '}',
    ]);
  });

  it('values: floats always with a point, ints and bigints plain, complex as (re, im) pairs, strings quoted', () => {
    expect(printTensorValue(f32([1, 0.1, -2.5], [3]))).toBe('[1.0, 0.100000001, -2.5]');
    expect(printTensorValue(i64([3, -1], [2]))).toBe('[3, -1]');
    expect(printTensorValue(c64([1], [-1], [1]))).toBe('[1.0, -1.0]');
    expect(printAttr({ kind: 'float', value: 2 })).toBe('2.0');
    expect(printAttr({ kind: 'floats', value: [1, 0.5] })).toBe('[1.0,0.5]');
    expect(printAttr({ kind: 'string', value: 'a"b' })).toBe('"a\\"b"');
    expect(printAttr({ kind: 'strings', value: ['x', 'y'] })).toBe('["x","y"]');
    expect(printAttr({ kind: 'float', value: Number.POSITIVE_INFINITY })).toBe('Infinity');
  });
});
