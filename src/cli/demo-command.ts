import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { modelToBytes } from '../../export/onnx-write.js';
import { evaluateModel } from '../../ir/interp/evaluate.js';
import { fromTensor } from '../../ir/interp/rtensor.js';
import { f32 } from '../../ir/tensor.js';
import { buildModel, compileModel, parseModelFile } from '../compile.js';
import { Rng } from '../models/rng.js';
import { runOnnx } from '../runtime/run.js';
import { summarizeModel } from '../summary.js';
import { compareToReference, describeComparison } from '../verify/compare.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/s4d-block.json', import.meta.url));
const DEMO_LEN = 1024;

/**
 * The main job (`npm start`): compile the bundled example model, run it in onnxruntime-node and
 * check the output against the float64 reference interpreter on the unlowered IR.
 */
export async function demoCommand(): Promise<void> {
  const file = parseModelFile(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  const opts = { seqLen: null, opset: 17 };
  const t0 = performance.now();
  const compiled = compileModel(file, null, opts);
  const bytes = modelToBytes(compiled.model);
  const t1 = performance.now();
  console.log(`compiled ${EXAMPLE} — ${compiled.arch.official}, length dynamic, ${(bytes.byteLength / 1024).toFixed(1)} KiB in ${(t1 - t0).toFixed(0)} ms`);
  console.log(summarizeModel(compiled.model));

  const H = compiled.args.d_model as number;
  const rng = new Rng(1);
  const dims = [1, DEMO_LEN, H];
  const input = f32(Array.from({ length: DEMO_LEN * H }, () => rng.normal()), dims);
  const t2 = performance.now();
  const out = (await runOnnx(bytes, new Map([['input', input]]))).get('output')!;
  const t3 = performance.now();
  const y = out.data as Float32Array;
  console.log(`\nran in onnxruntime-node: input [${dims.join(',')}] → output [${out.dims.join(',')}] in ${(t3 - t2).toFixed(1)} ms`);
  console.log(`output[0, 0:6, 0] = ${Array.from({ length: 6 }, (_, t) => y[t * H]!.toFixed(5)).join(', ')}`);

  const reference = buildModel(file, null, opts).model;
  const refOut = evaluateModel(reference, { input: fromTensor(input) }).get('output')!;
  const cmp = compareToReference(y, refOut.data);
  console.log(describeComparison('check against the float64 reference interpreter', cmp));
  if (!cmp.ok) process.exitCode = 1;
}
