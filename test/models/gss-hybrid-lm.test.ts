import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildModel, compareToReference, compileModel, describeComparison, modelToBytes, readSafetensors, readStates, Rng, runSteps, StateBuffers, zeroStates } from 'ssmc';
import { evaluateModel, fromTensor, i64 } from 'ssmc/ir';
import { createSession, runOnnx } from 'ssmc/runtime';
import { nodeBackend } from '../../src/runtime/node.js';
import { checkRecurrence } from '../../src/verify/recurrence.js';
import { TEST_TOLERANCES as TOL } from '../helpers/tolerances.js';

/**
 * gss-hybrid-lm against the cases tools/reference/make_hybrid_cases.py made from ssmc's PyTorch
 * definition (tools/reference/gss_hybrid.py): conv graphs in onnxruntime at fixed and dynamic
 * length and the float64 interpreter vs `output_f64`; structure (one Softmax per attention block,
 * chunk-local scores chunk × chunk); conv = prefill + step over 512 positions, crossing dozens of
 * chunk boundaries, with each block's key/value cache bounded by its chunk.
 */
const DIR = fileURLToPath(new URL('../fixtures/hybrid/', import.meta.url));
const CASES = ['gss_hybrid_chunk16', 'gss_hybrid_rotary', 'gss_hybrid_full'] as const;
type Spec = { arch: string; args: Record<string, number | string> };

function load(name: string) {
  const file = JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Spec;
  const weights = { tensors: readSafetensors(readFileSync(`${DIR}${name}.weights.safetensors`), `${name}.weights.safetensors`), source: `${name}.weights.safetensors` };
  const io = readSafetensors(readFileSync(`${DIR}${name}.io.safetensors`), `${name}.io.safetensors`);
  return { file, weights, input: io.get('input')!, output: io.get('output')!, reference: io.get('output_f64')!.data as Float64Array };
}

const blocks = (args: Spec['args']) => Math.floor((args.depth as number) / (args.attn_every as number));
/** Softmax nodes: one per head of every attention block (lower-attention forms the scores one head at a time). */
const softmaxes = (args: Spec['args']) => blocks(args) * ((args.attn_heads as number | undefined) ?? 8);

describe.each(CASES)('gss-hybrid-lm %s', (name) => {
  const c = load(name);
  const L = c.input.dims[1]!;

  it('the PyTorch float32 output agrees with its float64 output', () => {
    const cmp = compareToReference(c.output.data as Float32Array, c.reference);
    expect(cmp.ok, describeComparison(name, cmp)).toBe(true);
  });

  it.each([null, L])('conv graph in onnxruntime, length %s (null: dynamic), vs output_f64; one masked Softmax per head of each attention block, one head\'s scores each', async (seqLen) => {
    const compiled = compileModel(c.file, c.weights, { seqLen, opset: 17 });
    const ops = compiled.model.graph.nodes.map((n) => n.qualifiedOp);
    expect(ops.filter((o) => o === 'Softmax')).toHaveLength(softmaxes(c.file.args));
    expect(ops.filter((o) => o.startsWith('ai.ssmc'))).toEqual([]);
    const chunk = c.file.args.attn_chunk as number;
    const softmaxShapes = compiled.model.graph.nodes.filter((n) => n.op === 'Softmax').map((n) => n.outputs[0]!.type.shape);
    for (const s of softmaxShapes) expect(s![1]).toBe(1);
    for (const s of softmaxShapes) expect(s!.slice(-2)).toEqual(chunk > 0 && chunk < L ? [chunk, chunk] : seqLen === null ? [null, null] : [L, L]);
    const y = (await runOnnx(modelToBytes(compiled.model), new Map([['input', c.input]]))).get('output')!;
    expect(y.dims).toEqual(c.output.dims);
    const cmp = compareToReference(y.data as Float32Array, c.reference);
    expect(cmp.ok, describeComparison(`${name} ${seqLen ?? 'dynamic'}`, cmp)).toBe(true);
  });

  it('the float64 reference interpreter on the high-level graph (CausalAttention from its definition) vs output_f64', () => {
    const { model } = buildModel(c.file, c.weights, { seqLen: null, opset: 17 });
    expect(model.graph.nodes.filter((n) => n.op === 'CausalAttention')).toHaveLength(blocks(c.file.args));
    const y = evaluateModel(model, { input: fromTensor(c.input) }).get('output')!;
    // Float32 constants (the scale 1/√head_width, rotary θ, the GSS layers' folded parameters) bound the agreement.
    const cmp = compareToReference(y.data, c.reference, TOL.F32_CONSTANTS);
    expect(cmp.ok, describeComparison(`${name} float64`, cmp)).toBe(true);
  });
});

describe('gss-hybrid-lm step graphs: the key/value cache of a chunk-local block is bounded by its chunk', () => {
  it.each(['gss_hybrid_chunk16', 'gss_hybrid_rotary'] as const)('%s: conv = step from zero states = prefill (256) + step over 512 positions', async (name) => {
    const c = load(name);
    const opts = { seqLen: null, opset: 17 };
    const conv = compileModel(c.file, c.weights, opts);
    const rng = new Rng(3);
    const B = 2, L = 512;
    const x = i64(Array.from({ length: B * L }, () => Math.floor(rng.uniform() * (c.file.args.num_tokens as number))), [B, L]);
    const y = (await runOnnx(modelToBytes(conv.model), new Map([['input', x]]))).get('output')!.data as Float32Array;
    const { rows, skipped } = await checkRecurrence(nodeBackend, c.file, c.weights, opts, { x, layout: 'BL', L, B, convOutput: y, references: [], outputShape: conv.io.outputShape, stepRows: conv.io.stepRows });
    expect(skipped).toEqual([]);
    expect(rows.map(([n]) => n)).toEqual(['step (from zero state) vs conv', 'prefill (256 positions) + step vs conv']);
    for (const [what, cmp] of rows) expect(cmp.ok, describeComparison(`${name}: ${what}`, cmp)).toBe(true);

    const step = compileModel(c.file, c.weights, { ...opts, mode: 'step' });
    const states = JSON.parse(step.model.metadata.get('ssmc.states')!) as { input: string; shape: (string | number)[]; meaning: string }[];
    const a = c.file.args;
    const keys = states.filter((s) => /^cache\.attns\.\d+\.key$/.test(s.input));
    expect(keys).toHaveLength(blocks(a));
    for (const k of keys) {
      expect(k.shape).toEqual(['batch', a.attn_heads, a.attn_chunk, (a.dim as number) / (a.attn_heads as number)]);
      expect(k.meaning).toMatch(/resets at every chunk boundary/);
    }
    expect(states.filter((s) => s.input.startsWith('state.layers.')).length).toBe(a.depth);

    // A step writes the new key and value into their slot with ScatterElements (not a Where over
    // every slot), and that result is the cache output itself (no Identity copying every slot).
    const nodes = step.model.graph.nodes;
    expect(nodes.filter((n) => n.op === 'ScatterElements')).toHaveLength(2 * blocks(a));
    expect(nodes.filter((n) => n.op === 'Identity' && n.outputs[0]!.name.startsWith('cache_out.'))).toEqual([]);
    for (const k of keys) expect(step.model.graph.outputs.find((v) => v.name === k.input.replace(/^cache\./, 'cache_out.'))!.producer!.op).toBe('ScatterElements');
    expect(nodes.filter((n) => n.op === 'Where' && n.outputs[0]!.type.shape?.[2] === a.attn_chunk)).toEqual([]);

    // Generation that writes each step's states into two alternating buffer sets gives the same
    // outputs as letting onnxruntime allocate them, and never writes the caller's initial states.
    const session = await createSession(modelToBytes(step.model), { threads: 1 });
    const specs = readStates(step.model);
    const tokens = (t: number) => i64([(7 * t + 3) % (a.num_tokens as number)], [1]);
    const initial = zeroStates(specs, 1);
    const plain = await runSteps(session, specs, 40, tokens, initial);
    const buffered = await runSteps(session, specs, 40, tokens, initial, new StateBuffers(specs));
    await session.release();
    plain.outputs.forEach((o, t) => expect(Array.from(buffered.outputs[t]!.data as Float32Array), `step ${t}`).toEqual(Array.from(o.data as Float32Array)));
    for (const spec of specs) expect(Array.from(buffered.states.get(spec.input)!.data as Float32Array)).toEqual(Array.from(plain.states.get(spec.input)!.data as Float32Array));
    for (const t of initial.values()) expect((t.data as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('fresh models compile from their arguments; the rules across arguments are refused by name', () => {
    const args = { num_tokens: 16, dim: 16, depth: 2, dss_kernel_N: 8, dss_kernel_H: 8, attn_every: 1, attn_heads: 4, attn_chunk: 8 };
    expect(compileModel({ arch: 'gss-hybrid-lm', args }, null, { seqLen: null, opset: 17 }).model.graph.nodes.filter((n) => n.op === 'Softmax')).toHaveLength(2 * 4);
    expect(() => compileModel({ arch: 'gss-hybrid-lm', args: { ...args, attn_heads: 3 } }, null, { seqLen: null, opset: 17 })).toThrow(/"attn_heads" \(3\) must divide "dim" \(16\)/);
    expect(() => compileModel({ arch: 'gss-hybrid-lm', args: { ...args, attn_heads: 16, attn_pos: 'rotary' } }, null, { seqLen: null, opset: 17 })).toThrow(/'rotary' needs an even head width, but dim \/ attn_heads = 1/);
  });
});
