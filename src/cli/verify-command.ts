import { modelToBytes } from '../../export/onnx-write.js';
import { readSafetensors } from '../../export/safetensors.js';
import { evaluateModel } from '../../ir/interp/evaluate.js';
import { fromTensor } from '../../ir/interp/rtensor.js';
import { f32, i64, type Tensor } from '../../ir/tensor.js';
import { buildModel, compileModel, parseModelFile, type CompileOptions, type Weights } from '../compile.js';
import { UserError } from '../errors.js';
import { readInput } from '../files.js';
import { Rng } from '../models/rng.js';
import { backendNamed } from '../runtime/select.js';
import { runSteps, stepStates, zeroStates } from '../step-runner.js';
import { compareToReference, type Comparison } from '../verify/compare.js';
import { assemble, slicePositions, stepInput, type Layout } from '../verify/sequence.js';
import { TOLERANCES } from '../verify/tolerances.js';
import { flag, intFlag, parseArgv } from './argv.js';

/**
 * `ssmc verify`: the convolution, prefill and step graphs of one model, run in onnxruntime on
 * the same random input, against each other and against the float64 reference interpreter —
 * the training-time (conv) vs inference-time (step) check users ask for (state-spaces/s4 #135).
 */
export async function verifyCommand(argv: string[]): Promise<void> {
  const p = parseArgv('verify', argv, { weights: { value: true }, len: { value: true }, batch: { value: true }, seed: { value: true }, backend: { value: true } });
  if (p.positionals.length !== 1) throw new UserError('ssmc verify: give one model file: ssmc verify <model.json> [--weights ckpt.safetensors] [--len N] [--backend node|wasm]');
  const backend = await backendNamed(flag(p, 'backend') ?? 'node', 'ssmc verify: --backend');
  const path = p.positionals[0]!;
  const file = parseModelFile(new TextDecoder().decode(readInput(path, 'model file')), path);
  const w = flag(p, 'weights');
  const weights: Weights | null = w ? { tensors: readSafetensors(readInput(w, 'checkpoint'), w), source: w } : null;
  const L = intFlag(p, 'verify', 'len', 256), B = intFlag(p, 'verify', 'batch', 1);
  if (L < 2) throw new UserError('ssmc verify: --len must be at least 2 (prefill takes half, steps the rest)');
  const opts: CompileOptions = { seqLen: null, opset: 17 };
  const conv = compileModel(file, weights, opts);
  const layout = conv.io.layout as Layout;
  const rng = new Rng(intFlag(p, 'verify', 'seed', 0));
  const shape = conv.io.inputShape(L).map((d) => (d === 'batch' ? B : (d as number)));
  const x: Tensor = conv.io.inputDtype === 'int64'
    ? i64(Array.from({ length: B * L }, () => Math.floor(rng.uniform() * (conv.args.num_tokens as number))), shape)
    : f32(Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => rng.normal()), shape);

  const y = (await backend.run(modelToBytes(conv.model), new Map([['input', x]]))).get('output')!.data as Float32Array;
  const ref = evaluateModel(buildModel(file, weights, opts).model, { input: fromTensor(x) }).get('output')!.data;
  const rows: [string, Comparison][] = [['conv (onnxruntime) vs float64 reference', compareToReference(y, ref)]];

  let stepWhy: string | null = null;
  try {
    const step = compileModel(file, weights, { ...opts, mode: 'step' }).model;
    const prefill = compileModel(file, weights, { ...opts, mode: 'prefill' }).model;
    const specs = stepStates(step);
    const session = await backend.createSession(modelToBytes(step));
    const stepped = await runSteps(session, specs, L, (t) => stepInput(x, layout, t), zeroStates(specs, B));
    const half = Math.floor(L / 2);
    const pre = await backend.run(modelToBytes(prefill), new Map([['input', slicePositions(x, layout, 0, half)]]));
    const rest = await runSteps(session, specs, L - half, (t) => stepInput(x, layout, half + t), new Map(specs.map((s) => [s.input, pre.get(s.output)!])));
    await session.release();
    const stepY = assemble(stepped.outputs, layout === 'BL' ? 'BLH' : layout);
    const convTail = slicePositions(f32(y, conv.io.outputShape(L).map((d) => (d === 'batch' ? B : (d as number)))), layout === 'BL' ? 'BLH' : layout, half, L);
    rows.push(['step (from zero state) vs conv', compareToReference(stepY, y)]);
    rows.push(['step vs float64 reference', compareToReference(stepY, ref)]);
    rows.push([`prefill (${half} positions) + step vs conv`, compareToReference(assemble(rest.outputs, layout === 'BL' ? 'BLH' : layout), convTail.data as Float32Array)]);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    stepWhy = e.message;
  }

  console.log(`verify ${conv.arch.id} (${conv.arch.official}) in onnxruntime-${backend.name === 'node' ? 'node' : 'web (wasm)'}, batch ${B}, length ${L}, tolerance max|Δ| ≤ ${TOLERANCES.REL_TO_PEAK}·max(1, peak)`);
  for (const [name, c] of rows) {
    const rel = c.maxAbs / Math.max(c.peak, Number.MIN_VALUE);
    console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${name.padEnd(44)} max abs ${c.maxAbs.toExponential(2)}  max rel to peak ${rel.toExponential(2)}`);
  }
  if (stepWhy) console.log(`  skipped step and prefill checks: ${stepWhy}`);
  if (rows.some(([, c]) => !c.ok)) process.exitCode = 1;
}
