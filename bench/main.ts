/**
 * `npm run bench`: every benchmark in one run, each printing its table; all JSON lands in
 * bench-results.json (and on stdout as one line). The machines are noisy: compare variants within
 * one run, as ratios.
 *   --quick         fewer sizes (a smoke run of every benchmark, a few minutes)
 *   --only NAME     one of: conv-lowerings, layer-roofline, fftconv-lowerings, gss-variants, step-vs-conv, step-latency, attention, attention-forms, web-vs-node, targets, whole-model, compile-time, precision, precision-accuracy, serve-load (repeatable)
 *   --torch-long    also run the PyTorch reference at L = 16384
 *   --quiet         no progress on stderr (it is drawn only when stderr is a terminal, never in CI)
 * Then bench-report.html: the same results as charts (bench/report.ts; `npm run bench:report`
 * makes it again from a saved bench-results.json).
 */
import { writeFileSync } from 'node:fs';
import type { Progress } from 'ssmc';
import { cliProgress } from 'ssmc/terminal';
import { benchCompileTime } from './compile-time.js';
import { benchConvLowerings } from './conv-lowerings.js';
import { benchLayerRoofline } from './layer-roofline.js';
import { benchFftConvLowerings, formatRows } from './fftconv-lowerings.js';
import { benchAttention } from './attention.js';
import { benchAttentionForms } from './attention-forms.js';
import { benchGssVariants } from './gss-variants.js';
import { benchStepVsConv } from './step-vs-conv.js';
import { benchStepLatency } from './step-latency.js';
import { benchWebVsNode } from './web-vs-node.js';
import { benchServeLoad } from './serve-load.js';
import { benchTargets } from './targets.js';
import { benchWholeModel } from './whole-model.js';
import { machine } from './machine.js';
import { benchReportHtml } from './report.js';
import { benchPrecision } from './precision.js';
import { benchPrecisionAccuracy } from './precision-accuracy.js';

interface Bench {
  name: string;
  title: string;
  run(quick: boolean, torchLong: boolean, progress: Progress): Promise<{ table: string; json: unknown }>;
}

const BENCHES: Bench[] = [
  {
    name: 'conv-lowerings',
    title: 'Long-convolution lowerings: one layer in conv mode (issue 5)',
    run: (quick, torchLong, progress) => benchConvLowerings({ quick, torchLong, progress }),
  },
  {
    name: 'layer-roofline',
    title: 'Layers against the MatMuls they cannot avoid: the S4D layer vs its output projection, chunked vs dft at 16K, the GSS layer vs its projections and PyTorch (issue 16)',
    run: (quick) => benchLayerRoofline({ quick }),
  },
  {
    name: 'fftconv-lowerings',
    title: 'FFT lowerings head to head: plain DFT, packed DFT, four-step MatMul FFT (H=256, 1 thread)',
    run: async (quick, _torchLong, progress) => {
      const rows = await benchFftConvLowerings({ ...(quick ? { lengths: [1024, 4096] } : {}), progress });
      return { table: formatRows(rows), json: { bench: 'fftconv-lowerings', rows } };
    },
  },
  {
    name: 'gss-variants',
    title: "lucidrains' GatedDsConv (input-dependent convolution: Toeplitz vs DFT) and GatedExponentialSmoothingLM (step vs conv) (issue 15)",
    run: (quick) => benchGssVariants(quick),
  },
  { name: 'step-vs-conv', title: 'Generation: step graph vs re-running the conv graph (issue 4)', run: (_q, _t, progress) => benchStepVsConv(progress) },
  { name: 'step-latency', title: 'Step graph latency per token: interleaved, planar in standard ops, planar with RotaryEmbedding; batch 1 and 32 (issue 16)', run: (quick) => benchStepLatency({ quick }) },
  { name: 'attention', title: 'Attention beside state spaces: its share of conv time at L = 4096, per-token latency of a hybrid vs pure GSS (issue 15)', run: () => benchAttention() },
  {
    name: 'attention-forms',
    title: 'Causal attention forms: MatMul/Softmax one head at a time vs heads batched vs ONNX Attention (opset 23) vs com.microsoft.MultiHeadAttention, time and peak memory (issue 15)',
    run: (quick, _torchLong, progress) => benchAttentionForms({ quick, progress }),
  },
  { name: 'web-vs-node', title: 'onnxruntime-web (wasm) vs onnxruntime-node (issue 7)', run: (_q, _t, progress) => benchWebVsNode(progress) },
  {
    name: 'targets',
    title: 'Per runtime target: ort-cpu on onnxruntime-node CPU, ort-webgpu on its WebGPU provider (SwiftShader here: no GPU speed claim); conv and step latency, node placement (issue 14)',
    run: (quick) => benchTargets({ quick }),
  },
  {
    name: 'whole-model',
    title: 'A whole official S4 model: LRA-CIFAR (6 layers, d_model 512, bidirectional S4-LegS, batch norm, L = 1024) vs PyTorch eager (issue 12)',
    run: (quick, _torchLong, progress) => benchWholeModel({ quick, progress }),
  },
  {
    name: 'compile-time',
    title: 'Compile time and peak memory per layer family and size, fixed and dynamic length (issue 16)',
    run: (quick, _torchLong, progress) => benchCompileTime({ quick, progress }),
  },
  {
    name: 'precision',
    title: '--precision fp32|fp16|bf16: file size, error, load and run time (onnxruntime-node and -web, 1 thread)',
    run: (quick) => benchPrecision(quick),
  },
  {
    name: 'precision-accuracy',
    title: '--precision: every golden case against its float64 output, worst mode, per precision (the README table)',
    run: () => benchPrecisionAccuracy(),
  },
  {
    name: 'serve-load',
    title: 'ssmc serve under load: 1, 8 and 32 concurrent streams, continuous batching (issue 18)',
    run: (quick, _torchLong, progress) => benchServeLoad({ quick, progress }),
  },
];

function parseArgs(argv: string[]): { quick: boolean; torchLong: boolean; quiet: boolean; only: string[] } {
  const only: string[] = [];
  let quick = false, torchLong = false, quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--torch-long') torchLong = true;
    else if (a === '--quiet' || a === '-q') quiet = true;
    else if (a === '--only') {
      const name = argv[++i];
      if (!name || !BENCHES.some((b) => b.name === name)) throw new Error(`--only needs one of ${BENCHES.map((b) => b.name).join(', ')}`);
      only.push(name);
    } else throw new Error(`unknown option '${a}'; options: --quick, --only NAME, --torch-long, --quiet`);
  }
  return { quick, torchLong, quiet, only };
}

async function main(): Promise<void> {
  const { quick, torchLong, quiet, only } = parseArgs(process.argv.slice(2));
  const results: Record<string, unknown> = {};
  const { progress, stop } = cliProgress(quiet);
  try {
    for (const b of BENCHES) {
      if (only.length > 0 && !only.includes(b.name)) continue;
      console.log(`\n## ${b.title}`);
      const t0 = performance.now();
      const { table, json } = await progress.run(b.name, (task) => b.run(quick, torchLong, task.progress));
      console.log(table);
      console.log(`(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      results[b.name] = json;
    }
  } finally {
    stop();
  }
  const all = { date: new Date().toISOString(), quick, node: process.version, machine: machine(), results };
  writeFileSync('bench-results.json', JSON.stringify(all, null, 2) + '\n');
  writeFileSync('bench-report.html', benchReportHtml(all));
  console.log(JSON.stringify(all));
  console.log('\nwrote bench-results.json and bench-report.html');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
