import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Model } from '../../ir/model.js';
import { compileModel } from '../compile.js';
import { loadModelSource } from '../model-source.js';
import { UserError } from '../errors.js';
import { readModelFile } from '../external-data.js';
import { findArch } from '../models/registry.js';
import { compiledMode } from '../metadata.js';
import { hasRecurrence } from '../models/layer.js';
import { tritonRepository, type RepositoryFiles } from '../triton/repository.js';
import { flag, intFlag, parseArgv } from './argv.js';

/**
 * `ssmc export-triton <model> --out <dir>`: a Triton model repository (onnxruntime backend) —
 * the convolution graph, and for models with a step mode the step graph with sequence batching
 * and implicit state.
 */
export function exportTritonCommand(argv: string[]): void {
  const p = parseArgv('export-triton', argv, {
    weights: { value: true }, out: { value: true, alias: 'o' }, name: { value: true }, 'max-batch': { value: true },
    'sequence-idle': { value: true },
  });
  if (p.positionals.length !== 1) throw new UserError('ssmc export-triton: give one model: ssmc export-triton <model.json|model.onnx> --out <dir>');
  const out = flag(p, 'out');
  if (!out) throw new UserError('ssmc export-triton: missing --out <dir> (the model repository to create)');
  const path = p.positionals[0]!;
  const name = flag(p, 'name') ?? basename(path, extname(path));
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new UserError(`ssmc export-triton: --name '${name}' must use letters, digits, '_', '.' and '-' (it names a folder and a Triton model)`);
  const maxBatch = intFlag(p, 'export-triton', 'max-batch', 32);
  if (maxBatch < 1 || maxBatch > 1 << 20) throw new UserError(`ssmc export-triton: --max-batch must be from 1 to ${1 << 20}, got ${maxBatch}`);
  const idle = Number(flag(p, 'sequence-idle') ?? 60);
  if (!Number.isFinite(idle) || idle <= 0) throw new UserError('ssmc export-triton: --sequence-idle must be a positive number of seconds');

  let conv: Model | null = null, step: Model | null = null;
  if (!path.endsWith('.onnx')) {
    const { file, weights } = loadModelSource(path, flag(p, 'weights'));
    conv = compileModel(file, weights, { seqLen: null, opset: 17 }).model;
    if (hasRecurrence(findArch(file.arch).configure(file.args).layer.recurrence)) {
      step = compileModel(file, weights, { seqLen: null, opset: 17, mode: 'step' }).model;
    }
  } else {
    if (flag(p, 'weights')) throw new UserError(`ssmc export-triton: --weights applies to a model file (.json); '${path}' is a compiled graph`);
    const model = readModelFile(path).withData(); // the repository gets the data, not references into this folder
    if (compiledMode(model) === 'step') step = model;
    else conv = model;
  }
  const files = tritonRepository(name, conv, step, { maxBatch, sequenceIdleSeconds: idle });
  writeRepository(out, files);
  console.log(`wrote Triton model repository ${out}:`);
  for (const f of files.keys()) console.log(`  ${f}`);
  console.log(`run it: tritonserver --model-repository=${out}`);
}

/** Write every file under a temporary folder beside `out`, then rename it into place. */
function writeRepository(out: string, files: RepositoryFiles): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory() || readdirSync(out).length > 0) throw new UserError(`--out '${out}' exists and is not an empty folder; remove it or choose another`);
  }
  const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    for (const [rel, content] of files) {
      const file = join(tmp, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    if (existsSync(out)) rmdirSync(out);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UserError(`cannot write '${out}': ${(e as Error).message}`);
  }
}
