import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { matchCheckpoint, matchTensors, type ParamSpec, readCheckpoint, resolveArgs, UserError, writeSafetensors } from 'ssmc';
import { Builder, Model, type Tensor } from 'ssmc/ir';
import { bfloat16BytesToFloat32, halfBytesToFloat32 } from '../../ir/half.js';
import { ParamStore } from '../../src/models/params.js';
import { s4Block, s4BlockSchema } from '../../src/models/s4-block.js';
import { readSystem } from '../../src/models/s4-dplr.js';
import { goldenCase } from '../helpers/golden.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));
const read = (file: string) => readCheckpoint(new Uint8Array(readFileSync(`${FIXTURES}${file}`)), file);
const f32 = (data: number[], dims: number[]): Tensor => ({ dtype: 'float32', dims, data: Float32Array.from(data) });
const spec = (name: string, shape: number[], dtype: ParamSpec['dtype'] = 'float32'): ParamSpec => ({ name, shape, dtype });

describe('finding and matching a checkpoint', () => {
  const specs = [spec('layer.D', [2]), spec('layer.kernel.C', [1, 2])];
  const tensors = (names: string[]) => new Map(names.map((n, i) => [n, f32(i === 0 ? [1, 2] : [3, 4], i === 0 ? [2] : [1, 2])]));
  const match = (names: string[]) => matchTensors(specs, { tensors: tensors(names), source: 'ckpt' }, 'the test model');

  it('takes names as they are, or strips exactly one wrapper prefix (or chain of them)', () => {
    expect(match(['layer.D', 'layer.kernel.C']).prefix).toBe('');
    for (const prefix of ['module.', '_orig_mod.', 'model.', 'module._orig_mod.', '_orig_mod.module.', 'model.module.']) {
      const m = match([`${prefix}layer.D`, `${prefix}layer.kernel.C`]);
      expect(m.prefix).toBe(prefix);
      expect([...m.tensors.keys()]).toEqual(['layer.D', 'layer.kernel.C']);
    }
  });

  it('lets a model declare its names with or without the wrapper (a Lightning model beside its encoder)', () => {
    const whole = [spec('model.layers.0.D', [2]), spec('encoder.0.weight', [1, 2])];
    const file = new Map([['model.layers.0.D', f32([1, 2], [2])], ['encoder.0.weight', f32([3, 4], [1, 2])]]);
    expect(matchTensors(whole, { tensors: file, source: 'last.ckpt' }, 'm').prefix).toBe('');
    const bare = [spec('layers.0.D', [2]), spec('encoder.0.weight', [1, 2])];
    const m = matchTensors(bare, { tensors: file, source: 'last.ckpt' }, 'm');
    expect(m.prefix).toBe('model.');
    expect([...m.tensors.keys()]).toEqual(['layers.0.D', 'encoder.0.weight']);
    const ddp = new Map([...file].map(([k, v]) => [`module.${k}`, v]));
    expect(matchTensors(whole, { tensors: ddp, source: 'ddp.ckpt' }, 'm').prefix).toBe('module.');
  });

  it('refuses an ambiguous prefix, and extra or missing tensors, naming them as the file does', () => {
    expect(() => match(['module.layer.D', 'module.layer.kernel.C', '_orig_mod.layer.D', '_orig_mod.layer.kernel.C'])).toThrow(/any of the prefixes 'module\.', '_orig_mod\.'/);
    expect(() => match(['module.layer.D', 'module.layer.kernel.C', 'module.extra'])).toThrow(/unexpected tensor 'module\.extra'/);
    expect(() => match(['module.layer.D'])).toThrow(/missing tensors 'layer\.D' \[2\], 'layer\.kernel\.C' \[1, 2\] required by the test model.*saved with a prefix/);
  });

  it('widens float16 and bfloat16 exactly, including subnormals, the largest half and infinities', () => {
    const half = Uint8Array.from([0x01, 0x00, 0xff, 0x7b, 0x00, 0x04, 0x00, 0xfc, 0x00, 0x80, 0x55, 0x35]);
    expect([...halfBytesToFloat32(half)]).toEqual([2 ** -24, 65504, 2 ** -14, -Infinity, -0, 0.333251953125]);
    const bf = Uint8Array.from([0x80, 0x3f, 0x49, 0x40, 0x80, 0xff]);
    expect([...bfloat16BytesToFloat32(bf)]).toEqual([1, 3.140625, -Infinity]);
  });

  it('widens the float16 and bfloat16 fixtures to what torch widens them to', () => {
    for (const tag of ['f16', 'bf16']) {
      const low = read(`valid/dplr-${tag}.pt`), wide = read(`valid/dplr-${tag}-widened.safetensors`);
      const specs = [...wide.tensors].map(([name, t]) => spec(name, [...t.dims], t.dtype));
      const m = matchTensors(specs, low, 'dplr');
      for (const [name, t] of wide.tensors) expect(m.tensors.get(name), name).toEqual(t);
      expect(m.conversions).toEqual([`9 ${tag === 'f16' ? 'float16' : 'bfloat16'} tensors widened to float32 (exact)`]);
    }
  });

  it('takes float16, bfloat16 and float64 from safetensors files the same way', () => {
    for (const tag of ['f16', 'bf16', 'f64']) {
      const torchFile = read(`valid/dplr-${tag}.pt`);
      const st = readCheckpoint(writeSafetensors(torchFile.tensors), `dplr-${tag}.safetensors`);
      expect(st.format).toBe('safetensors');
      const specs = [...torchFile.tensors].map(([name, t]) => spec(name, [...t.dims], t.dtype === 'int64' ? 'int64' : 'float32'));
      expect(matchTensors(specs, st, 'dplr').tensors).toEqual(matchTensors(specs, torchFile, 'dplr').tensors);
    }
  });

  it('keeps float64 values for compile-time math and makes float32 initializers of them', () => {
    const x = [0.1, 1 / 3];
    const m = matchTensors([spec('w', [2])], { tensors: new Map([['w', { dtype: 'float64', dims: [2], data: Float64Array.from(x) }]]), source: 's' }, 'm');
    const model = new Model(17);
    const params = new ParamStore(new Builder(model.graph, 17), m.tensors);
    expect([...params.floats('w')]).toEqual(x);
    const init = params.real('w');
    expect(init.type.dtype).toBe('float32');
    expect(init.constant!.dtype).toBe('float32');
    expect([...(init.constant!.data as Float32Array)]).toEqual([...Float32Array.from(x)]);
  });

  it("S4 DPLR builds its float64 system from a float64 checkpoint's own values, not float32-rounded ones", () => {
    const args = resolveArgs('s4-block', s4BlockSchema, goldenCase('s4_dplr_legs').official.args);
    const m = matchCheckpoint(s4Block.configure(goldenCase('s4_dplr_legs').official.args), read('valid/dplr-f64.pt'));
    const B = m.tensors.get('layer.kernel.B')!.data as Float64Array;
    B[0] = B[0]! + 2 ** -40; // off the float32 grid
    expect(Math.fround(B[0]!)).not.toBe(B[0]);
    const sys = readSystem(new ParamStore(new Builder(new Model(17).graph, 17), m.tensors), args, 'layer.kernel.', 1);
    expect(sys.B[0]).toBe(B[0]);
  });

  it('converts integer buffers exactly and refuses what does not fit', () => {
    const lk = (t: Tensor) => matchTensors([spec('l_kernel', [], 'int64')], { tensors: new Map([['l_kernel', t]]), source: 's' }, 'm').tensors.get('l_kernel')!;
    expect(lk({ dtype: 'int32', dims: [], data: Int32Array.of(784) })).toEqual({ dtype: 'int64', dims: [], data: BigInt64Array.of(784n) });
    expect(lk({ dtype: 'float32', dims: [], data: Float32Array.of(784) }).data).toEqual(BigInt64Array.of(784n));
    expect(() => lk({ dtype: 'float32', dims: [], data: Float32Array.of(1.5) })).toThrow(/not all integers/);
    expect(() => lk({ dtype: 'uint64', dims: [], data: BigUint64Array.of(2n ** 64n - 1n) })).toThrow(/int64 cannot hold/);
    expect(() => matchTensors([spec('w', [1])], { tensors: new Map([['w', { dtype: 'int64', dims: [1], data: BigInt64Array.of(1n) }]]), source: 's' }, 'm'))
      .toThrow(/needs a floating-point tensor.*v\.float\(\)/);
    expect(() => matchTensors([spec('w', [1])], { tensors: new Map([['w', { dtype: 'float8e4m3fn', dims: [1], data: null, raw: Uint8Array.of(1) }]]), source: 's' }, 'm'))
      .toThrow(/dtype float8e4m3fn.*float32, float16, bfloat16 or float64/);
  });

  it('reads a complex tensor as the (re, im) pairs of torch.view_as_real', () => {
    const dt = read('valid/dtypes.pt').tensors;
    const m = matchTensors([spec('c64', [2, 3, 2])], { tensors: new Map([['c64', dt.get('c64')!]]), source: 's' }, 'm');
    const f = dt.get('f32')!.data as Float32Array, c = m.tensors.get('c64')!.data as Float32Array;
    expect([...c.filter((_, i) => i % 2 === 0)]).toEqual([...f]);
    expect([...c.filter((_, i) => i % 2 === 1)]).toEqual([...f].map((x) => -x));
  });

  it('names a non-tensor where a tensor belongs', () => {
    const c = read('hostile/off-list-global.pt');
    expect(() => matchTensors([spec('layer.kernel.C', [1])], c, 'm')).toThrow(/'layer\.kernel\.C', required by m, is an object of decimal\.Decimal, not a tensor/);
  });

  it('reports user errors as UserError', () => {
    expect(() => read('hostile/short-storage.pt')).toThrow(UserError);
  });
});
