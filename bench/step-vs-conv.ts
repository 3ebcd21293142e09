/**
 * Per-token latency of generation with the step graph against re-running the
 * convolution graph on the growing sequence, for the bundled gss-code model at 256, 1024 and 4096
 * positions, in one run (the machines are noisy: read the ratios). Part of `npm run bench`
 * (bench/main.ts); `node dist/bench/step-vs-conv.js` runs it alone.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileModel, modelToBytes, parseModelFile, Progress, readSafetensors, readStates, runSteps, zeroStates } from 'ssmc';
import { i64 } from 'ssmc/ir';
import { createSession } from 'ssmc/runtime';
import { median, tokenAt } from './timing.js';
import { printWhenMain } from './standalone.js';

const DIR = fileURLToPath(new URL('../../examples/gss-code/', import.meta.url));
const POSITIONS = [256, 1024, 4096];
const THREADS = Number(process.env.SSMC_BENCH_THREADS ?? 1);

export async function benchStepVsConv(progress = Progress.none): Promise<{ table: string; json: unknown }> {
  const file = parseModelFile(readFileSync(`${DIR}model.json`, 'utf8'), 'model.json');
  const weights = { tensors: readSafetensors(new Uint8Array(readFileSync(`${DIR}gss_code.weights.safetensors`))), source: 'gss-code' };
  const opts = { seqLen: null, opset: 17 } as const;
  const conv = await createSession(modelToBytes(compileModel(file, weights, opts).model), { threads: THREADS });
  const stepModel = compileModel(file, weights, { ...opts, mode: 'step' }).model;
  const specs = readStates(stepModel);
  const step = await createSession(modelToBytes(stepModel), { threads: THREADS });
  const tokens = Array.from({ length: Math.max(...POSITIONS) }, (_, i) => tokenAt(i));

  const rows: { positions: number; conv_ms: number; step_ms: number; speedup: number }[] = [];
  let states = zeroStates(specs, 1);
  let t = 0;
  for (const P of POSITIONS) await progress.run(`${P} positions`, async (task) => {
    // The step graph's cost does not depend on the position; time steps around position P.
    while (t < P - 64) {
      states = (await runSteps(step, specs, 1, () => i64([tokens[t]!], [1]), states)).states;
      t++;
    }
    const stepTimes: number[] = [];
    for (; t < P; t++) {
      const t0 = performance.now();
      states = (await runSteps(step, specs, 1, () => i64([tokens[t]!], [1]), states)).states;
      stepTimes.push(performance.now() - t0);
    }
    // Re-running the convolution graph: one full pass over the P positions per new token.
    const convTimes: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await conv.run(new Map([['input', i64(tokens.slice(0, P), [1, P])]]));
      convTimes.push(performance.now() - t0);
    }
    const c = median(convTimes), s = median(stepTimes);
    rows.push({ positions: P, conv_ms: +c.toFixed(3), step_ms: +s.toFixed(3), speedup: +(c / s).toFixed(1) });
    task.detail(`conv ${c.toFixed(1)} ms, step ${s.toFixed(2)} ms a token`);
  });
  await conv.release();
  await step.release();

  const lines = [
    `gss-code (6 GSS layers, E=256, H=64, N=256), onnxruntime-node CPU, ${THREADS} thread(s); medians, ms per generated token`,
    '| positions | re-run conv graph | step graph | step speed-up |',
    '|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.positions} | ${r.conv_ms.toFixed(2)} | ${r.step_ms.toFixed(3)} | ${r.speedup}× |`),
  ];
  return { table: lines.join('\n'), json: { bench: 'step-vs-conv', model: 'examples/gss-code', runtime: 'onnxruntime-node cpu', threads: THREADS, rows } };
}

printWhenMain(import.meta.url, benchStepVsConv);
