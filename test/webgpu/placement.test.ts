import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileModel, modelToBytes, readSafetensors, type CompileMode, type CompileOptions, type ModelFile } from 'ssmc';
import { parsePlacementLog, placementProblems, readPlacement, summarizePlacement } from 'ssmc/runtime';
import { goldenCase, goldenWeights, loadManifest, modelFileFor } from '../helpers/golden.js';
import { webgpuTestsRun } from '../helpers/webgpu.js';
import { WHOLE_CASES } from '../helpers/whole.js';

/**
 * Node placement as a checked property: onnxruntime's own placement (read from its verbose session
 * log, src/runtime/placement.ts) of every graph `--target ort-webgpu` makes for the golden
 * families — conv at a fixed and a dynamic length, step and prefill — puts every node on the
 * WebGPU provider, except the integer shape arithmetic onnxruntime keeps on the host on purpose,
 * and inserts no copy between the CPU and the device. A Scan, a Loop, an op without a WebGPU
 * kernel or a value that crosses to the CPU fails it.
 */
const FAMILIES = loadManifest().map((c) => c.name);
const NO_RECURRENCE = ['s4d_bidirectional', 'dss_softmax'];
const GRAPHS: [string, CompileMode, 'fixed' | 'dynamic'][] = [['conv, fixed length', 'conv', 'fixed'], ['conv, dynamic length', 'conv', 'dynamic'], ['step', 'step', 'dynamic'], ['prefill', 'prefill', 'dynamic']];

function compiled(name: string, mode: CompileMode, length: 'fixed' | 'dynamic', extra: Partial<CompileOptions> = { runtime: 'ort-webgpu' }) {
  const c = goldenCase(name);
  const L = c.input.layout === 'BHL' ? c.input.shape[2]! : c.input.shape[1]!;
  return compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: length === 'fixed' && mode === 'conv' ? L : null, opset: 17, mode, ...extra });
}

describe('reading the placement log', () => {
  it('reads the providers, the nodes of a split graph and the copies from onnxruntime\'s verbose lines', () => {
    const log = [
      '2026-01-01 [V:onnxruntime:, transformer_memcpy.cc:370 AddCopyNode] Add MemcpyFromHost after cast_out for WebGpuExecutionProvider',
      '2026-01-01 [V:onnxruntime:, session_state.cc:1280 VerifyEachNodeIsAssignedToAnEp] Node placements',
      '2026-01-01 [V:onnxruntime:, session_state.cc:1282 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2',
      '2026-01-01 [V:onnxruntime:, session_state.cc:1285 VerifyEachNodeIsAssignedToAnEp]   Scan (scan_0)',
      '2026-01-01 [V:onnxruntime:, session_state.cc:1285 VerifyEachNodeIsAssignedToAnEp]   Shape (shape_3)',
      '2026-01-01 [V:onnxruntime:, session_state.cc:1282 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 7',
      '2026-01-01 [V:onnxruntime:, session_state.cc:1285 VerifyEachNodeIsAssignedToAnEp]   MatMul (matmul_1)',
      '2026-01-01 [V:onnxruntime:, inference_session.cc:10 Initialize] Session initialized',
    ].join('\n');
    const p = parsePlacementLog(log);
    expect(p.groups).toEqual([{ provider: 'CPUExecutionProvider', count: 2 }, { provider: 'WebGpuExecutionProvider', count: 7 }]);
    expect(p.nodes.map((n) => `${n.provider}:${n.op}`)).toEqual(['CPUExecutionProvider:Scan', 'CPUExecutionProvider:Shape', 'WebGpuExecutionProvider:MatMul']);
    expect(p.copies).toEqual(['Add MemcpyFromHost after cast_out']);
    const problems = placementProblems(p);
    expect(problems).toHaveLength(2); // the Scan and the copy; Shape on the CPU is host-side shape arithmetic
    expect(problems[0]).toMatch(/^Scan 'scan_0' on CPUExecutionProvider: control flow/);
    expect(summarizePlacement(p)).toBe('2 on CPU, 7 on WebGpu; 1 copy between CPU and device');
  });
});

describe.runIf(webgpuTestsRun('the WebGPU placement test'))('node placement of ort-webgpu graphs (onnxruntime-node, WebGPU provider)', () => {
  it('covers every golden family', () => {
    expect(FAMILIES.length).toBeGreaterThanOrEqual(9);
  });

  // Bidirectional kernels and DSS-softmax have no recurrence: conv graphs only.
  const cases = FAMILIES.flatMap((name) => GRAPHS.filter(([, mode]) => mode === 'conv' || !NO_RECURRENCE.includes(name)).map(([label, mode, length]) => [name, label, mode, length] as const));
  it.each(cases)('golden %s, %s: every node on WebGPU, no copies', async (name, _label, mode, length) => {
    const { model } = compiled(name, mode, length);
    const placement = await readPlacement(modelToBytes(model), 'webgpu');
    expect(placementProblems(placement), summarizePlacement(placement)).toEqual([]);
    expect(placement.groups.some((g) => g.provider === 'WebGpuExecutionProvider')).toBe(true);
  }, 60_000);

  // The official whole models (their encoders, norms, residuals and decoders too) at a dynamic
  // length: a mean-pooling decoder once divided by the length cast from Shape on the host, copied to
  // the device every run.
  const whole = WHOLE_CASES.filter((c) => c.name.startsWith('golden/') && !c.attention);
  it.each(whole.flatMap((c) => (['conv', 'prefill'] as const).map((mode) => [c.name, mode, c] as const)))('whole model %s, %s, dynamic length: every node on WebGPU, no copies', async (_name, mode, c) => {
    const src = c.forms[0]!.load();
    const { model } = compileModel(src.file, src.weights, { seqLen: null, opset: 17, mode, runtime: 'ort-webgpu' });
    const placement = await readPlacement(modelToBytes(model), 'webgpu');
    expect(placementProblems(placement), summarizePlacement(placement)).toEqual([]);
  }, 60_000);

  // Attention: the official whole model with mha (S4D → mha → FFN) and the GSS hybrids (chunk-local
  // and full), conv at a dynamic length, prefill and step (the key/value cache's ScatterElements write).
  const hybrid = (name: string) => {
    const dir = fileURLToPath(new URL('../fixtures/hybrid/', import.meta.url));
    return { file: JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as ModelFile, weights: { tensors: readSafetensors(readFileSync(`${dir}${name}.weights.safetensors`), `${name}.weights.safetensors`), source: name } };
  };
  const attention = [
    ...WHOLE_CASES.filter((c) => c.name.startsWith('golden/') && c.attention).map((c) => [c.name, () => c.forms[0]!.load()] as const),
    ...['gss_hybrid_chunk16', 'gss_hybrid_full'].map((n) => [n, () => hybrid(n)] as const),
  ];
  it.each(attention.flatMap(([name, load]) => (['conv', 'prefill', 'step'] as const).map((mode) => [name, mode, load] as const)))('attention model %s, %s, dynamic length: every node on WebGPU, no copies', async (_name, mode, load) => {
    const src = load();
    const { model } = compileModel(src.file, src.weights, { seqLen: null, opset: 17, mode, runtime: 'ort-webgpu', kvCache: 64 });
    const placement = await readPlacement(modelToBytes(model), 'webgpu');
    expect(placementProblems(placement), summarizePlacement(placement)).toEqual([]);
  }, 60_000);

  it('fails a graph that loops: the chunked lowering\'s Scan (planned for the CPU) runs on the CPU with copies', async () => {
    const { model } = compiled('s4d_lin_zoh', 'conv', 'dynamic', { lowering: 'chunked' });
    const problems = placementProblems(await readPlacement(modelToBytes(model), 'webgpu'));
    expect(problems.some((p) => /^Scan '.*' on CPUExecutionProvider: control flow/.test(p)), problems.join('\n')).toBe(true);
  }, 60_000);
});
