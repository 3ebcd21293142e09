import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmaxRow, compileModel, generateTokens, modelFromBytes, modelToBytes, parseModelFile, readSafetensors, readStates } from 'ssmc';
import type { Model, Tensor } from 'ssmc/ir';
import { createSession } from 'ssmc/runtime';
import { goldenCase, modelFileFor, GOLDEN_DIR } from '../helpers/golden.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const PROTO_DIR = fileURLToPath(new URL('./', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));

const ssmc = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/** protoc parses the text format against Triton's schema: unknown fields, bad enums and wrong types fail. */
function protoc(args: string[], input: string) {
  return spawnSync('protoc', [`--proto_path=${PROTO_DIR}`, ...args, 'model_config.proto'], { input, encoding: 'latin1' });
}

/** The config in protoc's canonical text form (repeated fields one per line, defaults dropped). */
function canonical(pbtxt: string): string {
  const enc = protoc(['--encode=inference.ModelConfig'], pbtxt);
  expect(enc.status, enc.stderr).toBe(0);
  const dec = spawnSync('protoc', [`--proto_path=${PROTO_DIR}`, '--decode=inference.ModelConfig', 'model_config.proto'], { input: Buffer.from(enc.stdout, 'latin1'), encoding: 'utf8' });
  expect(dec.status, dec.stderr).toBe(0);
  return dec.stdout;
}

/** A minimal reader of protoc's canonical output: `key: value` lines and nested `name {` blocks. */
interface Msg { [k: string]: (string | Msg)[] }
function parseCanonical(text: string): Msg {
  const root: Msg = {};
  const stack: Msg[] = [root];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line === '}') { stack.pop(); continue; }
    const open = line.match(/^(\w+) \{$/);
    const top = stack[stack.length - 1]!;
    if (open) {
      const child: Msg = {};
      (top[open[1]!] ??= []).push(child);
      stack.push(child);
      continue;
    }
    const kv = line.match(/^(\w+): (.*)$/)!;
    (top[kv[1]!] ??= []).push(kv[2]!.replace(/^"(.*)"$/, '$1'));
  }
  return root;
}

const dimsOf = (m: Msg) => (m.dims ?? []).map((d) => Number(d as string));
const str = (m: Msg, k: string) => (m[k]?.[0] as string | undefined) ?? '';
const ONNX_OF: Record<string, string> = { TYPE_FP32: 'float32', TYPE_INT64: 'int64', TYPE_INT32: 'int32' };

/**
 * What Triton's onnxruntime backend checks when it loads a model (onnxruntime.cc ValidateInputs,
 * ValidateBooleanSequenceControl, ValidateOutputs): the model's input count is the config's inputs
 * + controls + states; each config input and output exists with its data type and, past the batch
 * dim, its dims (or its reshape); controls are [batch, 1] of the control's type; state pairs
 * match the model's state input and output.
 */
function checkAgainstModel(config: Msg, model: Model): void {
  const batched = Number(str(config, 'max_batch_size')) > 0;
  const inputs = new Map(model.graph.inputs.filter((v) => !v.constant).map((v) => [v.name, v]));
  const outputs = new Map(model.graph.outputs.map((v) => [v.name, v]));
  const seq = config.sequence_batching?.[0] as Msg | undefined;
  const controls = (seq?.control_input ?? []) as Msg[];
  const states = (seq?.state ?? []) as Msg[];
  expect(inputs.size).toBe((config.input ?? []).length + controls.length + states.length);
  const shapeOf = (name: string, of: Map<string, { type: { dtype: string; shape: readonly (number | string | null)[] | null } }>) => {
    const v = of.get(name);
    expect(v, `model has '${name}'`).toBeDefined();
    const shape = v!.type.shape!.map((d) => (typeof d === 'number' ? d : -1));
    if (batched) expect(v!.type.shape![0]).toBe('batch');
    return { dtype: v!.type.dtype, dims: batched ? shape.slice(1) : shape };
  };
  for (const io of [...(config.input ?? []), ...(config.output ?? [])] as Msg[]) {
    const isInput = (config.input ?? []).includes(io);
    const m = shapeOf(str(io, 'name'), isInput ? inputs : outputs);
    expect(m.dtype).toBe(ONNX_OF[str(io, 'data_type')]);
    const reshape = io.reshape?.[0] as Msg | undefined;
    expect(m.dims).toEqual(reshape ? (reshape.shape ?? []).map(Number) : dimsOf(io));
  }
  for (const c of controls) {
    const m = shapeOf(str(c, 'name'), inputs);
    expect(m.dims).toEqual([1]);
    const control = c.control![0] as Msg;
    expect(control.int32_false_true).toEqual(['0', '1']);
    expect(m.dtype).toBe('int32');
  }
  for (const s of states) {
    const i = shapeOf(str(s, 'input_name'), inputs), o = shapeOf(str(s, 'output_name'), outputs);
    expect(i).toEqual(o);
    expect(i.dims).toEqual(dimsOf(s));
    expect(i.dtype).toBe(ONNX_OF[str(s, 'data_type')]);
    const init = s.initial_state![0] as Msg;
    expect(str(init, 'zero_data')).toBe('true');
    expect(dimsOf(init)).toEqual(dimsOf(s));
  }
}

describe('ssmc export-triton', () => {
  let repo: string;
  beforeAll(() => {
    repo = join(mkdtempSync(join(tmpdir(), 'ssmc-triton-')), 'models');
    const r = ssmc(['export-triton', `${EXAMPLE}model.json`, '--weights', `${EXAMPLE}gss_code.weights.safetensors`, '--name', 'gss', '--out', repo, '--max-batch', '16']);
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);

  it('writes the conv model and the stateful step model in the repository layout', () => {
    expect(readdirSync(repo).sort()).toEqual(['gss', 'gss_step']);
    for (const m of ['gss', 'gss_step']) {
      expect(readdirSync(join(repo, m)).sort()).toEqual(['1', 'config.pbtxt']);
      expect(readdirSync(join(repo, m, '1'))).toEqual(['model.onnx']);
    }
  });

  it("every config.pbtxt parses against Triton's model_config.proto and matches its ONNX model", () => {
    for (const m of ['gss', 'gss_step']) {
      const config = parseCanonical(canonical(readFileSync(join(repo, m, 'config.pbtxt'), 'utf8')));
      expect(str(config, 'name')).toBe(m);
      expect(str(config, 'backend')).toBe('onnxruntime');
      expect(str(config, 'max_batch_size')).toBe('16');
      checkAgainstModel(config, modelFromBytes(new Uint8Array(readFileSync(join(repo, m, '1', 'model.onnx')))));
    }
  });

  it('the conv model: dynamic batching, a dynamic length; the step model: sequence batching, implicit zero state, START/READY', () => {
    const conv = parseCanonical(canonical(readFileSync(join(repo, 'gss', 'config.pbtxt'), 'utf8')));
    expect(conv.dynamic_batching).toHaveLength(1);
    expect(dimsOf(conv.input![0] as Msg)).toEqual([-1]);
    expect(dimsOf(conv.output![0] as Msg)).toEqual([-1, 256]);
    const step = parseCanonical(canonical(readFileSync(join(repo, 'gss_step', 'config.pbtxt'), 'utf8')));
    const seq = step.sequence_batching![0] as Msg;
    // proto3 leaves the zero enum value (CONTROL_SEQUENCE_START) out of the canonical form.
    expect((seq.control_input as Msg[]).map((c) => [str(c, 'name'), str(c.control![0] as Msg, 'kind') || 'CONTROL_SEQUENCE_START'])).toEqual([
      ['START', 'CONTROL_SEQUENCE_START'], ['READY', 'CONTROL_SEQUENCE_READY'],
    ]);
    expect((seq.state as Msg[]).map((s) => [str(s, 'input_name'), str(s, 'output_name'), dimsOf(s).join('x')])).toEqual(
      Array.from({ length: 6 }, (_, i) => [`state.layers.${i}`, `state_out.layers.${i}`, '64x2x256']),
    );
    expect(step.dynamic_batching).toBeUndefined();
  });

  it('the schema check can fail: a misspelt field, a wrong enum value and a string for a number are each refused', () => {
    const good = readFileSync(join(repo, 'gss_step', 'config.pbtxt'), 'utf8');
    for (const bad of [good.replace('max_batch_size', 'max_batchsize'), good.replace('TYPE_FP32', 'TYPE_F32'), good.replace('max_batch_size: 16', 'max_batch_size: "16"')]) {
      const r = protoc(['--encode=inference.ModelConfig'], bad);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/input:\d+:\d+/);
    }
  });

  it('the step model behaves as Triton drives it: START resets whatever state it is handed, states fed back give ssmc generate\'s greedy tokens', async () => {
    const file = parseModelFile(readFileSync(`${EXAMPLE}model.json`, 'utf8'), 'model.json');
    const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(`${EXAMPLE}gss_code.weights.safetensors`)), 'w'), source: 'w' };
    const plain = compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step' }).model;
    const prompt = [...new TextEncoder().encode('def main():\n    ')];
    const plainSession = await createSession(modelToBytes(plain));
    const expected = await generateTokens(plainSession, readStates(plain), prompt, 24, (l) => argmaxRow(l, 0, 256));
    await plainSession.release();

    const exported = modelFromBytes(new Uint8Array(readFileSync(join(repo, 'gss_step', '1', 'model.onnx'))));
    const specs = readStates(exported);
    const session = await createSession(modelToBytes(exported));
    const ids = [...prompt];
    // Triton hands the first request of a sequence uninitialised state when initial_state is not set: use garbage.
    let states = new Map<string, Tensor>(specs.map((s) => [s.input, { dtype: 'float32', dims: [1, 64, 2, 256], data: Float32Array.from({ length: 64 * 256 * 2 }, (_, i) => Math.sin(i)) }]));
    for (let t = 0; ids.length < expected.length; t++) {
      const feeds = new Map<string, Tensor>([
        ['input', { dtype: 'int64', dims: [1], data: BigInt64Array.of(BigInt(ids[t]!)) }],
        ['START', { dtype: 'int32', dims: [1, 1], data: Int32Array.of(t === 0 ? 1 : 0) }],
        ['READY', { dtype: 'int32', dims: [1, 1], data: Int32Array.of(1) }],
        ...states,
      ]);
      const out = await session.run(feeds);
      states = new Map(specs.map((s) => [s.input, out.get(s.output)!]));
      if (t >= prompt.length - 1) ids.push(argmaxRow(out.get('output')!.data as Float32Array, 0, 256));
    }
    await session.release();
    expect(ids).toEqual(expected);
  }, 60_000);

  it('a model without a step mode gets the conv model alone; an existing folder is refused and left as it was', () => {
    const c = goldenCase('s4d_minimal');
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-triton-'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelFileFor(c)));
    const out = join(dir, 'repo');
    const r = ssmc(['export-triton', join(dir, 'model.json'), '--weights', `${GOLDEN_DIR}${c.name}.weights.safetensors`, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const names = readdirSync(out);
    expect(names.length).toBeGreaterThanOrEqual(1);
    for (const m of names) checkAgainstModel(parseCanonical(canonical(readFileSync(join(out, m, 'config.pbtxt'), 'utf8'))), modelFromBytes(new Uint8Array(readFileSync(join(out, m, '1', 'model.onnx')))));
    const again = ssmc(['export-triton', join(dir, 'model.json'), '--weights', `${GOLDEN_DIR}${c.name}.weights.safetensors`, '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists and is not an empty folder/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(out, names[0]!, 'config.pbtxt'))).toBe(true);
  });
});
