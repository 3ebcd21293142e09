import type { onnx as P } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { compileModel, modelFromBytes, modelToBytes, OnnxFormatError, Rng } from 'ssmc';
import { formatReport, graphDot, graphHtml, inspectModel } from 'ssmc/inspect';
import { onnx } from '../../export/proto.js';
import { functionModel, ifModel, kitchenSinkModel, mlpModel } from '../export/fixtures.js';
import { goldenCase, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { attentionModel, convModel, externalDataModel, loopModel, scanModel } from './models.js';

/**
 * Robustness of the reader and the inspector against malformed files: a fixed-seed fuzz run over
 * ≥ 10,000 mutated or truncated files. Every file must either inspect cleanly or fail with one
 * OnnxFormatError naming the field (and byte offset where the decoder knows it) — never another
 * exception, never a hang, never an allocation sized by what the file merely claims.
 */

const FILES = 10_500;
/** Per-file bound in CPU ms: the slowest seed inspects in a few ms; anything near this means a blow-up. */
const PER_FILE_MS = 1_000;

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

function seeds(): Uint8Array[] {
  const c = goldenCase('s4d_lin_zoh');
  const s4d = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: c.name }, { seqLen: 16, opset: 17 }).model;
  return [mlpModel(), ifModel(), functionModel(2), kitchenSinkModel(), convModel(13), attentionModel(21), loopModel(13), scanModel(17), externalDataModel(), s4d]
    .map((m) => Uint8Array.from(modelToBytes(m))); // a plain copy: protobufjs hands out Node Buffers, whose slice() is a view
}

type Mutator = (rng: Rng, seed: Uint8Array) => Uint8Array;

const int = (rng: Rng, n: number) => Math.floor(rng.uniform() * n);

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Byte-level mutations: they hit tags, lengths and payloads alike. */
const BYTE_MUTATORS: Record<string, Mutator> = {
  bitFlips: (rng, s) => {
    const m = s.slice();
    for (let k = 1 + int(rng, 8); k > 0; k--) m[int(rng, m.length)] ^= 1 << int(rng, 8);
    return m;
  },
  truncate: (_rng, s) => s.subarray(0, int(_rng, s.length)),
  overwrite: (rng, s) => {
    const m = s.slice();
    const at = int(rng, m.length);
    for (let i = at; i < Math.min(m.length, at + 1 + int(rng, 16)); i++) m[i] = int(rng, 256);
    return m;
  },
  insertOrDelete: (rng, s) => {
    const at = int(rng, s.length), n = 1 + int(rng, 32);
    if (rng.uniform() < 0.5) return Uint8Array.from([...s.subarray(0, at), ...Array.from({ length: n }, () => int(rng, 256)), ...s.subarray(at)]);
    return Uint8Array.from([...s.subarray(0, at), ...s.subarray(Math.min(s.length, at + n))]);
  },
  /** A length prefix that lies: a huge or slightly-off varint written over a random spot. */
  lyingLength: (rng, s) => {
    const at = int(rng, s.length);
    const lie = rng.uniform() < 0.5 ? varint(2 ** 32 - 1 - int(rng, 1000)) : varint(s.length - at + int(rng, 64));
    return Uint8Array.from([...s.subarray(0, at), ...lie, ...s.subarray(Math.min(s.length, at + lie.length))]);
  },
  duplicate: (rng, s) => {
    const a = int(rng, s.length), b = Math.min(s.length, a + 1 + int(rng, 256)), at = int(rng, s.length);
    return Uint8Array.from([...s.subarray(0, at), ...s.subarray(a, b), ...s.subarray(at)]);
  },
};

function decoded(s: Uint8Array): P.ModelProto {
  return onnx.ModelProto.decode(s);
}

function pick<T>(rng: Rng, xs: readonly T[]): T | undefined {
  return xs.length ? xs[int(rng, xs.length)] : undefined;
}

const HUGE = [2 ** 31, 2 ** 40, 2 ** 53 - 1, 2 ** 62, -1, -(2 ** 40)];

/** Structure-aware mutations: valid protobuf whose contents lie or loop. */
const STRUCT_MUTATORS: Record<string, Mutator> = {
  hugeDims: (rng, s) => {
    const m = decoded(s);
    const g = m.graph!;
    const t = pick(rng, g.initializer ?? []);
    if (t && rng.uniform() < 0.6) t.dims = Array.from({ length: 1 + int(rng, 4) }, () => pick(rng, HUGE)!);
    else {
      const v = pick(rng, [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]);
      const dims = v?.type?.tensorType?.shape?.dim;
      if (dims?.length) dims[int(rng, dims.length)] = { dimValue: pick(rng, HUGE)! };
    }
    return onnx.ModelProto.encode(m).finish();
  },
  nameCycle: (rng, s) => {
    const m = decoded(s);
    const nodes = m.graph!.node ?? [];
    const a = pick(rng, nodes), b = pick(rng, nodes);
    if (a && b && a.input?.length && b.output?.length) a.input[int(rng, a.input.length)] = b.output[int(rng, b.output.length)]!;
    if (a && b && rng.uniform() < 0.3 && a.output?.length && b.output?.length) a.output[0] = b.output[0]!; // defined twice
    return onnx.ModelProto.encode(m).finish();
  },
  badAttribute: (rng, s) => {
    const m = decoded(s);
    const node = pick(rng, m.graph!.node ?? []);
    if (node) {
      const kinds = [A.GRAPH, A.GRAPHS, A.TENSOR, A.INT, 99, 0];
      node.attribute = [...(node.attribute ?? []), { name: pick(rng, ['axis', 'body', '__proto__', 'constructor', ''])!, type: pick(rng, kinds)!, i: pick(rng, HUGE)!, t: { dims: [pick(rng, HUGE)!], dataType: T.FLOAT, floatData: [1] } }];
    }
    return onnx.ModelProto.encode(m).finish();
  },
  lyingExternal: (rng, s) => {
    const m = decoded(s);
    const t = pick(rng, m.graph!.initializer ?? []);
    if (t) {
      t.dataLocation = 1;
      t.externalData = [{ key: 'location', value: pick(rng, ['w.bin', '../../etc/passwd', ''])! }, { key: pick(rng, ['offset', 'length'])!, value: pick(rng, ['1e99', '-1', '12', 'x', String(2 ** 60)])! }];
    }
    return onnx.ModelProto.encode(m).finish();
  },
  deepNesting: (rng) => {
    const m = NESTED[int(rng, NESTED.length)]!;
    return rng.uniform() < 0.5 ? m : BYTE_MUTATORS.bitFlips!(rng, m);
  },
};

/**
 * Identity wrapped in `levels` nested If subgraphs, encoded by hand (protobufjs encodes recursively
 * and would overflow the stack first). Each message is its encoded plain fields followed by its one
 * nested field (protobuf allows any field order), so the file is every level's prefix in order,
 * then the leaf: lengths are summed from the inside out and the bytes copied once.
 */
function nested(levels: number): Uint8Array {
  const vi = (name: string): P.IValueInfoProto => ({ name, type: { tensorType: { elemType: T.FLOAT } } });
  const leaf = onnx.GraphProto.encode({ name: 'leaf', node: [{ opType: 'Identity', input: ['x'], output: [`o${levels}`] }], output: [vi(`o${levels}`)] }).finish();
  const elseBranch = { name: 'else_branch', type: A.GRAPH, g: { name: 'e', node: [{ opType: 'Identity', input: ['x'], output: ['e'] }], output: [vi('e')] } };
  const attrHead = onnx.AttributeProto.encode({ name: 'then_branch', type: A.GRAPH }).finish();
  const pieces: Uint8Array[] = [];
  let inner = leaf.length;
  for (let i = levels - 1; i >= 0; i--) {
    // Innermost first: AttributeProto.g = 6, NodeProto.attribute = 5, GraphProto.node = 1.
    const nodeHead = onnx.NodeProto.encode({ opType: 'If', input: ['c'], output: [`o${i}`], attribute: [elseBranch] }).finish();
    const graphHead = onnx.GraphProto.encode({ name: `g${i}`, output: [vi(`o${i}`)], input: i === 0 ? [vi('x'), { name: 'c', type: { tensorType: { elemType: T.BOOL, shape: { dim: [] } } } }] : [] }).finish();
    const attrPrefix = Uint8Array.from([...attrHead, ...varint(6 * 8 + 2), ...varint(inner)]);
    const nodePrefix = Uint8Array.from([...nodeHead, ...varint(5 * 8 + 2), ...varint(attrPrefix.length + inner)]);
    const graphPrefix = Uint8Array.from([...graphHead, ...varint(1 * 8 + 2), ...varint(nodePrefix.length + attrPrefix.length + inner)]);
    pieces.push(attrPrefix, nodePrefix, graphPrefix);
    inner += attrPrefix.length + nodePrefix.length + graphPrefix.length;
  }
  pieces.push(Uint8Array.from([...onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 17 }] }).finish(), ...varint(7 * 8 + 2), ...varint(inner)])); // ModelProto.graph = 7
  pieces.reverse();
  pieces.push(leaf);
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Built once: nesting around the limit (64), and far past it, where the decoder itself gives up. */
const NESTED = [1, 10, 63, 64, 65, 100, 1_000, 20_000, 100_000].map((n) => nested(n));

interface Outcome {
  accepted: number;
  rejected: number;
  slowestMs: number;
  slowest: string;
  byMutator: Map<string, number>;
}

/** Inspect one file; anything but success or one OnnxFormatError naming its field fails the test. */
function check(bytes: Uint8Array, label: string, out: Outcome, draw: boolean): void {
  // CPU time, not wall time: the bound catches a reader that loops or blows up on a lying length,
  // and a busy machine stretches wall time while this process waits for a core.
  const t0 = process.cpuUsage();
  try {
    const model = modelFromBytes(bytes);
    const report = inspectModel(model, { dims: Object.fromEntries(model.graph.inputs.flatMap((v) => v.type.shape ?? []).filter((d): d is string => typeof d === 'string').map((d) => [d, 3])) });
    formatReport(report);
    if (draw) {
      graphDot(model);
      graphHtml(model, label);
    }
    out.accepted++;
  } catch (e) {
    if (!(e instanceof OnnxFormatError)) {
      throw new Error(`${label}: expected OnnxFormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
    }
    if (e.field === undefined && e.offset === undefined) throw new Error(`${label}: the error names neither a field nor an offset: ${e.message}`);
    if (e.message.length > 2000) throw new Error(`${label}: the error message is ${e.message.length} characters long`);
    out.rejected++;
  }
  const used = process.cpuUsage(t0);
  const dt = (used.user + used.system) / 1000;
  if (dt > out.slowestMs) {
    out.slowestMs = dt;
    out.slowest = label;
  }
}

describe('fuzzing the reader and the inspector', () => {
  it(`survives ${FILES} mutated, truncated and lying files with one clear error each`, () => {
    const base = seeds();
    const rng = new Rng(20240611);
    const out: Outcome = { accepted: 0, rejected: 0, slowestMs: 0, slowest: '', byMutator: new Map() };
    const mutators = [...Object.entries(BYTE_MUTATORS), ...Object.entries(STRUCT_MUTATORS)];
    const t0 = performance.now();
    for (let i = 0; i < FILES; i++) {
      const s = int(rng, base.length);
      // Structural mutators decode first: give them a fifth of the runs, the byte mutators the rest.
      const [name, mutate] = rng.uniform() < 0.2 ? mutators[Object.keys(BYTE_MUTATORS).length + int(rng, Object.keys(STRUCT_MUTATORS).length)]! : mutators[int(rng, Object.keys(BYTE_MUTATORS).length)]!;
      const bytes = mutate(rng, base[s]!);
      out.byMutator.set(name, (out.byMutator.get(name) ?? 0) + 1);
      check(bytes, `file ${i} (seed ${s}, ${name})`, out, i % 10 === 0);
    }
    const totalMs = performance.now() - t0;
    console.log(`fuzz: ${FILES} files in ${(totalMs / 1000).toFixed(1)} s, ${out.accepted} accepted, ${out.rejected} rejected; ` +
      `slowest ${out.slowestMs.toFixed(1)} ms of CPU (${out.slowest}); ${[...out.byMutator].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    expect(out.accepted + out.rejected).toBe(FILES);
    expect(out.rejected).toBeGreaterThan(FILES / 4);
    expect(out.accepted).toBeGreaterThan(100); // mutations that keep a valid model must inspect cleanly
    expect(out.slowestMs).toBeLessThan(PER_FILE_MS);
    expect(out.byMutator.size).toBe(mutators.length);
  }, 120_000);

  it('does not allocate what a tiny file claims', () => {
    const before = process.memoryUsage().arrayBuffers;
    const claims = [
      { name: 'w', dims: [2 ** 26, 2 ** 26], dataType: T.FLOAT, floatData: [1] },
      { name: 'w', dims: [2 ** 40], dataType: T.DOUBLE, rawData: new Uint8Array(8) },
      { name: 'w', dims: [2 ** 30, 4], dataType: T.STRING, stringData: [new Uint8Array(1)] },
      { name: 'w', dims: [2 ** 31], dataType: T.INT64, int64Data: [1, 2, 3] },
    ];
    for (const t of claims) {
      const bytes = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 17 }], graph: { name: 'g', initializer: [t], output: [{ name: 'w', type: { tensorType: { elemType: t.dataType } } }] } }).finish();
      const t0 = performance.now();
      expect(() => modelFromBytes(bytes)).toThrow(OnnxFormatError);
      expect(performance.now() - t0).toBeLessThan(100);
    }
    // A huge external tensor is fine to read (its data stays on disk) and costs nothing to inspect.
    const ext = modelToBytes(externalDataModel());
    const r = inspectModel(modelFromBytes(ext), { dims: { batch: 2 ** 20 } });
    expect(r.cost.memory.inputBytes).toBe(4 * 2 ** 20 * 1024);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });
});
