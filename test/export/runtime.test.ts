import { describe, expect, it } from 'vitest';
import { modelToBytes, UserError } from 'ssmc';
import { f32, i64, Model, type Tensor, tensorType } from 'ssmc/ir';
import { nodeBackend, type OrtBackend } from 'ssmc/runtime';
import { wasmBackend } from 'ssmc/runtime/web';
import { functionModel, ifModel, mlpModel, mlpReference, softplus } from './fixtures.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

const X = [0.5, -1, 2, 3, -0.5, 0.25, 1, -2]; // [2, 4]

function close(actual: ArrayLike<number>, expected: number[], tol = TOL.ORT_F32_FEW_OPS): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tol);
}

describe.each<[string, OrtBackend]>([['onnxruntime-node', nodeBackend], ['onnxruntime-web (wasm)', wasmBackend]])('%s', (_label, backend) => {
  it('runs a hand-built MatMul/Add/Relu graph with the right numbers', async () => {
    const out = await backend.run(modelToBytes(mlpModel()), new Map([['x', f32(X, [2, 4])]]));
    const y = out.get('y')!;
    expect(y.dtype).toBe('float32');
    expect(y.dims).toEqual([2, 3]);
    close(y.data as Float32Array, mlpReference(X, 2));
    expect(mlpReference(X, 2).some((v) => v === 0)).toBe(true); // Relu clips something
  });

  it('inlines a model-local ai.ssmc function (IR 8, opset 17)', async () => {
    const xs = [-3, -0.5, 0, 0.5, 4];
    for (const optimizations of ['all', 'disabled'] as const) {
      const out = await backend.run(modelToBytes(functionModel(1.5)), new Map([['x', f32(xs, [5])]]), { optimizations });
      close(out.get('y')!.data as Float32Array, xs.map((v) => 1.5 * softplus(v)));
    }
  });

  it('runs If subgraphs that read outer values', async () => {
    const bytes = modelToBytes(ifModel());
    const feed = (c: boolean) => new Map<string, Tensor>([['x', f32([1, 2, 3], [3])], ['cond', { dtype: 'bool', dims: [], data: Uint8Array.from([c ? 1 : 0]) }]]);
    close((await backend.run(bytes, feed(true))).get('y')!.data as Float32Array, [2, 3, 4]);
    close((await backend.run(bytes, feed(false))).get('y')!.data as Float32Array, [0, 1, 2]);
  });

  it('reuses a session for repeated runs', async () => {
    const session = await backend.createSession(modelToBytes(mlpModel()), { threads: 1 });
    try {
      expect(session.backend).toBe(backend.name);
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y']);
      for (let batch = 1; batch <= 3; batch++) {
        const x = Array.from({ length: 4 * batch }, (_, i) => Math.sin(i + batch));
        close((await session.run(new Map([['x', f32(x, [batch, 4])]]))).get('y')!.data as Float32Array, mlpReference(x, batch));
      }
    } finally {
      await session.release();
    }
  });

  it('explains feeds that do not match the graph inputs', async () => {
    const session = await backend.createSession(modelToBytes(mlpModel()));
    try {
      const good = f32(X, [2, 4]);
      await expect(session.run(new Map([['input', good]]))).rejects.toThrow(UserError);
      await expect(session.run(new Map([['input', good]]))).rejects.toThrow(/'input' is not an input of the model; its inputs are 'x'/);
      await expect(session.run(new Map([['x', good], ['extra', good]]))).rejects.toThrow(/'extra' is not an input/);
      await expect(session.run(new Map())).rejects.toThrow(/no value for graph input 'x'/);
      await expect(session.run(new Map([['x', i64([1, 2, 3, 4], [1, 4])]]))).rejects.toThrow(/'x' is int64 but the model takes float32/);
      await expect(session.run(new Map([['x', f32([1, 2, 3], [1, 3])]]))).rejects.toThrow(/dims \[1, 3\] but the model takes \[batch, 4\]/);
      await expect(session.run(new Map([['x', { dtype: 'float32', dims: [2, 4], data: new Float32Array(3) }]]))).rejects.toThrow(/need 8 elements but the tensor holds 3/);
      await expect(session.run(new Map([['x', { dtype: 'complex64', dims: [1, 4], data: new Float32Array(8) }]]))).rejects.toThrow(/complex64 cannot be fed/);
    } finally {
      await session.release();
    }
  });
});

describe('tensor conversion', () => {
  it('passes int64, float64, int32, bool and uint8 through onnxruntime-node unchanged', async () => {
    const model = new Model(17);
    const g = model.graph;
    const cases: [string, Tensor][] = [
      ['i64', { dtype: 'int64', dims: [3], data: BigInt64Array.from([-5n, 0n, 1n << 50n]) }],
      ['f64', { dtype: 'float64', dims: [2], data: Float64Array.from([Math.PI, -1e300]) }],
      ['i32', { dtype: 'int32', dims: [2, 1], data: Int32Array.from([-7, 2 ** 31 - 1]) }],
      ['flag', { dtype: 'bool', dims: [2], data: Uint8Array.from([1, 0]) }],
      ['u8', { dtype: 'uint8', dims: [1], data: Uint8Array.from([255]) }],
    ];
    for (const [name, t] of cases) {
      const v = g.addInput(name, tensorType(t.dtype, t.dims));
      g.outputs.push(g.createNode('', 'Identity', [v], {}, 1, { outputNames: [`${name}_out`], outputTypes: [tensorType(t.dtype, t.dims)] }).outputs[0]!);
    }
    const out = await nodeBackend.run(modelToBytes(model), new Map(cases));
    for (const [name, t] of cases) {
      const o = out.get(`${name}_out`)!;
      expect(o.dtype).toBe(t.dtype);
      expect(o.dims).toEqual(t.dims);
      expect(Array.from(o.data as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>));
      expect((o.data as object).constructor).toBe((t.data as object).constructor);
    }
  });
});
