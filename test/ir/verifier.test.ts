/** The verifier: each invariant a pass can break is caught, named, and all of them listed at once. */
import { describe, expect, it } from 'vitest';
import { Builder, c64, Graph, Model, SSMC_DOMAIN, tensorType, verifyModel, VerifyError, type Value } from 'ssmc/ir';

function small() {
  const model = new Model(17);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  const b = new Builder(model.graph, 17);
  const x = model.graph.addInput('x', tensorType('float32', [2, 3]));
  const y = b.op('Neg', [x], {}, { name: 'neg' });
  const z = b.op('Abs', [y], {}, { name: 'abs' });
  model.graph.outputs.push(z);
  return { model, b, x, y, z };
}

function problems(model: Model, opts?: Parameters<typeof verifyModel>[1]): string[] {
  try {
    verifyModel(model, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(VerifyError);
    return (e as VerifyError).problems;
  }
  return [];
}

describe('verifyModel', () => {
  it('accepts a well-formed model', () => {
    expect(problems(small().model)).toEqual([]);
  });

  it('a value used before it is defined (nodes out of order)', () => {
    const { model } = small();
    model.graph.nodes.reverse();
    expect(problems(model)).toContain("node 'abs' (Abs): input 0 '%neg' is used before it is defined");
  });

  it('use lists out of step with inputs: a missing entry, a stale one', () => {
    const { model, x, y } = small();
    const abs = model.graph.nodes[1]!;
    (abs.inputs as (Value | null)[])[0] = x; // bypassing setInput: x has no use entry, y a stale one
    expect(problems(model)).toEqual(expect.arrayContaining([
      "node 'abs' (Abs): input 0 '%x' misses its use entry",
      "value '%neg': stale use entry on 'abs' slot 0",
    ]));
    expect(y.uses).toHaveLength(1);
  });

  it('a recorded type that shape inference contradicts', () => {
    const { model, y } = small();
    y.type = tensorType('float32', [3, 2]);
    expect(problems(model)).toContain("node 'neg' (Neg): output '%neg' is typed f32[3,2] but its inputs give f32[2,3]");
    expect(y.type.shape).toEqual([3, 2]); // the verifier reports, it does not repair
  });

  it('a name defined twice, an undefined output, an initializer without data', () => {
    const { model, y, z } = small();
    z.name = 'neg';
    model.graph.outputs.push(new Graph('elsewhere').addInput('ghost', tensorType('float32', [1])));
    const w = model.graph.addInitializer('w', c64([1], [0], [1]));
    w.constant = null;
    expect(problems(model)).toEqual(expect.arrayContaining([
      "node 'abs' (Abs): name 'neg' is defined twice",
      "graph 'main' output '%ghost' is not defined",
      "initializer 'w' has no data",
    ]));
    void y;
  });

  it('an unimported domain, and an op newer than the opset', () => {
    const { model, b, x } = small();
    model.opsetImports.delete(SSMC_DOMAIN);
    b.ssm('Complex', [x, x], {}, { name: 'complex' });
    b.op('Gelu', [x], {}, { name: 'gelu' });
    expect(problems(model)).toEqual(expect.arrayContaining([
      "node 'complex' (ai.ssmc.Complex): domain 'ai.ssmc' is not imported by the model",
      "node 'gelu' (Gelu): Gelu needs opset 20 or later, but the model imports opset 17",
    ]));
  });

  it('noComplex: a complex value left after lower-complex', () => {
    const { model, b, x } = small();
    b.ssm('Complex', [x, x], {}, { name: 'complex' });
    expect(problems(model)).toEqual([]);
    expect(problems(model, { noComplex: true })).toEqual(["node 'complex' (ai.ssmc.Complex): complex value '%complex' remains after lower-complex"]);
  });

  it('subgraphs: checked with the enclosing values defined so far in scope', () => {
    const { model, b, x } = small();
    const body = new Graph('body', model.graph);
    const state = body.addInput('state', tensorType('float32', [3]));
    const xt = body.addInput('x_t', tensorType('float32', [3]));
    const inner = new Builder(body, 17);
    const next = inner.add(inner.add(state, xt), b.f32([1, 2, 3], [3], 'w')); // w: an enclosing initializer
    body.outputs.push(next, inner.op('Identity', [state]));
    b.node('Scan', [b.f32([0, 0, 0], [3], 'init'), x], { body, num_scan_inputs: 1 }, 2, { name: 'scan' });
    expect(problems(model)).toEqual([]);
    const later = b.op('Exp', [x], {}, { name: 'later' }); // defined after the Scan node
    body.nodes[0]!.setInput(1, b.op('Neg', [later]));
    expect(problems(model)).toEqual(expect.arrayContaining([expect.stringMatching(/^node 'add_?\w*' \(Add\): input 1 '%neg_?\w*' is used before it is defined$/)]));
  });
});
