import { modelToBytes } from '../../export/onnx-write.js';
import { evaluateModel } from '../../ir/interp/evaluate.js';
import { fromTensor } from '../../ir/interp/rtensor.js';
import { f32, i64, type Tensor } from '../../ir/tensor.js';
import { checkBudget, DEFAULT_BUDGET, FLOPS_PER_SECOND } from '../budget.js';
import { buildModel, compileModel, type CompileOptions, type Compiled } from '../compile.js';
import { UserError } from '../errors.js';
import { DEFAULT_ATTENTION_CACHE, MAX_KV_CACHE } from '../models/attention.js';
import { readInput } from '../files.js';
import { Rng } from '../models/rng.js';
import { backendNamed, COMPILE_TARGET } from '../runtime/select.js';
import { compareToReference, verdict, type Comparison } from '../verify/compare.js';
import { readAgainstFile } from '../verify/against.js';
import { checkRecurrence } from '../verify/recurrence.js';
import type { Layout } from '../verify/sequence.js';
import { precisionTolerance, TOLERANCES } from '../verify/tolerances.js';
import { FORMATS, type Precision } from '../../passes/precision/formats.js';
import { flag, intFlag, parseArgv } from './argv.js';
import { parseDplrStep, parsePrecision } from './compile-command.js';
import { describeSource, MODEL_SOURCE_FLAGS, modelSourceFrom, randomInitWarning } from './model-flags.js';
import { cliProgress } from './progress-terminal.js';
import type { Progress } from '../../ir/progress.js';

const USAGE = 'ssmc verify <model.json|config.yaml> [--weights ckpt] [--against io.safetensors], or ssmc verify --weights last.ckpt [--against io.safetensors]';

const MAX_VERIFY_LEN = 65_536;
const MAX_VERIFY_BATCH = 1024;

/**
 * `ssmc verify`: the convolution, prefill and step graphs of one model, run in onnxruntime on the
 * same input, against each other and against a reference — the float64 reference interpreter on
 * a random input, or (--against) the outputs a user saved from PyTorch with the inputs that gave
 * them: the training-time vs inference-time check users ask for (state-spaces/s4 #135).
 */
export async function verifyCommand(argv: string[]): Promise<void> {
  const p = parseArgv('verify', argv, {
    ...MODEL_SOURCE_FLAGS, len: { value: true }, batch: { value: true }, seed: { value: true }, backend: { value: true }, 'dplr-step': { value: true }, 'kv-cache': { value: true },
    against: { value: true }, 'input-name': { value: true }, 'output-names': { value: true }, tolerance: { value: true }, precision: { value: true }, 'allow-large': { value: false },
    quiet: { value: false, alias: 'q' },
  });
  const backend = await backendNamed(flag(p, 'backend') ?? 'node', 'ssmc verify: --backend');
  const src = modelSourceFrom(p, 'verify', USAGE);
  const toleranceFlag = parseTolerance(flag(p, 'tolerance'));
  const precision = parsePrecision(flag(p, 'precision'));
  // The tolerance of the graph's precision unless --tolerance says otherwise: float32's, plus the 16-bit roundings of an fp16 or bf16 graph (set once the conv graph is compiled).
  let tolerance = toleranceFlag ?? TOLERANCES.REL_TO_PEAK;
  // Compiled for the runtime it is checked on (a GPU target plans loop-free graphs).
  const opts: CompileOptions = { seqLen: null, opset: 17, runtime: COMPILE_TARGET[backend.name], dplrStep: parseDplrStep(flag(p, 'dplr-step')), precision, budget: p.flags.has('allow-large') ? null : undefined };
  // Progress on stderr (a terminal only) while the checks run; the table goes to stdout after them.
  const { progress, stop } = cliProgress(p.flags.has('quiet'));
  let conv: Compiled, heading: string;
  const rows: [string, Comparison][] = [];
  const skipped: string[] = [];
  try {
    conv = progress.run('compile conv graph', (task) => compileModel(src.file, src.weights, { ...opts, progress: task.progress }));
    tolerance = toleranceFlag ?? precisionTolerance(precision, Object.keys(conv.precision?.computed16 ?? {}).length > 0);
    // What was read, and a random model announced, once every argument has passed its checks.
    const announce = () => {
      for (const line of describeSource(src, conv.checkpoint)) console.log(line);
      const warning = randomInitWarning(src, 'the model verified');
      if (warning) console.error(warning);
    };

    // A full-attention cache holds the whole sequence checked unless --kv-cache says otherwise.
    const kvCacheFor = (L: number) => intFlag(p, 'verify', 'kv-cache', Math.max(DEFAULT_ATTENTION_CACHE, L), { min: 1, max: MAX_KV_CACHE });
    const againstPath = flag(p, 'against');
    let references: [string, ArrayLike<number>][];
    if (againstPath) {
      for (const f of ['len', 'batch', 'seed'] as const) if (flag(p, f) !== undefined) throw new UserError(`ssmc verify: --${f} does not apply with --against (the saved input sets the batch and length)`);
      const data = readAgainstFile(readInput(againstPath, '--against file'), againstPath, conv.io, { input: flag(p, 'input-name'), outputs: flag(p, 'output-names')?.split(',') });
      const x = data.input;
      const [B, L] = [x.dims[0]!, conv.io.layout === 'BHL' ? x.dims[2]! : x.dims[1]!];
      if (L > MAX_VERIFY_LEN || B > MAX_VERIFY_BATCH) {
        throw new UserError(`ssmc verify: the --against input is [${x.dims.join(', ')}]: at most ${MAX_VERIFY_BATCH} sequences of ${MAX_VERIFY_LEN} positions (the step check runs onnxruntime once per position); save a smaller batch`);
      }
      const want = conv.io.outputShape(L).map((d) => (d === 'batch' ? B : (d as number)));
      for (const o of data.outputs) {
        if (o.values.length !== want.reduce((a, d) => a * d, 1)) {
          throw new UserError(`ssmc verify: '${o.name}' in ${againstPath} has shape [${o.dims.join(', ')}], but the model's output for this input is [${want.join(', ')}]; is it the output of this model on this input?`);
        }
      }
      opts.kvCache = kvCacheFor(L);
      announce();
      references = data.outputs.map((o) => [`'${o.name}'`, o.values] as [string, ArrayLike<number>]);
      heading = `against ${againstPath}: input '${data.inputName}' [${x.dims.join(', ')}]${data.notes.length ? ` (${data.notes.join('; ')})` : ''}`;
      const y = await progress.run(`run conv graph (onnxruntime-${backend.name})`, async (task) => {
        const y = await runConv(backend, conv, x);
        const verdicts: string[] = [];
        for (const o of data.outputs) {
          const c = compareOutput(y, o, tolerance);
          rows.push([`conv vs '${o.name}'`, c]);
          verdicts.push(`vs '${o.name}' ${verdict(c)}`);
        }
        task.detail(verdicts.join(', '));
        return y;
      });
      skipped.push(...(await recurrenceRows(backend, src, opts, conv, x, y, references, rows, tolerance, progress)));
    } else {
      if (p.flags.has('input-name') || p.flags.has('output-names')) throw new UserError('ssmc verify: --input-name and --output-names name tensors of the --against file; give --against too');
      const L = intFlag(p, 'verify', 'len', 256, { min: 2, max: MAX_VERIFY_LEN, why: 'prefill takes half, steps the rest, one onnxruntime run per position' });
      const B = intFlag(p, 'verify', 'batch', 1, { min: 1, max: MAX_VERIFY_BATCH });
      // The float64 reference sums each convolution directly: B·C·H·L² multiply-adds per layer.
      checkBudget([...conv.costs, ...conv.layers.map((l) => {
        const C = l.channels ?? 1, H = l.H ?? 1, N = l.N ?? 1;
        return { what: `float64 reference of layer ${l.name} at L=${L}, batch ${B}`, bytes: 64 * C * H * L * B, seconds: (B * C * H * L * L + 20 * C * H * N * L) / FLOPS_PER_SECOND };
      })], opts.budget === undefined ? DEFAULT_BUDGET : opts.budget, 'ssmc verify');
      opts.kvCache = kvCacheFor(L);
      announce();
      const x = randomInput(conv, B, L, new Rng(intFlag(p, 'verify', 'seed', 0)));
      const y = await progress.run(`run conv graph (onnxruntime-${backend.name})`, () => runConv(backend, conv, x));
      const ref = progress.run('float64 reference', (task) => {
        // The reference is the float32 model's meaning in float64, whatever the precision compiled.
        const r = evaluateModel(buildModel(src.file, src.weights, { ...opts, precision: 'fp32', progress: task.progress }).model, { input: fromTensor(x) }).get('output')!.data;
        const c = compareToReference(y, r, tolerance);
        rows.push(['conv (onnxruntime) vs float64 reference', c]);
        task.detail(`conv vs reference: ${verdict(c)}`);
        return r;
      });
      references = [['float64 reference', ref]];
      heading = `batch ${B}, length ${L}, random input (seed ${intFlag(p, 'verify', 'seed', 0)})`;
      skipped.push(...(await recurrenceRows(backend, src, opts, conv, x, y, references, rows, tolerance, progress)));
    }
  } finally {
    stop();
  }

  console.log(`verify ${conv.arch.id} in ${backend.description ?? backend.name}, precision ${precision}, ${heading}`);
  const why = toleranceFlag !== undefined ? '--tolerance'
    : precision === 'fp32' ? 'REL_TO_PEAK, src/verify/tolerances.ts' : `${describeTolerance(precision, tolerance)}, src/verify/tolerances.ts`;
  console.log(`  tolerance: max|Δ| ≤ ${Number(tolerance.toPrecision(3))}·max(1, max|reference|) (${why})`);
  for (const [name, c] of rows) {
    const rel = c.maxAbs / Math.max(c.peak, Number.MIN_VALUE);
    console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${name.padEnd(48)} max abs ${c.maxAbs.toExponential(2)}  max rel to peak ${rel.toExponential(2)}`);
  }
  for (const why of skipped) console.log(`  skipped ${why}`);
  if (rows.some(([, c]) => !c.ok)) process.exitCode = 1;
}

/** The step and prefill graphs' checks (rows appended); returns why any did not run. */
async function recurrenceRows(
  backend: Awaited<ReturnType<typeof backendNamed>>, src: ReturnType<typeof modelSourceFrom>, opts: CompileOptions, conv: Compiled, x: Tensor, y: Float32Array,
  references: [string, ArrayLike<number>][], rows: [string, Comparison][], tolerance: number, progress: Progress,
): Promise<string[]> {
  const layout = conv.io.layout as Layout;
  const B = x.dims[0]!, L = layout === 'BHL' ? x.dims[2]! : x.dims[1]!;
  if (L < 2) return ['step and prefill: the input has one position; the prefill + step check needs at least two'];
  const rec = await checkRecurrence(backend, src.file, src.weights, opts, {
    x, layout, L, B, convOutput: y, references, outputShape: conv.io.outputShape, stepRows: conv.io.stepRows, tolerance,
  }, progress);
  rows.push(...rec.rows);
  return rec.skipped;
}

function compareOutput(y: Float32Array, o: { name: string; values: Float64Array; dims: readonly number[] }, tolerance: number): Comparison {
  if (o.values.length !== y.length) throw new UserError(`ssmc verify: '${o.name}' has ${o.values.length} values [${o.dims.join(', ')}], but the model's output for this input has ${y.length}; is it the output of this model on this input?`);
  return compareToReference(y, o.values, tolerance);
}

async function runConv(backend: Awaited<ReturnType<typeof backendNamed>>, conv: Compiled, x: Tensor): Promise<Float32Array> {
  const onNote = (line: string) => console.error(`ssmc verify: ${line}`);
  return (await backend.run(modelToBytes(conv.model), new Map([['input', x]]), { onNote })).get('output')!.data as Float32Array;
}

function randomInput(conv: Compiled, B: number, L: number, rng: Rng): Tensor {
  const shape = conv.io.inputShape(L).map((d) => (d === 'batch' ? B : (d as number)));
  if (conv.io.inputDtype !== 'int64') return f32(Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => rng.normal()), shape);
  const vocab = conv.io.vocab ?? (conv.args.num_tokens as number);
  return i64(Array.from({ length: B * L }, () => Math.floor(rng.uniform() * vocab)), shape);
}

function parseTolerance(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Number(v);
  if (!Number.isFinite(t) || t <= 0 || t >= 1) throw new UserError(`ssmc verify: --tolerance must be a number in (0, 1), the bound on max|Δ| relative to max(1, max|reference|); got '${v}'`);
  return t;
}

/** '8 u + float32's 1e-4, u = 2^-11 (float16)'. */
function describeTolerance(precision: Precision, rel: number): string {
  const { unitRoundoff: u, storage } = FORMATS[precision];
  return `${Math.round((rel - TOLERANCES.REL_TO_PEAK) / u)} u + float32's ${TOLERANCES.REL_TO_PEAK}, u = 2^${Math.log2(u)} (${storage})`;
}
