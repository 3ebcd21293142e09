/**
 * How far a whole layer is from the MatMuls it cannot avoid (issue 16's conv targets), in one run:
 * - the S4D layer (H=256, N=64, L=16384, `--lowering auto`) against its 256×512 output projection
 *   alone (one MatMul and its bias over every position) and against its long convolution alone;
 * - the GSS layer (E=512, F=2048, H=128, N=512, L=4096, `auto`) against its four projections
 *   alone (to_u, to_v, to_gate, to_out chained as in the layer, no norms, GELUs or convolution),
 *   and against PyTorch eager of the same layer (bench/torch_reference.py) where torch is found;
 * - the chunked diagonal convolution at L = 16384 against the `dft` lowering, and against the roof
 *   its MatMul flops set at the rate the projection reached in the same run.
 * The ssmc graphs of a case run round-robin, one thread; each run is timed as wall time and as the
 * process's CPU time, which other work on a shared machine disturbs far less (a run is one thread's
 * work). `node dist/bench/layer-roofline.js [--quick]` runs it alone (--quick: L = 4096 and 1024).
 */
import { Builder, f32, Model, tensorType, type Value } from 'ssmc/ir';
import { modelToBytes, Rng } from 'ssmc';
import { nodeBackend, type Session } from 'ssmc/runtime';
import { chunkLength } from 'ssmc/passes';
import { compileFor, LAYERS, randomInput, torchAvailable, torchTimes } from './conv-lowerings.js';
import { median } from './timing.js';
import { printWhenMain } from './standalone.js';

interface Graph {
  name: string;
  bytes: Uint8Array;
  inputDims: number[];
}

interface Timing {
  name: string;
  wall_ms: number;
  cpu_ms: number;
  nodes?: number;
}

/** x [1,L,in] through the MatMuls `build` chains; random weights (their values do not matter to the time). */
function projections(name: string, L: number, inWidth: number, build: (b: Builder, x: Value, weight: (rows: number, cols: number) => Value) => Value): Graph {
  const model = new Model(17);
  const b = new Builder(model.graph, 17);
  const x = model.graph.addInput('input', tensorType('float32', [1, L, inWidth]));
  const rng = new Rng(7);
  let count = 0;
  const weight = (rows: number, cols: number) => {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() / Math.sqrt(rows);
    return model.graph.addInitializer(`w${count++}`, f32(data, [rows, cols]));
  };
  const y = build(b, x, weight);
  model.graph.renameValue(y, 'output');
  model.graph.outputs.push(y);
  return { name, bytes: modelToBytes(model), inputDims: [1, L, inWidth] };
}

/** Round-robin runs of every graph after a warm-up; medians of wall and CPU milliseconds per run. */
async function timeRoundRobin(graphs: Graph[], rounds: number): Promise<Timing[]> {
  const sessions: Session[] = [];
  try {
    for (const g of graphs) sessions.push(await nodeBackend.createSession(g.bytes, { threads: 1 }));
    const feeds = graphs.map((g) => new Map([['input', randomInput(g.inputDims, 1)]]));
    for (let i = 0; i < graphs.length; i++) await sessions[i]!.run(feeds[i]!);
    const wall = graphs.map(() => [] as number[]), cpu = graphs.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < graphs.length; i++) {
        const c0 = process.cpuUsage(), t0 = performance.now();
        await sessions[i]!.run(feeds[i]!);
        const t = performance.now() - t0, c = process.cpuUsage(c0);
        wall[i]!.push(t);
        cpu[i]!.push((c.user + c.system) / 1000);
      }
    }
    return graphs.map((g, i) => ({ name: g.name, wall_ms: +median(wall[i]!).toFixed(2), cpu_ms: +median(cpu[i]!).toFixed(2) }));
  } finally {
    for (const s of sessions) await s.release();
  }
}

function layerGraph(id: 's4d' | 'gss', width: number, L: number, lowering: string, part: 'layer' | 'conv'): Graph & { nodes: number; lowerings: string } {
  const spec = LAYERS.find((l) => l.id === id)!;
  const c = compileFor(spec, width, L, lowering, part);
  return { name: `${id} ${part} (${lowering})`, bytes: c.bytes, inputDims: c.inputDims, nodes: c.model.graph.nodes.length, lowerings: c.decisions.map((d) => d.lowering).join(', ') };
}

export async function benchLayerRoofline(opts: { quick?: boolean } = {}): Promise<{ table: string; json: unknown }> {
  const rounds = opts.quick ? 3 : 9;
  const s4dL = opts.quick ? 4096 : 16384, gssL = opts.quick ? 1024 : 4096;

  const s4dLayer = layerGraph('s4d', 256, s4dL, 'auto', 'layer');
  const s4dConv = layerGraph('s4d', 256, s4dL, 'auto', 'conv');
  const s4dProj = projections('s4d output projection alone', s4dL, 256, (b, x, w) => b.add(b.matmul(x, w(256, 512)), w(1, 512)));
  const s4d = await timeRoundRobin([s4dLayer, s4dConv, s4dProj], rounds);

  const chunked = layerGraph('s4d', 256, s4dL, 'chunked', 'conv');
  const dft = layerGraph('s4d', 256, s4dL, 'dft', 'conv');
  const conv = await timeRoundRobin([chunked, dft], Math.max(3, Math.ceil(rounds / 2)));

  const gssLayer = layerGraph('gss', 512, gssL, 'auto', 'layer');
  const gssProj = projections('gss projections alone', gssL, 512, (b, x, w) => {
    const u = b.matmul(x, w(512, 2048));
    const gate = b.matmul(b.matmul(x, w(512, 128)), w(128, 2048));
    return b.matmul(b.mul(u, gate), w(2048, 512));
  });
  const gss = await timeRoundRobin([gssLayer, gssProj], rounds);
  const torch = torchAvailable();
  const torchRun = torch ? torchTimes(LAYERS.find((l) => l.id === 'gss')!, 512, gssL, 1) : null;

  const ratio = (a: number, b: number) => +(a / b).toFixed(2);
  const [layer, convAlone, proj] = s4d as [Timing, Timing, Timing];
  const [ch, df] = conv as [Timing, Timing];
  // The roof for the chunked form: its MatMuls' flops (chunk end states, then the Toeplitz block
  // and the carried part together: 2·L·H·(T + S + S), S = 2N = 64 real states) at the rate the
  // projection reached in this run — what no schedule of the Scan or the copies can beat.
  const T = chunkLength(s4dL), S = 64, H = 256;
  const chunkedFlops = 2 * s4dL * H * (T + 2 * S);
  const projectionFlops = 2 * s4dL * 256 * 512;
  const roofMs = chunkedFlops / (projectionFlops / proj.cpu_ms);
  const [gl, gp] = gss as [Timing, Timing];
  const rows = {
    s4d: { L: s4dL, lowering: s4dLayer.lowerings, layer, conv: convAlone, projection: proj, layer_over_projection_cpu: ratio(layer.cpu_ms, proj.cpu_ms), layer_over_projection_wall: ratio(layer.wall_ms, proj.wall_ms), conv_plus_projection_over_projection_cpu: ratio(convAlone.cpu_ms + proj.cpu_ms, proj.cpu_ms) },
    chunked_vs_dft: { L: s4dL, chunked: ch, dft: df, speedup_cpu: ratio(df.cpu_ms, ch.cpu_ms), speedup_wall: ratio(df.wall_ms, ch.wall_ms), chunked_matmul_gflop: +(chunkedFlops / 1e9).toFixed(3), matmul_roof_cpu_ms: +roofMs.toFixed(1), dft_over_roof_cpu: ratio(df.cpu_ms, roofMs) },
    gss: { L: gssL, lowering: gssLayer.lowerings, layer: gl, projections: gp, torch: torchRun, torch_over_layer_cpu: torchRun ? ratio(torchRun.cpu_ms, gl.cpu_ms) : null, torch_over_layer_wall: torchRun ? ratio(torchRun.ms, gl.wall_ms) : null, projections_share_cpu: ratio(gp.cpu_ms, gl.cpu_ms) },
  };
  const t = (x: Timing) => `${x.cpu_ms.toFixed(1)} | ${x.wall_ms.toFixed(1)}`;
  const lines = [
    `One thread, onnxruntime-node CPU, medians of ${rounds} round-robin runs: CPU ms | wall ms per run`,
    '| case | CPU ms | wall ms | ratio (CPU; wall) | target |',
    '|---|---:|---:|---|---|',
    `| S4D layer, H=256 N=64 L=${s4dL} (${s4dLayer.lowerings}) | ${t(layer)} | layer ÷ projection ${rows.s4d.layer_over_projection_cpu}×; ${rows.s4d.layer_over_projection_wall}× | ≤ 1.5× |`,
    `| its long convolution alone | ${t(convAlone)} | (conv + projection) ÷ projection ${rows.s4d.conv_plus_projection_over_projection_cpu}× | |`,
    `| its 256×512 output projection alone | ${t(proj)} | | |`,
    `| chunked diagonal convolution, L=${s4dL} | ${t(ch)} | dft ÷ chunked ${rows.chunked_vs_dft.speedup_cpu}×; ${rows.chunked_vs_dft.speedup_wall}× | ≥ 20× |`,
    `| dft lowering of the same convolution | ${t(df)} | | |`,
    `| the chunked form's MatMuls (${(chunkedFlops / 1e9).toFixed(2)} GFLOP) at the projection's rate in this run | ${roofMs.toFixed(1)} | — | dft ÷ this roof ${rows.chunked_vs_dft.dft_over_roof_cpu}× | |`,
    `| GSS layer, E=512 F=2048 H=128 N=512 L=${gssL} (${gssLayer.lowerings}) | ${t(gl)} | PyTorch eager ÷ layer ${rows.gss.torch_over_layer_cpu ?? '—'}×; ${rows.gss.torch_over_layer_wall ?? '—'}× | ≥ 1.3× |`,
    `| its four projections alone | ${t(gp)} | projections ÷ layer ${rows.gss.projections_share_cpu} | |`,
    `| PyTorch eager ${torch ?? '(not found)'} of the same layer (bench/torch_reference.py, 3 runs) | ${torchRun ? `${torchRun.cpu_ms.toFixed(1)} | ${torchRun.ms.toFixed(1)}` : '— | —'} | | |`,
  ];
  return { table: lines.join('\n'), json: { bench: 'layer-roofline', runtime: 'onnxruntime-node cpu', threads: 1, rounds, ...rows } };
}

printWhenMain(import.meta.url, () => benchLayerRoofline({ quick: process.argv.includes('--quick') }));
