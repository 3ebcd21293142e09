/**
 * What the --custom-ops tests share: the golden cases, compiling them with and without custom ops,
 * the structure every custom-op model must have, and stepping a step graph through a sequence in
 * any runner (onnxruntime-node, onnxruntime-web, the float64 interpreter).
 */
import { expect } from 'vitest';
import { type CompileMode, compileModel, readStates, zeroStates } from 'ssmc';
import { evaluateModel, f32, fromTensor, i64, isComplex, type Model, ONNX_DOMAIN, opsetViolation, SSMC_DOMAIN, type Tensor, toTensor, verifyModel } from 'ssmc/ir';
import { goldenCase, goldenIo, goldenWeights, modelFileFor, type GoldenCase } from '../helpers/golden.js';

export const CONV_CASES = ['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 's4d_bidirectional', 's4_dplr_legs', 'dss_exp', 'dss_softmax', 'gss_layer', 'gss_lm'];

/** The families with a diagonal step mode (S4D in both modules, DSS-exp, GSS, the GSS LM). */
export const STEP_CASES = ['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 'dss_exp', 'gss_layer', 'gss_lm'];

/** Cases whose kernel is a Vandermonde (diagonal SSM): nothing of its evaluation may stay in the main graph. */
export const DIAGONAL = new Set(['s4d_minimal', 's4d_lin_zoh', 's4d_inv_bilinear', 's4d_bidirectional', 'dss_exp', 'gss_layer', 'gss_lm']);

/** Ops that only the lowered SSM ops make (kernel evaluation, FFTs, chunking, the Conv form, the step sum). */
const SSM_INTERNALS = ['DFT', 'Conv', 'Cos', 'Sin', 'Range', 'Mod', 'Pad', 'ReduceSum'];

/** The calls the function bodies are for (ir/ssm-ops.ts). */
export const CALL_OPS = ['Vandermonde', 'LongConv', 'LongConvBidirectional', 'DiagSSMConv', 'DiagSSMConvBidirectional', 'DenseSSMConv', 'DiagSSMStep'];

export function seqLenOf(c: GoldenCase): number {
  return c.input.layout === 'BHL' ? c.input.shape[2]! : c.input.shape[1]!; // BLH, BLE and BL have L second
}

export function compileGolden(name: string, opts: { seqLen: number | null; opset: number; mode?: CompileMode; customOps?: boolean; lowering?: string; portable?: boolean }): Model {
  const c = goldenCase(name);
  return compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: `${name}.weights.safetensors` }, opts).model;
}

export function reference(name: string): Float64Array {
  return Float64Array.from(goldenIo(goldenCase(name)).get('output_f64')!.data as Float64Array);
}

/**
 * The structure of a custom-op model: ai.ssmc version 1 imported, every ai.ssmc node a call of a
 * model-local function whose body is made of standard ops legal at the model's opset (Constant
 * nodes, no initializers, no complex values), and no lowered SSM internals in the main graph.
 */
export function expectCustomOpStructure(model: Model, name: string, seqLen: number | null): void {
  verifyModel(model); // function bodies included
  expect(model.opsetImports.get(SSMC_DOMAIN)).toBe(1);
  expect([...model.opsetImports.keys()].sort()).toEqual(['', SSMC_DOMAIN]);
  const calls = model.graph.nodes.filter((n) => n.domain === SSMC_DOMAIN);
  expect(calls.length).toBeGreaterThan(0);
  for (const call of calls) {
    const base = call.op.replace(/_\d+$/, '');
    expect(CALL_OPS).toContain(base);
    const fn = model.findFunction(SSMC_DOMAIN, call.op);
    expect(fn, `function for ${call.op}`).toBeDefined();
    expect(fn!.body.inputs.length).toBe(call.inputs.length);
    expect(fn!.body.outputs.length).toBe(call.outputs.length);
    for (const a of call.attrs.keys()) expect(fn!.attributes).toContain(a);
  }
  expect(model.functions.every((f) => calls.some((n) => n.op === f.name))).toBe(true);
  for (const fn of model.functions) {
    expect(fn.domain).toBe(SSMC_DOMAIN);
    expect([...fn.opsetImports.entries()]).toEqual([[ONNX_DOMAIN, model.opset]]);
    expect(fn.body.initializers).toEqual([]);
    for (const n of fn.body.nodes) {
      expect(n.domain, `${fn.name}: ${n.name}`).toBe(ONNX_DOMAIN);
      expect(opsetViolation(n.op, model.opset)).toBeNull();
      for (const v of n.outputs) expect(isComplex(v.type.dtype)).toBe(false);
    }
  }
  const ops = model.graph.nodes.map((n) => n.qualifiedOp);
  expect(ops.filter((o) => o.startsWith('ai.ssmc.') && !CALL_OPS.includes(o.slice(8).replace(/_\d+$/, '')))).toEqual([]);
  if (DIAGONAL.has(name)) {
    for (const op of SSM_INTERNALS) expect(ops, `${name}: ${op} in the main graph`).not.toContain(op);
  } else {
    // The DPLR (Cauchy) and DSS-softmax kernels are built from standard ops; only S4 DPLR's own
    // irfft is a DFT, and only when the length is dynamic (else the kernel folds) and the
    // convolution reads the kernel's taps (a DenseSSMConv call carries the state space instead).
    const readsTaps = !ops.includes('ai.ssmc.DenseSSMConv');
    expect(ops.filter((o) => o === 'DFT').length).toBe(name === 's4_dplr_legs' && seqLen === null && readsTaps ? 1 : 0);
    expect(ops).not.toContain('Conv');
  }
}

/** Runs a graph on feeds: an onnxruntime session, or the float64 interpreter. */
export type Runner = (feeds: Map<string, Tensor>) => Promise<Map<string, Tensor>>;

export function interpreterRunner(model: Model): Runner {
  return async (feeds) => {
    const out = evaluateModel(model, new Map([...feeds].map(([k, v]) => [k, fromTensor(v)])));
    return new Map([...out].map(([k, v]) => [k, toTensor(v, 'float32')]));
  };
}

/**
 * The step graph run over the golden input from zero states, position by position, reassembled
 * in the conv graph's output layout (BHL stays BHL; BLH, BLE and the LM's BL → BLV keep L second).
 */
export async function stepThrough(model: Model, name: string, run: Runner): Promise<Float32Array> {
  const c = goldenCase(name);
  const x = goldenIo(c).get('input')!;
  const [B, a1, a2] = c.input.shape as [number, number, number?];
  const L = seqLenOf(c);
  const outDims = c.outputs.output_f64!;
  const F = c.input.layout === 'BHL' ? outDims[1]! : outDims[2]!; // output features per position
  const at = (t: number): Tensor => {
    if (c.input.layout === 'BL') return i64(Array.from({ length: B }, (_, b) => (x.data as BigInt64Array)[b * L + t]!), [B]);
    const H = c.input.layout === 'BHL' ? a1 : a2!;
    const idx = (b: number, h: number) => (c.input.layout === 'BHL' ? (b * H + h) * L + t : (b * L + t) * H + h);
    return f32(Array.from({ length: B * H }, (_, i) => (x.data as Float32Array)[idx(Math.floor(i / H), i % H)]!), [B, H]);
  };
  const specs = readStates(model);
  let states = zeroStates(specs, B);
  const y = new Float32Array(B * L * F);
  for (let t = 0; t < L; t++) {
    const res = await run(new Map([['input', at(t)], ...states]));
    const o = res.get('output')!.data as Float32Array;
    for (let i = 0; i < B * F; i++) {
      const b = Math.floor(i / F), f = i % F;
      y[c.input.layout === 'BHL' ? (b * F + f) * L + t : (b * L + t) * F + f] = o[i]!;
    }
    states = new Map(specs.map((s) => [s.input, res.get(s.output)!]));
  }
  return y;
}
