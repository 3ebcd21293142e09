import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes, OnnxFormatError } from 'ssmc';
import { evaluateModel, fromTensor, type Graph, type Model, type RTensor, type Tensor } from 'ssmc/ir';
import { diffModels, formatReport, inspectModel } from 'ssmc/inspect';
import { nodeBackend } from 'ssmc/runtime';
import { KERNELS } from '../../ir/interp/registry.js';
import { checkerTestsRun, checkOnnxFiles } from '../helpers/onnx-checker.js';
import { corpusInstalled, listCorpus, loadDataSets, type CorpusCase, type DataSet } from './corpus.js';

/**
 * ONNX's backend test corpus (Debian's libonnx-testdata) through ssmc: the reader and inspector on
 * every model (accept, or one OnnxFormatError), write-back checked by onnxruntime (the rewritten
 * file gives the same outputs as the original) and, up to opset 17, by onnx.checker; and the
 * float64 interpreter on every node test whose ops it has kernels for, against the expected
 * outputs. The whole corpus (1072 models) takes a few seconds, so every run checks all of it.
 */

if (!corpusInstalled() && !process.env.CI) {
  console.warn('ONNX corpus tests skipped: /usr/share/libonnx-testdata is missing (apt-get install -y libonnx-testdata); in CI (CI set) they run and fail instead');
}

describe.runIf(!corpusInstalled() && process.env.CI)('ONNX backend corpus under CI', () => {
  it('is installed (Debian\'s libonnx-testdata; .ci/run installs it)', () => {
    expect.fail('/usr/share/libonnx-testdata/data is missing: apt-get install -y libonnx-testdata');
  });
});

/**
 * Node tests whose data disagree with onnxruntime, and why; listed ones must still fail (a fix
 * elsewhere that makes them pass shows up here). ONNX 1.12's data for float32 → bfloat16 drops
 * the low 16 bits; onnxruntime and later ONNX round to nearest even, as the interpreter does
 * (the spec leaves it open: onnx/onnx#3876, #5004).
 */
const DATA_DISAGREES: Record<string, string> = {
  'node/test_cast_FLOAT_to_BFLOAT16': 'the 1.12 data truncates to bfloat16; onnxruntime rounds to nearest even',
  'node/test_castlike_FLOAT_to_BFLOAT16_expanded': 'the 1.12 data truncates to bfloat16; onnxruntime rounds to nearest even',
};

/** ONNX's backend test tolerances (onnx/backend/test/runner: rtol 1e-3, atol 1e-7). */
const RTOL = 1e-3, ATOL = 1e-7;

const CASES = corpusInstalled() ? listCorpus() : [];

interface Outcome { name: string; status: string; detail?: string }
const table: Record<string, Outcome[]> = { reader: [], runtime: [], checker: [], interpreter: [] };
const record = (part: string, o: Outcome) => table[part]!.push(o);

afterAll(() => {
  const dir = join(process.cwd(), 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const counts = Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.status]: (acc[o.status] ?? 0) + 1 }), {})]));
  writeFileSync(join(dir, 'onnx-corpus.json'), JSON.stringify({ cases: CASES.length, counts, table }, null, 1));
  console.log(`ONNX corpus (${CASES.length} cases): ${JSON.stringify(counts)}`);
});

/** Every case's model, read once: null where the reader refused it (with the message). */
const readCache = new Map<string, { model: Model; bytes: Uint8Array } | { error: string }>();
function read(c: CorpusCase) {
  let r = readCache.get(c.name);
  if (!r) {
    const bytes = new Uint8Array(readFileSync(c.modelPath));
    try {
      r = { model: modelFromBytes(bytes), bytes };
    } catch (e) {
      if (!(e instanceof OnnxFormatError)) throw e;
      r = { error: e.message };
    }
    readCache.set(c.name, r);
  }
  return r;
}

/** Feeds by graph input name: the TensorProto's own name, else its position among the inputs. */
function feedsFor(model: Model, set: DataSet): Map<string, Tensor> {
  const inputs = model.graph.inputs;
  return new Map(set.inputs.map((t, i) => [t.name || inputs[i]!.name, t.tensor]));
}

function sameBits(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.dims.join() !== b.dims.join()) return false;
  const bytes = (t: Tensor) => {
    if (t.raw) return t.raw;
    if (Array.isArray(t.data)) return new TextEncoder().encode(JSON.stringify(t.data));
    const d = t.data!;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  };
  const x = bytes(a), y = bytes(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe.skipIf(CASES.length === 0)('ONNX backend corpus: reader, inspector, write-back', () => {
  it('reads every model or refuses it with one OnnxFormatError; accepted ones inspect, diff against themselves, write and read back byte-stably', () => {
    for (const c of CASES) {
      const r = read(c);
      if ('error' in r) {
        expect(r.error.split('\n')).toHaveLength(1);
        record('reader', { name: c.name, status: 'refused', detail: r.error });
        continue;
      }
      expect(formatReport(inspectModel(r.model)).length, c.name).toBeGreaterThan(0);
      expect(diffModels(r.model, r.model).identical, c.name).toBe(true);
      const written = modelToBytes(r.model);
      const again = modelToBytes(modelFromBytes(written));
      expect(Buffer.compare(Buffer.from(written), Buffer.from(again)), `${c.name}: read → write is not byte-stable`).toBe(0);
      record('reader', { name: c.name, status: 'accepted' });
    }
  }, 300_000);

  it('onnxruntime gives the same outputs for the rewritten file as for the original', async () => {
    const failures: string[] = [];
    for (const c of CASES) {
      const r = read(c);
      if ('error' in r) continue;
      const sets = loadDataSets(c);
      if (typeof sets === 'string' || sets.length === 0) {
        record('runtime', { name: c.name, status: 'no tensor data', detail: typeof sets === 'string' ? sets : undefined });
        continue;
      }
      const feeds = feedsFor(r.model, sets[0]!);
      let original: Map<string, Tensor>;
      try {
        original = await nodeBackend.run(r.bytes, feeds);
      } catch (e) {
        record('runtime', { name: c.name, status: 'onnxruntime refuses the original', detail: (e as Error).message.split('\n')[0]!.slice(0, 200) });
        continue;
      }
      let rewritten: Map<string, Tensor>;
      try {
        rewritten = await nodeBackend.run(modelToBytes(r.model), feeds);
      } catch (e) {
        failures.push(`${c.name}: the rewritten file fails in onnxruntime: ${(e as Error).message.split('\n')[0]}`);
        record('runtime', { name: c.name, status: 'rewritten fails' });
        continue;
      }
      const differ = [...original].filter(([k, t]) => !rewritten.has(k) || !sameBits(t, rewritten.get(k)!)).map(([k]) => k);
      if (differ.length) failures.push(`${c.name}: outputs ${differ.join(', ')} differ`);
      record('runtime', { name: c.name, status: differ.length ? 'outputs differ' : 'same outputs' });
    }
    expect(failures).toEqual([]);
  }, 600_000);

  it.runIf(CASES.length > 0 && checkerTestsRun('onnx.checker on rewritten corpus files'))('onnx.checker accepts every rewritten file (opset ≤ 17) whose original it accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-corpus-'));
    try {
      const pairs: { c: CorpusCase; out: string }[] = [];
      for (const c of CASES) {
        const r = read(c);
        if ('error' in r || r.model.opset > 17) continue;
        const out = join(dir, `${c.name.replace('/', '__')}.onnx`);
        writeFileSync(out, modelToBytes(r.model));
        pairs.push({ c, out });
      }
      const results = checkOnnxFiles([...pairs.map((p) => p.c.modelPath), ...pairs.map((p) => p.out)]);
      const failures: string[] = [];
      for (const { c, out } of pairs) {
        const before = results.get(c.modelPath)!, after = results.get(out)!;
        if (!before.ok) record('checker', { name: c.name, status: 'original fails the checker', detail: `${before.stage}: ${before.error}` });
        else if (after.ok) record('checker', { name: c.name, status: 'passes' });
        else {
          record('checker', { name: c.name, status: 'rewritten fails', detail: `${after.stage}: ${after.error}` });
          failures.push(`${c.name}: ${after.stage}: ${after.error}`);
        }
      }
      expect(failures).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

/** Every op of the graph and its subgraphs, with the opset it is read under. */
function opsOf(g: Graph, out: Set<string>): Set<string> {
  for (const n of g.nodes) {
    out.add(`${n.domain}::${n.op}`);
    for (const a of n.attrs.values()) {
      if (a.kind === 'graph') opsOf(a.value, out);
      if (a.kind === 'graphs') for (const s of a.value) opsOf(s, out);
    }
  }
  return out;
}

/** The corpus stores bfloat16 test data as uint16 tensors of the same bits. */
function asDeclared(t: Tensor, dtype: string | undefined): Tensor {
  if (dtype !== 'bfloat16' || t.dtype !== 'uint16') return t;
  const d = t.data as Uint16Array;
  return { dtype: 'bfloat16', dims: t.dims, data: null, raw: new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice() };
}

function close(got: RTensor, want: RTensor): string | null {
  if (got.dims.join() !== want.dims.join()) return `shape [${got.dims.join(',')}], expected [${want.dims.join(',')}]`;
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]!, w = want.data[i]!;
    if (Number.isNaN(w) ? !Number.isNaN(g) : !(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w) || g === w)) return `element ${i}: ${g}, expected ${w}`;
  }
  return null;
}

const NODE_CASES = CASES.filter((c) => c.group === 'node');

describe.skipIf(NODE_CASES.length === 0)('ONNX backend node tests in the float64 reference interpreter', () => {
  it('passes every node test whose ops it has kernels for', () => {
    const failures: string[] = [];
    for (const c of NODE_CASES) {
      const r = read(c);
      if ('error' in r) continue;
      const model = r.model;
      const missing = [...opsOf(model.graph, new Set())].filter((k) => {
        const [domain, op] = k.split('::') as [string, string];
        return !KERNELS.find(domain, op, domain === '' ? model.opset : Infinity) && !model.functions.some((f) => f.domain === domain && f.name === op);
      });
      if (missing.length) {
        record('interpreter', { name: c.name, status: 'ops without kernels', detail: missing.join(' ') });
        continue;
      }
      const sets = loadDataSets(c);
      if (typeof sets === 'string') {
        record('interpreter', { name: c.name, status: 'no tensor data' });
        continue;
      }
      let inputs: Map<string, RTensor>, expected: RTensor[];
      const declared = new Map([...model.graph.inputs, ...model.graph.outputs].map((v) => [v.name, v.type.dtype]));
      try {
        inputs = new Map([...feedsFor(model, sets[0]!)].map(([k, t]) => [k, fromTensor(asDeclared(t, declared.get(k)))]));
        expected = sets[0]!.outputs.map((o, i) => fromTensor(asDeclared(o.tensor, model.graph.outputs[i]?.type.dtype)));
      } catch (e) {
        record('interpreter', { name: c.name, status: 'dtype not held by the interpreter', detail: (e as Error).message });
        continue;
      }
      try {
        const got = evaluateModel(model, inputs);
        const bad = model.graph.outputs.map((v, i) => [v.name, close(got.get(v.name)!, expected[i]!)] as const).filter(([, m]) => m !== null);
        if (bad.length) throw new Error(bad.map(([n, m]) => `${n}: ${m}`).join('; '));
        record('interpreter', { name: c.name, status: 'passes' });
        if (DATA_DISAGREES[c.name]) failures.push(`${c.name}: listed in DATA_DISAGREES but passes`);
      } catch (e) {
        if (DATA_DISAGREES[c.name]) {
          record('interpreter', { name: c.name, status: 'data disagrees with onnxruntime', detail: DATA_DISAGREES[c.name] });
          continue;
        }
        record('interpreter', { name: c.name, status: 'fails', detail: (e as Error).message.slice(0, 300) });
        failures.push(`${c.name}: ${(e as Error).message.slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
