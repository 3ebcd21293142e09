import { modelToChunks } from '../../export/onnx-write.js';
import { defaultPipeline } from '../../passes/pipeline.js';
import { LOWERINGS } from '../../passes/conv/registry.js';
import { TARGETS } from '../../passes/conv/targets.js';
import { FORMATS, isPrecision, PRECISIONS, type Precision } from '../../passes/precision/formats.js';
import { COMPILE_MODES, compileModel, MAX_SEQ_LEN, type CompileMode, type CompileOptions, type Compiled } from '../compile.js';
import { UserError } from '../errors.js';
import { DEFAULT_ATTENTION_CACHE, MAX_KV_CACHE } from '../models/attention.js';
import { DPLR_STEP_CHOICES, type DplrStepChoice } from '../models/layer.js';
import { STATE_LAYOUTS, type StateLayout } from '../state-layout.js';
import { checkOutputPath, writeAtomic } from '../files.js';
import { summarizeModel } from '../summary.js';
import { flag, intFlag, parseArgv } from './argv.js';
import { describeSource, MODEL_SOURCE_FLAGS, modelSourceFrom, randomInitWarning } from './model-flags.js';
import { cliProgress } from './progress-terminal.js';

const USAGE = 'ssmc compile <model.json|config.yaml> [--weights ckpt] -o out.onnx, or ssmc compile --weights last.ckpt -o out.onnx';

export async function compileCommand(argv: string[]): Promise<void> {
  const p = parseArgv('compile', argv, {
    ...MODEL_SOURCE_FLAGS,
    'seq-len': { value: true },
    opset: { value: true },
    'print-after': { value: true, repeat: true },
    'print-passes': { value: false },
    mode: { value: true },
    lowering: { value: true },
    target: { value: true },
    threads: { value: true },
    'custom-ops': { value: false },
    portable: { value: false },
    'dplr-step': { value: true },
    precision: { value: true },
    'state-layout': { value: true },
    'kv-cache': { value: true },
    'allow-large': { value: false },
    quiet: { value: false, alias: 'q' },
    out: { value: true, alias: 'o' },
  });
  if (p.flags.has('print-passes')) {
    for (const pass of defaultPipeline()) console.log(`${pass.name.padEnd(20)} ${pass.description}`);
    return;
  }
  const outPath = flag(p, 'out');
  if (!outPath) throw new UserError('ssmc compile: missing -o <out.onnx>');
  const passNames = defaultPipeline().map((x) => x.name);
  for (const name of p.flags.get('print-after') ?? []) {
    if (!passNames.includes(name)) throw new UserError(`--print-after: unknown pass '${name}'; the pipeline has: ${passNames.join(', ')}`);
  }
  // Before a compile that may take a while: the output must be writable and none of the inputs.
  checkOutputPath(outPath, '-o', [...p.positionals, ...(p.flags.get('weights') ?? [])]);
  const src = modelSourceFrom(p, 'compile', USAGE);
  const inputs = src.inputs;
  const mode = flag(p, 'mode') ?? 'conv';
  if (!(COMPILE_MODES as readonly string[]).includes(mode)) {
    throw new UserError(`--mode must be one of ${COMPILE_MODES.join(', ')}, got '${mode}'`);
  }
  if (mode === 'step' && flag(p, 'seq-len') !== undefined) throw new UserError('--seq-len does not apply to --mode step (a step graph takes one position)');
  const opts: CompileOptions = {
    mode: mode as CompileMode,
    seqLen: parseSeqLen(flag(p, 'seq-len')),
    opset: intFlag(p, 'compile', 'opset', 17),
    printAfter: p.flags.get('print-after'),
    lowering: parseLowering(flag(p, 'lowering')),
    runtime: parseRuntime(flag(p, 'target')),
    threads: parseThreads(flag(p, 'threads')),
    customOps: p.flags.has('custom-ops'),
    portable: p.flags.has('portable'),
    dplrStep: parseDplrStep(flag(p, 'dplr-step')),
    precision: parsePrecision(flag(p, 'precision')),
    stateLayout: parseStateLayout(flag(p, 'state-layout')),
    kvCache: intFlag(p, 'compile', 'kv-cache', DEFAULT_ATTENTION_CACHE, { min: 1, max: MAX_KV_CACHE, why: 'the positions a full-attention step graph keeps keys and values for' }),
    budget: p.flags.has('allow-large') ? null : undefined,
  };
  // Progress on stderr (a terminal only) until the file is written; the results go to stdout after it.
  const { progress, stop } = cliProgress(p.flags.has('quiet'));
  let compiled: Compiled;
  try {
    compiled = compileModel(src.file, src.weights, { ...opts, progress });
    for (const w of compiled.warnings) console.error(`warning: ${w}`);
    await progress.run(`write ${outPath}`, async (task) => {
      // In pieces, the weights by reference: the file is never assembled in memory.
      const chunks = modelToChunks(compiled.model);
      task.detail(`${(chunks.reduce((n, c) => n + c.byteLength, 0) / 1e6).toFixed(1)} MB`);
      await writeAtomic(outPath, chunks, inputs);
    });
  } finally {
    stop();
  }
  console.log(`compiled ${compiled.arch.id} (${compiled.arch.official}) → ${outPath}`);
  for (const line of describeSource(src, compiled.checkpoint)) console.log(line);
  const warning = randomInitWarning(src, outPath);
  if (warning) console.error(warning);
  console.log(summarizeModel(compiled.model));
  for (const line of describeDecisions(compiled)) console.log(line);
  for (const line of describeFunctions(compiled)) console.log(line);
  for (const line of describePrecision(compiled)) console.log(line);
  const { states } = compiled.meta;
  if (states.length > 0) {
    console.log('states (zeros at the start of a sequence; feed each step the previous step\'s state_out):');
    for (const s of states) console.log(`  ${s.input} → ${s.output}: float32[${s.shape.join(',')}]: ${s.meaning}`);
  }
}

/** One line per long convolution: the layer, the lowering and why (the cost model's estimate or --lowering). */
export function describeDecisions(compiled: Compiled): string[] {
  const lines = compiled.convolutions.flatMap(({ layer, decision }) =>
    decision ? [`  ${layer.name} (${layer.kernel}, H=${layer.H}${layer.N !== null ? `, N=${layer.N}` : ''}): ${decision.lowering} — ${decision.reason}`] : []);
  return lines.length > 0 ? ['long convolutions:', ...lines] : [];
}

/** With --custom-ops: the ai.ssmc ops the graph calls and the functions that carry their bodies. */
function describeFunctions(compiled: Compiled): string[] {
  const fns = compiled.model.functions;
  if (fns.length === 0) return [];
  const calls = new Map<string, number>();
  for (const n of compiled.model.graph.nodes) if (fns.some((f) => f.domain === n.domain && f.name === n.op)) calls.set(n.qualifiedOp, (calls.get(n.qualifiedOp) ?? 0) + 1);
  return [
    'custom ops (each carries an ONNX function body, so every runtime runs it):',
    ...fns.map((f) => `  ${f.domain}.${f.name}: ${calls.get(`${f.domain}.${f.name}`) ?? 0} call(s), body of ${f.body.nodes.length} nodes`),
  ];
}

/** With --precision fp16|bf16: what is stored and computed in 16 bits, and what stays float32. */
export function describePrecision(compiled: Compiled): string[] {
  const r = compiled.precision;
  if (!r) return [];
  const { storage } = FORMATS[r.precision];
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const kept = Object.entries(r.kept).map(([why, k]) => `${k.tensors} (${mib(k.bytes)}) for ${why}`);
  const computed = Object.entries(r.computed16).map(([c, n]) => `${c} ×${n}`);
  const missing = Object.keys(r.noKernel);
  return [
    `precision ${r.precision} (interface float32):`,
    `  weights: ${r.stored.tensors} tensors in ${storage}, ${mib(r.stored.bytesBefore)} → ${mib(r.stored.bytesAfter)}${kept.length > 0 ? `; kept float32: ${kept.join(', ')}` : ''}`,
    computed.length > 0
      ? `  float16 compute: ${computed.join(', ')} nodes; the rest in float32`
      : `  compute: float32 (${r.precision === 'bf16' ? 'no runtime has bfloat16 arithmetic kernels' : `${r.runtime} has no float16 kernels for these ops${missing.length > 0 ? ` (${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ', …' : ''})` : ''}`}); 16-bit weights cast to float32 when the session loads`,
  ];
}

export function parsePrecision(v: string | undefined): Precision {
  if (v === undefined) return 'fp32';
  if (isPrecision(v)) return v;
  throw new UserError(`--precision must be one of ${PRECISIONS.join(', ')} (how the weights are stored and computed); got '${v.slice(0, 40)}'`);
}

export function parseStateLayout(v: string | undefined): StateLayout {
  if (v === undefined) return 'planar';
  if ((STATE_LAYOUTS as readonly string[]).includes(v)) return v as StateLayout;
  throw new UserError(`--state-layout must be one of ${STATE_LAYOUTS.join(', ')} (how step and prefill graphs lay out a complex state: planar [batch, H, 2, N], interleaved [batch, H, N, 2]); got '${v}'`);
}

export function parseDplrStep(v: string | undefined): DplrStepChoice {
  if (v === undefined) return 'auto';
  if ((DPLR_STEP_CHOICES as readonly string[]).includes(v)) return v as DplrStepChoice;
  throw new UserError(`--dplr-step must be one of ${DPLR_STEP_CHOICES.join(', ')} (the S4 DPLR stepper: auto picks the diagonal form when its accuracy check passes); got '${v}'`);
}

export function parseLowering(v: string | undefined): string {
  const names = LOWERINGS.map((l) => l.name);
  if (v === undefined) return 'auto';
  if (v === 'auto' || names.includes(v)) return v;
  throw new UserError(`--lowering must be one of auto, ${names.join(', ')}; got '${v}'`);
}

export function parseRuntime(v: string | undefined): string {
  const ids = TARGETS.map((t) => t.id);
  if (v === undefined) return ids[0]!;
  if (ids.includes(v)) return v;
  throw new UserError(`--target must be one of ${ids.join(', ')} (the runtime the cost model plans for); got '${v}'`);
}

export function parseThreads(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UserError(`--threads must be an integer from 1 to 256 (intra-op threads the cost model plans for); got '${v}'`);
  return n;
}

export function parseSeqLen(v: string | undefined): number | null {
  if (v === undefined || v === 'dynamic') return null;
  const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEQ_LEN) {
    throw new UserError(`--seq-len must be an integer from 1 to ${MAX_SEQ_LEN} (2^24) or "dynamic", got '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`);
  }
  return n;
}
