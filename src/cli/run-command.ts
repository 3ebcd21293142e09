import { readSafetensors, writeSafetensors } from '../../export/safetensors.js';
import type { Tensor } from '../../ir/tensor.js';
import { UserError } from '../errors.js';
import { checkOutputPath, readInput, writeAtomic } from '../files.js';
import { readModelFile } from '../external-data.js';
import { backendNamed } from '../runtime/select.js';
import { flag, intFlag, parseArgv } from './argv.js';

export async function runCommand(argv: string[]): Promise<void> {
  const p = parseArgv('run', argv, {
    inputs: { value: true },
    out: { value: true, alias: 'o' },
    threads: { value: true },
    backend: { value: true },
  });
  if (p.positionals.length !== 1) throw new UserError('ssmc run: give exactly one model: ssmc run <model.onnx> --inputs in.safetensors -o out.safetensors [--backend node|wasm|webgpu]');
  const inputsPath = flag(p, 'inputs');
  const outPath = flag(p, 'out');
  if (!inputsPath) throw new UserError('ssmc run: missing --inputs <in.safetensors>');
  if (!outPath) throw new UserError('ssmc run: missing -o <out.safetensors>');
  const modelPath = p.positionals[0]!;
  checkOutputPath(outPath, '-o', [modelPath, inputsPath]);
  const backend = await backendNamed(flag(p, 'backend') ?? 'node', 'ssmc run: --backend');
  // Validated before onnxruntime sees it; external data is read from the model's folder only.
  const file = readModelFile(modelPath);
  const model = file.model;
  const tensors = readSafetensors(readInput(inputsPath, 'inputs'), inputsPath);
  const feeds = new Map<string, Tensor>();
  for (const v of model.graph.inputs) {
    const t = tensors.get(v.name);
    if (!t) {
      throw new UserError(`${inputsPath}: no tensor named '${v.name}' for graph input '${v.name}' (${v.type.dtype}); it has: ${[...tensors.keys()].join(', ') || 'nothing'}`);
    }
    if (t.dtype !== v.type.dtype) {
      throw new UserError(`${inputsPath}: tensor '${v.name}' is ${t.dtype} but graph input '${v.name}' needs ${v.type.dtype}`);
    }
    const shape = v.type.shape;
    if (shape && (shape.length !== t.dims.length || shape.some((d, i) => typeof d === 'number' && d !== t.dims[i]))) {
      throw new UserError(`${inputsPath}: tensor '${v.name}' has shape [${t.dims.join(',')}] but graph input '${v.name}' needs [${shape.map((d) => d ?? '?').join(',')}]`);
    }
    feeds.set(v.name, t);
  }
  const threads = flag(p, 'threads') === undefined ? undefined : intFlag(p, 'run', 'threads', 1, { min: 1, max: 256, why: 'intra-op threads of onnxruntime' });
  const outputs = await backend.run(file.runnable(), feeds, { threads, onNote: (line) => console.error(`ssmc run: ${line}`) });
  await writeAtomic(outPath, writeSafetensors(outputs), [modelPath, inputsPath]);
  for (const [name, t] of outputs) console.log(`${name}: ${t.dtype}[${t.dims.join(',')}]`);
  console.log(`wrote ${outPath}`);
}
