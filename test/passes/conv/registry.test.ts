/**
 * The lowering registry as an extension point: a new lowering is one module (toeplitz-lowering.ts)
 * and one registry line; select-lowering, the cost model, the lowering passes and custom-op
 * outlining all take it from there. A new runtime is one target entry: its throughputs price the
 * lowerings, `lacks` rules out the ones needing an op it has not, `prices` replaces an estimate.
 */
import { describe, expect, it } from 'vitest';
import { compareToReference, compileModel, describeComparison, modelToBytes, UserError } from 'ssmc';
import { buildPipeline, type ConvLowering, LOWERINGS, loweringRegistry, ORT_CPU, type RuntimeTarget, TARGETS } from 'ssmc/passes';
import { runOnnx } from 'ssmc/runtime';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from '../../helpers/golden.js';
import { toeplitzLowering } from './toeplitz-lowering.js';

/** The one registry line. */
const WITH_TOY: readonly ConvLowering[] = [...LOWERINGS, toeplitzLowering];

const CASES = ['s4d_minimal', 's4d_lin_zoh', 'dss_softmax', 's4_dplr_legs', 'gss_lm'];

function compileCase(name: string, opts: { seqLen?: number | null; lowering?: string; customOps?: boolean; runtime?: string; lowerings?: readonly ConvLowering[]; targets?: readonly RuntimeTarget[] }) {
  const c = goldenCase(name);
  const L = c.input.layout === 'BHL' ? c.input.shape[2]! : c.input.shape[1]!;
  const compiled = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { opset: 17, lowerings: WITH_TOY, ...opts, seqLen: opts.seqLen === undefined ? L : opts.seqLen });
  return { c, compiled };
}

async function matchesReference(name: string, model: Parameters<typeof modelToBytes>[0]) {
  const c = goldenCase(name);
  const io = goldenIo(c);
  const y = (await runOnnx(modelToBytes(model), new Map([['input', io.get('input')!]]))).get('output')!;
  const cmp = compareToReference(y.data as Float32Array, Float64Array.from(io.get('output_f64')!.data as Float64Array));
  expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
}

describe('a toy lowering: one module and one registry line', () => {
  it.each(CASES)('%s: --lowering toeplitz lowers every convolution to its Gather + MatMul, matching the reference', async (name) => {
    const { compiled } = compileCase(name, { lowering: 'toeplitz' });
    expect(compiled.decisions.length).toBeGreaterThan(0);
    expect(compiled.decisions.every((d) => d.lowering === 'toeplitz' && d.how === 'forced')).toBe(true);
    expect(compiled.layers.every((l) => l.lowering === 'toeplitz')).toBe(true);
    const ops = compiled.model.graph.nodes.map((n) => n.qualifiedOp);
    for (const other of ['Scan', 'Conv', 'ai.ssmc.LongConv']) expect(ops).not.toContain(other);
    if (name !== 's4_dplr_legs') expect(ops).not.toContain('DFT'); // S4 DPLR's own kernel is an irfft
    await matchesReference(name, compiled.model);
  });

  it('the cost model ranks it with the others: at L = 32 its one small MatMul is predicted fastest, and auto takes it', async () => {
    const { compiled } = compileCase('s4d_lin_zoh', {});
    const [d] = compiled.decisions;
    expect(d!.estimates.map((e) => e.lowering)).toEqual(['dft', 'fourstep', 'chunked', 'doubling', 'direct', 'toeplitz']);
    expect(d!.lowering).toBe('toeplitz');
    expect(d!.reason).toMatch(/^est\. [\d.]+ ms on ort-cpu, [\d.]+× faster than \w+; Toeplitz MatMul of 32×32$/);
    await matchesReference('s4d_lin_zoh', compiled.model);
  });

  it('its refusals are the user’s to fix: dynamic length, bidirectional kernels', () => {
    expect(() => compileCase('s4d_minimal', { lowering: 'toeplitz', seqLen: null })).toThrow(UserError);
    expect(() => compileCase('s4d_minimal', { lowering: 'toeplitz', seqLen: null })).toThrow(/--lowering toeplitz cannot lower the long convolution of layer 'kernel': the Toeplitz matrix needs a fixed length/);
    expect(() => compileCase('s4d_bidirectional', { lowering: 'toeplitz' })).toThrow(/the toy takes causal kernels only/);
    // auto passes over it where it does not apply
    const { compiled } = compileCase('s4d_minimal', { seqLen: null });
    expect(compiled.decisions[0]!.estimates.find((e) => e.lowering === 'toeplitz')).toEqual({ lowering: 'toeplitz', ms: null, note: 'the Toeplitz matrix needs a fixed length' });
  });

  it('--custom-ops outlines it like any lowering: an ai.ssmc.LongConv call whose body is the Toeplitz MatMul', async () => {
    const { compiled } = compileCase('s4d_lin_zoh', { lowering: 'toeplitz', customOps: true });
    const calls = compiled.model.graph.nodes.filter((n) => n.domain === 'ai.ssmc').map((n) => n.op);
    expect(calls).toContain('LongConv');
    const body = compiled.model.functions.find((f) => f.name === 'LongConv')!.body.nodes.map((n) => n.op);
    expect(body).toEqual(expect.arrayContaining(['Gather', 'MatMul']));
    await matchesReference('s4d_lin_zoh', compiled.model);
  });

  it('the pipeline gets its lowering pass from the registry', () => {
    const names = buildPipeline({ lowerings: WITH_TOY }).passes.map((p) => p.name);
    expect(names).toContain('lower-conv-toeplitz');
    expect(names.indexOf('lower-conv-toeplitz')).toBeGreaterThan(names.indexOf('lower-vandermonde'));
  });

  it('a registry rejects two lowerings of one name, and the name auto', () => {
    expect(() => loweringRegistry([...WITH_TOY, { ...toeplitzLowering }])).toThrow("two lowerings are named 'toeplitz'");
    expect(() => loweringRegistry([{ ...toeplitzLowering, name: 'auto' }])).toThrow(/cannot be named 'auto'/);
    expect(() => compileCase('s4d_lin_zoh', { lowerings: [...WITH_TOY, { ...toeplitzLowering }] })).toThrow("two lowerings are named 'toeplitz'");
  });
});

describe('a new runtime target: one entry', () => {
  /** A runtime without Scan whose DFT is (say) a fused kernel it prices itself. */
  const NO_SCAN: RuntimeTarget = {
    ...ORT_CPU,
    id: 'no-scan',
    description: 'a runtime without Scan, for the test',
    lacks: ['Scan'],
    prices: { dft: (f) => ({ ms: 0.001 * f.H, note: 'its own DFT kernel' }) },
  };
  const targets = [...TARGETS, NO_SCAN];

  it('rules out the lowerings needing what it lacks, with the reason, and uses its own prices', () => {
    const { compiled } = compileCase('s4d_lin_zoh', { seqLen: 4096, runtime: 'no-scan', targets, lowerings: LOWERINGS });
    const [d] = compiled.decisions;
    expect(d!.estimates.find((e) => e.lowering === 'chunked')).toEqual({ lowering: 'chunked', ms: null, note: 'no-scan cannot run Scan, which the chunked form needs' });
    expect(d!.lowering).toBe('dft');
    expect(d!.reason).toMatch(/^est\. 0\.00 ms on no-scan, .*; its own DFT kernel$/);
    expect(compiled.model.graph.nodes.map((n) => n.op)).not.toContain('Scan');
    // The same convolution on the default target can take the chunked form, priced by its throughputs.
    const cpu = compileCase('s4d_lin_zoh', { seqLen: 4096, lowerings: LOWERINGS }).compiled.decisions[0]!;
    expect(cpu.estimates.find((e) => e.lowering === 'chunked')!.ms).toBeGreaterThan(0);
    expect(cpu.estimates.find((e) => e.lowering === 'dft')!.note).toMatch(/real transforms of 8192/);
  });

  it('a forced lowering it cannot run is refused as the user’s error', () => {
    expect(() => compileCase('s4d_lin_zoh', { lowering: 'chunked', runtime: 'no-scan', targets })).toThrow(/--lowering chunked cannot lower the long convolution of layer '[\w.]+': no-scan cannot run Scan, which the chunked form needs/);
  });
});
