import { describe, expect, it } from 'vitest';
import { onnxKernel, ssmcKernel, type Kernel } from '../../ir/interp/kernel.js';
import { ALL_KERNELS, KERNELS, kernelRegistry } from '../../ir/interp/registry.js';
import { f32, run1, values } from './harness.js';

const nop: Kernel = () => [];

describe('the kernel registry', () => {
  it('rejects a second kernel for the same op and opset form instead of letting the later one win', () => {
    expect(() => kernelRegistry([onnxKernel('Relu', nop), onnxKernel('Relu', nop)])).toThrow(/ai\.onnx\.Relu \(since opset 1\) registered twice/);
    expect(() => kernelRegistry([ssmcKernel('Real', nop), ssmcKernel('Real', nop)])).toThrow(/registered twice/);
  });

  it('the shipped list has no duplicates (building it would throw) and every entry is one op of one domain', () => {
    expect(() => kernelRegistry(ALL_KERNELS)).not.toThrow();
    const keys = ALL_KERNELS.map((d) => `${d.domain}::${d.op}::${d.since}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('picks the newest opset form not newer than the model: Pad 1, 2 and 11 read their pads from different places', () => {
    const forms = [onnxKernel('Pad', () => [f32([1], [1])], 1), onnxKernel('Pad', () => [f32([1], [2])], 2), onnxKernel('Pad', () => [f32([1], [11])], 11)];
    const r = kernelRegistry(forms);
    const which = (opset: number) => values(r.find('', 'Pad', opset)!([], null as never, { opset, runSubgraph: () => [] })[0]!)[0];
    expect([1, 2, 10, 11, 21].map(which)).toEqual([1, 2, 2, 11, 11]);
    expect(kernelRegistry([onnxKernel('DFT', nop, 17)]).find('', 'DFT', 16)).toBeUndefined();
  });

  it('runs the opset-1 and opset-2 forms of Pad and the opset-1 form of Slice', () => {
    const x = f32([3], [1, 2, 3]);
    expect(values(run1('Pad', [x], { paddings: [1, 2], mode: 'edge' }, { opset: 1 }))).toEqual([1, 1, 2, 3, 3, 3]);
    expect(values(run1('Pad', [x], { pads: [2, 1], mode: 'reflect' }, { opset: 2 }))).toEqual([3, 2, 1, 2, 3, 2]);
    expect(values(run1('Slice', [f32([2, 3], [1, 2, 3, 4, 5, 6])], { starts: [0, 1], ends: [1, 1000] }, { opset: 1 }))).toEqual([2, 3]);
  });

  it('lists what it has per domain', () => {
    expect(KERNELS.available('')).toContain('Scan');
    expect(KERNELS.sinceByOp('').get('Scan')).toBe(8);
    expect(KERNELS.available('ai.ssmc')).toContain('LongConv');
  });
});
