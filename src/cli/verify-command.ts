import { modelToBytes } from '../../export/onnx-write.js';
import { evaluateModel } from '../../ir/interp/evaluate.js';
import { fromTensor } from '../../ir/interp/rtensor.js';
import { f32, i64, type Tensor } from '../../ir/tensor.js';
import { buildModel, compileModel, parseModelFile, type CompileOptions, type Weights } from '../compile.js';
import { readCheckpoint } from '../checkpoint-file.js';
import { checkBudget, DEFAULT_BUDGET, FLOPS_PER_SECOND } from '../budget.js';
import { UserError } from '../errors.js';
import { readInput, readModelJson } from '../files.js';
import { Rng } from '../models/rng.js';
import { backendNamed } from '../runtime/select.js';
import { compareToReference, type Comparison } from '../verify/compare.js';
import { checkRecurrence } from '../verify/recurrence.js';
import type { Layout } from '../verify/sequence.js';
import { TOLERANCES } from '../verify/tolerances.js';
import { flag, intFlag, parseArgv } from './argv.js';
import { parseDplrStep } from './compile-command.js';

const MAX_VERIFY_LEN = 65_536;
const MAX_VERIFY_BATCH = 1024;

/**
 * `ssmc verify`: the convolution, prefill and step graphs of one model, run in onnxruntime on
 * the same random input, against each other and against the float64 reference interpreter —
 * the training-time (conv) vs inference-time (step) check users ask for (state-spaces/s4 #135).
 */
export async function verifyCommand(argv: string[]): Promise<void> {
  const p = parseArgv('verify', argv, { weights: { value: true }, len: { value: true }, batch: { value: true }, seed: { value: true }, backend: { value: true }, 'dplr-step': { value: true }, 'allow-large': { value: false } });
  if (p.positionals.length !== 1) throw new UserError('ssmc verify: give one model file: ssmc verify <model.json> [--weights ckpt.safetensors|.pt|.ckpt] [--len N] [--backend node|wasm]');
  const backend = await backendNamed(flag(p, 'backend') ?? 'node', 'ssmc verify: --backend');
  const path = p.positionals[0]!;
  const file = parseModelFile(readModelJson(path), path);
  const w = flag(p, 'weights');
  const weights: Weights | null = w ? readCheckpoint(readInput(w, 'checkpoint'), w) : null;
  const L = intFlag(p, 'verify', 'len', 256, { min: 2, max: MAX_VERIFY_LEN, why: 'prefill takes half, steps the rest, one onnxruntime run per position' });
  const B = intFlag(p, 'verify', 'batch', 1, { min: 1, max: MAX_VERIFY_BATCH });
  const opts: CompileOptions = { seqLen: null, opset: 17, dplrStep: parseDplrStep(flag(p, 'dplr-step')), budget: p.flags.has('allow-large') ? null : undefined };
  const conv = compileModel(file, weights, opts);
  // The float64 reference sums each convolution directly: B·C·H·L² multiply-adds per layer.
  checkBudget([...conv.costs, ...conv.layers.map((l) => {
    const C = l.channels ?? 1, H = l.H ?? 1, N = l.N ?? 1;
    return { what: `float64 reference of layer ${l.name} at L=${L}, batch ${B}`, bytes: 64 * C * H * L * B, seconds: (B * C * H * L * L + 20 * C * H * N * L) / FLOPS_PER_SECOND };
  })], opts.budget === undefined ? DEFAULT_BUDGET : opts.budget, 'ssmc verify');
  const layout = conv.io.layout as Layout;
  const rng = new Rng(intFlag(p, 'verify', 'seed', 0));
  const shape = conv.io.inputShape(L).map((d) => (d === 'batch' ? B : (d as number)));
  const x: Tensor = conv.io.inputDtype === 'int64'
    ? i64(Array.from({ length: B * L }, () => Math.floor(rng.uniform() * (conv.args.num_tokens as number))), shape)
    : f32(Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => rng.normal()), shape);

  const y = (await backend.run(modelToBytes(conv.model), new Map([['input', x]]))).get('output')!.data as Float32Array;
  const ref = evaluateModel(buildModel(file, weights, opts).model, { input: fromTensor(x) }).get('output')!.data;
  const rows: [string, Comparison][] = [['conv (onnxruntime) vs float64 reference', compareToReference(y, ref)]];

  const rec = await checkRecurrence(backend, file, weights, opts, { x, layout, L, B, convOutput: y, reference: ref, outputShape: conv.io.outputShape });
  rows.push(...rec.rows);

  console.log(`verify ${conv.arch.id} (${conv.arch.official}) in onnxruntime-${backend.name === 'node' ? 'node' : 'web (wasm)'}, batch ${B}, length ${L}, tolerance max|Δ| ≤ ${TOLERANCES.REL_TO_PEAK}·max(1, peak)`);
  for (const [name, c] of rows) {
    const rel = c.maxAbs / Math.max(c.peak, Number.MIN_VALUE);
    console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${name.padEnd(44)} max abs ${c.maxAbs.toExponential(2)}  max rel to peak ${rel.toExponential(2)}`);
  }
  for (const why of rec.skipped) console.log(`  skipped ${why}`);
  if (rows.some(([, c]) => !c.ok)) process.exitCode = 1;
}
