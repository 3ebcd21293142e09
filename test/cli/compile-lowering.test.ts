/**
 * `ssmc compile --lowering/--target/--threads`: the choice printed per layer, the `ssmc.layers`
 * metadata that inspect reads, and the refusals (exit code 2, no output file).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type LayerInfo, modelFromBytes } from 'ssmc';
import { LOWERINGS } from 'ssmc/passes';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

function ssmc(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function layersOf(path: string): LayerInfo[] {
  const model = modelFromBytes(new Uint8Array(readFileSync(path)));
  return JSON.parse(model.metadata.get('ssmc.layers')!) as LayerInfo[];
}

describe('ssmc compile: lowering choice', () => {
  it('the gss-code LM: one line and one ssmc.layers entry per GSS layer, named by its parameters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-lw-'));
    const out = join(dir, 'lm.onnx');
    const r = ssmc(['compile', join(EXAMPLES, 'gss-code/model.json'), '--weights', join(EXAMPLES, 'gss-code/gss_code.weights.safetensors'), '--seq-len', '512', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const layers = layersOf(out);
    expect(layers.map((l) => l.name)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `layers.${i}.dss`));
    for (const l of layers) {
      expect(l).toMatchObject({ family: 'gss-lm', kernel: 'vandermonde', H: 64, N: 256, channels: 1, bidirectional: false });
      expect(LOWERINGS.map((x) => x.name)).toContain(l.lowering);
      expect(r.stdout).toContain(`${l.name} (vandermonde, H=64, N=256): ${l.lowering} — est.`);
    }
  });

  it('forced lowering, wasm target: the S4D block says what it was told', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-lw-'));
    const out = join(dir, 's4d.onnx');
    const r = ssmc(['compile', join(EXAMPLES, 's4d-block.json'), '--seq-len', '300', '--lowering', 'direct', '--target', 'ort-wasm', '--threads', '2', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/layer \(diag-zoh, H=64, N=32\): direct — forced by --lowering/);
    expect(layersOf(out)).toEqual([expect.objectContaining({ name: 'layer', kernel: 'diag-zoh', lowering: 'direct', H: 64, N: 32 })]);
    const ops = modelFromBytes(new Uint8Array(readFileSync(out))).graph.nodes.map((n) => n.op);
    expect(ops).toContain('Conv');
    expect(ops).not.toContain('DFT');
  });

  it('step graphs: onnxruntime\'s RotaryEmbedding for every onnxruntime target, standard ops with --portable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-lw-'));
    const compile = (name: string, extra: string[]) => {
      const out = join(dir, name);
      const r = ssmc(['compile', join(EXAMPLES, 's4d-block.json'), '--mode', 'step', ...extra, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      return modelFromBytes(new Uint8Array(readFileSync(out)));
    };
    for (const [name, extra] of [['cpu.onnx', []], ['wasm.onnx', ['--target', 'ort-wasm']], ['webgpu.onnx', ['--target', 'ort-webgpu']]] as const) {
      const fused = compile(name, [...extra]);
      expect(fused.opsetImports.get('com.microsoft')).toBe(1);
      expect(fused.graph.nodes.filter((n) => n.qualifiedOp === 'com.microsoft.RotaryEmbedding')).toHaveLength(1);
    }
    for (const [name, extra] of [['portable.onnx', ['--portable']], ['webgpu-portable.onnx', ['--target', 'ort-webgpu', '--portable']]] as const) {
      const model = compile(name, [...extra]);
      expect(model.opsetImports.has('com.microsoft')).toBe(false);
      expect(model.graph.nodes.every((n) => n.domain === '')).toBe(true);
    }
    const inspected = ssmc(['inspect', join(dir, 'cpu.onnx')]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toContain('com.microsoft.RotaryEmbedding×1');
  });

  it('--custom-ops: ai.ssmc calls whose function bodies ship in the model, listed by the CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-lw-'));
    const out = join(dir, 'co.onnx');
    const r = ssmc(['compile', join(EXAMPLES, 's4d-block.json'), '--seq-len', '256', '--lowering', 'dft', '--custom-ops', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const model = modelFromBytes(new Uint8Array(readFileSync(out)));
    expect(model.opsetImports.get('ai.ssmc')).toBe(1);
    const calls = model.graph.nodes.filter((n) => n.domain === 'ai.ssmc');
    expect(calls.map((n) => n.op).sort()).toEqual(['LongConv', 'Vandermonde']);
    for (const c of calls) {
      const fn = model.functions.find((f) => f.domain === 'ai.ssmc' && f.name === c.op)!;
      expect(fn.body.nodes.every((n) => n.domain === '')).toBe(true);
      expect(r.stdout).toContain(`ai.ssmc.${c.op}: 1 call(s), body of ${fn.body.nodes.length} nodes`);
    }
  });

  it.each([
    ['planar', ['batch', 64, 2, 32], 'Concat'],
    ['interleaved', ['batch', 64, 32, 2], null],
  ] as const)('--mode step --custom-ops --state-layout %s: the state shape in the graph and ssmc.states; interleaved feeds the DiagSSMStep call its state as is', (layout, shape, repack) => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-lw-'));
    const out = join(dir, 'step.onnx');
    const r = ssmc(['compile', join(EXAMPLES, 's4d-block.json'), '--mode', 'step', '--custom-ops', '--state-layout', layout, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const model = modelFromBytes(new Uint8Array(readFileSync(out)));
    const state = model.graph.inputs.find((v) => v.name.startsWith('state.'))!;
    expect(state.type.shape).toEqual(shape);
    expect(JSON.parse(model.metadata.get('ssmc.states')!)[0].shape).toEqual(shape);
    const call = model.graph.nodes.find((n) => n.op === 'DiagSSMStep')!;
    // The call's contract is interleaved (ir/ssm-ops.ts): a planar state is repacked for it.
    expect(call.inputs[0] === state ? null : call.inputs[0]!.producer!.op).toBe(repack);
  });

  it.each([
    [['--lowering', 'fast'], /--lowering must be one of auto, dft, fourstep, chunked, doubling, direct; got 'fast'/],
    [['--target', 'gpu'], /--target must be one of ort-cpu, ort-wasm/],
    [['--threads', '0'], /--threads must be an integer from 1 to 256/],
    [['--dplr-step', 'fast'], /--dplr-step must be one of auto, linear, diagonal/],
    [['--mode', 'step', '--state-layout', 'packed'], /--state-layout must be one of planar, interleaved .*got 'packed'/],
    [['--lowering', 'fourstep'], /--lowering fourstep cannot lower the long convolution of layer 'layer': the four-step FFT needs a fixed length; compile with --seq-len N; use --lowering auto/],
  ])('refuses %j with exit code 2 and no output', (flags, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-lw-'));
    const r = ssmc(['compile', join(EXAMPLES, 's4d-block.json'), ...flags, '-o', join(dir, 'o.onnx')]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual([]);
  });
});
