import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import { typesConflict, typeToString, type Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { UserError } from '../errors.js';
import { readModelFile } from '../external-data.js';
import { diffModels, formatDiff, valueDelta, type ValueDelta } from '../inspect/diff.js';
import { table } from '../inspect/format.js';
import { Rng } from '../models/rng.js';
import { runNode } from '../runtime/node.js';
import { RuntimeRejection } from '../runtime/ort-errors.js';
import { flag, intFlag, parseArgv } from './argv.js';
import { parseDims } from './inspect-command.js';

const USAGE = 'ssmc diff <a.onnx> <b.onnx> [--json] [--run [--dim NAME=N]... [--seed S]]';

/** Sizes for symbolic dims the user did not give: batch-like names 1, everything else 16. */
export function defaultDim(name: string): number {
  return /^(batch|batch_size|b|n|N)$/i.test(name) || /batch/i.test(name) ? 1 : 16;
}

function concreteShape(v: Value, dims: Record<string, number>): number[] {
  if (v.type.shape === null) {
    throw new UserError(`--run: input '${v.name}' has no declared rank, so no random input can be made for it; compare without --run`);
  }
  return v.type.shape.map((d: Dim) => (typeof d === 'number' ? d : d === null ? 1 : dims[d] ?? defaultDim(d)));
}

/** A random tensor for one graph input: normal floats, small non-negative integers (valid ids), random bools. */
function randomInput(v: Value, dims: Record<string, number>, rng: Rng): Tensor {
  const shape = concreteShape(v, dims);
  const n = shape.reduce((a, d) => a * d, 1);
  if (n > 1 << 28) throw new UserError(`--run: input '${v.name}' would have ${n} elements for shape [${shape.join(',')}]; give smaller --dim values`);
  const dtype = v.type.dtype;
  switch (dtype) {
    case 'float32': return { dtype, dims: shape, data: Float32Array.from({ length: n }, () => rng.normal()) };
    case 'float64': return { dtype, dims: shape, data: Float64Array.from({ length: n }, () => rng.normal()) };
    case 'int64': return { dtype, dims: shape, data: BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rng.uniform() * 4))) };
    case 'int32': return { dtype, dims: shape, data: Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * 4)) };
    case 'bool': return { dtype, dims: shape, data: Uint8Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0)) };
    default:
      throw new UserError(`--run: input '${v.name}' is ${dtype}; random inputs are made for float32, float64, int64, int32 and bool only`);
  }
}

async function runOne(bytes: Uint8Array, feeds: Map<string, Tensor>, which: string): Promise<Map<string, Tensor>> {
  try {
    return await runNode(bytes, feeds);
  } catch (e) {
    if (e instanceof UserError && !(e instanceof RuntimeRejection)) throw new UserError(`--run: ${which}: ${e.message}`);
    throw new UserError(`--run: onnxruntime could not run ${which} on the random inputs ` +
      `(${[...feeds].map(([k, t]) => `${k} [${t.dims.join(',')}]`).join(', ')}): ${(e as Error).message.split('\n')[0]}; ` +
      'if a symbolic dim needs a particular size, give it with --dim NAME=N');
  }
}

export interface RunDiff {
  dims: Record<string, number>;
  outputs: ({ name: string; problem: string | null } & Partial<ValueDelta>)[];
}

/** Run both models in onnxruntime-node on the same random inputs and compare the outputs by name. */
export async function runDiff(a: Model, aBytes: Uint8Array, b: Model, bBytes: Uint8Array, dims: Record<string, number>, seed: number): Promise<RunDiff> {
  const used: Record<string, number> = {};
  const rng = new Rng(seed);
  const feeds = new Map<string, Tensor>();
  for (const v of a.graph.inputs) {
    const w = b.graph.inputs.find((x) => x.name === v.name);
    if (!w) throw new UserError(`--run: input '${v.name}' of the first model is not an input of the second; --run needs the same input names`);
    if (typesConflict(v.type, w.type)) {
      throw new UserError(`--run: input '${v.name}' is ${typeToString(v.type)} in the first model but ${typeToString(w.type)} in the second; --run feeds both the same tensors`);
    }
    for (const d of v.type.shape ?? []) if (typeof d === 'string') used[d] = dims[d] ?? defaultDim(d);
    feeds.set(v.name, randomInput(v, dims, rng));
  }
  const extra = b.graph.inputs.filter((w) => !feeds.has(w.name));
  if (extra.length) throw new UserError(`--run: the second model also needs input ${extra.map((w) => `'${w.name}'`).join(', ')}; --run needs the same input names`);
  const ya = await runOne(aBytes, feeds, 'the first model');
  const yb = await runOne(bBytes, feeds, 'the second model');
  const outputs: RunDiff['outputs'] = [];
  for (const [name, x] of ya) {
    const y = yb.get(name);
    if (!y) outputs.push({ name, problem: 'only in the first model' });
    else if (x.dtype !== y.dtype || x.dims.join() !== y.dims.join()) outputs.push({ name, problem: `${x.dtype}[${x.dims.join(',')}] vs ${y.dtype}[${y.dims.join(',')}]` });
    else if (x.data === null || y.data === null || Array.isArray(x.data) || Array.isArray(y.data)) outputs.push({ name, problem: `${x.dtype} outputs are not compared` });
    else outputs.push({ name, problem: null, ...valueDelta(x.data as ArrayLike<number | bigint>, y.data as ArrayLike<number | bigint>) });
  }
  for (const name of yb.keys()) if (!ya.has(name)) outputs.push({ name, problem: 'only in the second model' });
  return { dims: used, outputs };
}

function formatRun(r: RunDiff): string {
  const dims = Object.entries(r.dims).map(([k, v]) => `${k}=${v}`).join(' ');
  return [`outputs on random inputs${dims ? ` (${dims})` : ''}, max abs / max rel difference:`,
    ...table(r.outputs.map((o) => (o.problem !== null ? [o.name, o.problem] : [o.name, o.maxAbs!.toExponential(3), o.maxRel!.toExponential(3)])))].join('\n');
}

export async function diffCommand(argv: string[]): Promise<void> {
  const p = parseArgv('diff', argv, {
    json: { value: false },
    run: { value: false },
    dim: { value: true, repeat: true },
    seed: { value: true },
  });
  if (p.positionals.length !== 2) throw new UserError(`give exactly two models: ${USAGE}`);
  const [pathA, pathB] = p.positionals as [string, string];
  const fileA = readModelFile(pathA, 'first model'), fileB = readModelFile(pathB, 'second model');
  const a = fileA.model, b = fileB.model;
  if (!flag(p, 'run') && (p.flags.has('dim') || p.flags.has('seed'))) throw new UserError('--dim and --seed only apply with --run');
  const dims = parseDims(p, [a, b]);
  const structural = diffModels(a, b);
  // --run hands onnxruntime self-contained bytes: external data read from each model's own folder.
  const run = flag(p, 'run') ? await runDiff(a, fileA.runnable(), b, fileB.runnable(), dims, intFlag(p, 'diff', 'seed', 0, { min: 0, max: Number.MAX_SAFE_INTEGER })) : null;
  if (flag(p, 'json')) console.log(JSON.stringify({ ...structural, run }, null, 2));
  else console.log([formatDiff(structural), ...(run ? [formatRun(run)] : [])].join('\n'));
  // Like diff(1): 0 when the models are the same, 1 when they differ, 2 for bad input.
  if (!structural.identical) process.exitCode = 1;
}
