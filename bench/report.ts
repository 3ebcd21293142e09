/**
 * bench-results.json → bench-report.html: one self-contained page (inline SVG and CSS, no script,
 * no network) with the benchmarks as charts. The JSON is the source of truth: the page is made
 * from it alone, by `npm run bench` and again at any time from a saved file:
 *   node dist/bench/report.js [bench-results.json] [-o bench-report.html]   (npm run bench:report)
 * Sections the report knows get charts and their data table; any other section — or a known one
 * whose shape changed — is shown as a table of its rows (or its JSON), so new benchmarks appear
 * in the report before anyone draws them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { barChart, CHART_CSS, escapeHtml, lineChart, shortCount, shortNumber, type Series } from './chart.js';
import { isMain } from '../web/paths.js';

type Row = Record<string, unknown>;

interface Section {
  title: string;
  /** A sentence under the title: what was measured and how to read it. */
  lead: string;
  /** Charts in blocks, each under its own heading (none for a single block). */
  blocks: { heading?: string; charts: string[] }[];
  /** Extra markup after the charts (summary tables). */
  extra?: string;
}

const TITLES: Record<string, string> = {
  'conv-lowerings': 'Long-convolution lowerings: one layer in conv mode',
  'fftconv-lowerings': 'FFT lowerings head to head',
  'step-vs-conv': 'Generation: step graph vs re-running the conv graph',
  'web-vs-node': 'onnxruntime-web (wasm) vs onnxruntime-node',
  targets: 'Per runtime target: ort-cpu on the CPU, ort-webgpu on WebGPU (SwiftShader here: no GPU speed claim)',
  'serve-load': 'ssmc serve under load',
  'whole-model': 'A whole official S4 model against PyTorch eager',
};

const isObj = (x: unknown): x is Row => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);

/** The rows of a section when every one is an object with the given fields of the given kinds; else null. */
function rowsWith(section: unknown, fields: Record<string, 'number' | 'string' | 'number|null'>): Row[] | null {
  const rows = Array.isArray(section) ? section : isObj(section) && Array.isArray(section.rows) ? section.rows : null;
  if (!rows || rows.length === 0) return null;
  for (const r of rows) {
    if (!isObj(r)) return null;
    for (const [k, kind] of Object.entries(fields)) {
      const v = r[k];
      if (kind === 'number' && num(v) === null) return null;
      if (kind === 'string' && str(v) === null) return null;
      if (kind === 'number|null' && v !== null && num(v) === null) return null;
    }
  }
  return rows as Row[];
}

const ms = (y: number) => `${shortNumber(y)} ms`;
const times = (y: number) => `${shortNumber(y)}×`;
const uniq = <T>(xs: T[]) => [...new Set(xs)];
const LAYER_LABELS: Record<string, string> = { s4d: 'S4D', gss: 'GSS', 's4-dplr': 'S4 DPLR' };

function convLowerings(section: unknown): Section | null {
  const rows = rowsWith(section, { layer: 'string', width: 'number', L: 'number', threads: 'number', part: 'string', lowering: 'string', ms: 'number|null' });
  if (!rows) return null;
  const lowerings = uniq(rows.map((r) => r.lowering as string));
  const groups = uniq(rows.map((r) => `${r.layer}|${r.width}|${r.threads}`));
  const blocks: Section['blocks'] = [];
  const block = (heading: string) => {
    const b = { heading, charts: [] as string[] };
    blocks.push(b);
    return b.charts;
  };
  const at = (g: string, part: string, lowering: string, L: number) => rows.find((r) => `${r.layer}|${r.width}|${r.threads}` === g && r.part === part && r.lowering === lowering && r.L === L);
  const Ls = uniq(rows.map((r) => r.L as number)).sort((a, b) => a - b);
  const label = (g: string) => {
    const [layer, width, threads] = g.split('|');
    return `${LAYER_LABELS[layer!] ?? layer} ${layer === 'gss' ? 'E' : 'H'}=${width}, ${threads} thread${threads === '1' ? '' : 's'}`;
  };
  for (const part of ['layer', 'conv']) {
    const charts = block(part === 'layer' ? 'Whole layer: latency against length' : 'Long convolution alone (kernel folded): latency against length');
    for (const g of groups) {
      const series: Series[] = lowerings.map((lw) => ({
        name: lw,
        dashed: lw === 'torch-eager',
        points: Ls.flatMap((L) => {
          const r = at(g, part, lw, L);
          return r && num(r.ms) !== null ? [{ x: L, y: r.ms as number, label: `${lw}, L=${shortCount(L)}: ${ms(r.ms as number)}` }] : [];
        }),
      }));
      if (series.every((s) => s.points.length === 0)) continue;
      charts.push(lineChart({
        kind: `latency-${part}`, title: label(g),
        xLabel: 'sequence length L', yLabel: 'ms per pass (log)', xLog: true, yLog: true, series, yFormat: shortNumber,
      }));
    }
  }
  // Speed-ups: each lowering against dft (the convolution alone), and against PyTorch (the whole layer).
  const overDft = block('Speed-up over the dft lowering (convolution alone)'), overTorch = block('Speed-up over PyTorch eager (whole layer)');
  for (const g of groups) {
    const ratio = (part: string, base: string, lw: string) => Ls.flatMap((L) => {
      const b = at(g, part, base, L), r = at(g, part, lw, L);
      const bm = b ? num(b.ms) : null, rm = r ? num(r.ms) : null;
      return bm !== null && rm !== null && rm > 0 ? [{ x: L, y: bm / rm, label: `${lw} vs ${base}, L=${shortCount(L)}: ${times(bm / rm)}` }] : [];
    });
    const vsDft = lowerings.filter((lw) => lw !== 'dft' && lw !== 'torch-eager').map((lw) => ({ name: lw, points: ratio('conv', 'dft', lw) }));
    if (vsDft.some((s) => s.points.length > 0)) {
      overDft.push(lineChart({ kind: 'speedup-dft', title: label(g), xLabel: 'sequence length L', yLabel: 'dft ms ÷ ms (log)', xLog: true, yLog: true, series: vsDft, yFormat: times, rule: { y: 1, label: 'as fast as dft' } }));
    }
    const vsTorch = lowerings.filter((lw) => lw !== 'torch-eager').map((lw) => ({ name: lw, points: ratio('layer', 'torch-eager', lw) }));
    if (vsTorch.some((s) => s.points.length > 0)) {
      overTorch.push(lineChart({ kind: 'speedup-torch', title: label(g), xLabel: 'sequence length L', yLabel: 'PyTorch ms ÷ ms (log)', xLog: true, yLog: true, series: vsTorch, yFormat: times, rule: { y: 1, label: 'as fast as PyTorch' } }));
    }
  }
  // Node counts per lowering (the graphs do not depend on the thread count).
  const counted = rows.filter((r) => num(r.nodes) !== null && r.threads === rows[0]!.threads);
  const nodeCharts = block('Graph size: nodes per lowering');
  for (const part of ['layer', 'conv']) {
    const mine = counted.filter((r) => r.part === part);
    if (mine.length === 0) continue;
    // The graphs barely change with L: each layer and width at its longest length.
    const longest = Math.max(...mine.map((r) => r.L as number));
    const at = mine.filter((r) => r.L === longest);
    const cats = uniq(at.map((r) => `${LAYER_LABELS[r.layer as string] ?? r.layer} ${r.width}`));
    const names = uniq(at.map((r) => r.lowering as string));
    nodeCharts.push(barChart({
      kind: `nodes-${part}`, title: `${part === 'layer' ? 'Whole layer' : 'Convolution alone'}, L=${shortCount(longest)}`, yLabel: 'nodes', categories: cats,
      series: names.map((n) => ({ name: n, values: cats.map((c) => (at.find((r) => r.lowering === n && `${LAYER_LABELS[r.layer as string] ?? r.layer} ${r.width}` === c)?.nodes as number | undefined) ?? null) })),
    }));
  }
  const torch = isObj(section) ? str(section.torch) : null;
  const autos = isObj(section) && Array.isArray(section.auto) ? (section.auto as unknown[]).filter(isObj) : [];
  return {
    title: TITLES['conv-lowerings']!,
    lead: `Median latency of one fixed-length graph in onnxruntime-node (CPU) for every lowering — S4D and S4 DPLR with N=64 at width H, GSS with F=4E, H=E/4, N=512 at width E — the whole layer and its long convolution alone, beside PyTorch eager of the same layer (dashed; ${torch ? escapeHtml(torch) : 'not run on this machine'}). Both axes are logarithmic: a straight line is a power law, and parallel lines are a constant ratio.`,
    blocks: blocks.filter((b) => b.charts.length > 0),
    extra: autos.length ? table(autos, 'What --lowering auto picked') : undefined,
  };
}

function fftconvLowerings(section: unknown): Section | null {
  const rows = rowsWith(section, { L: 'number', variant: 'string', ms: 'number' });
  if (!rows) return null;
  const series = uniq(rows.map((r) => r.variant as string)).map((v) => ({
    name: v, points: rows.filter((r) => r.variant === v).map((r) => ({ x: r.L as number, y: r.ms as number, label: `${v}, L=${shortCount(r.L as number)}: ${ms(r.ms as number)}` })),
  }));
  const H = num(rows[0]!.H);
  return {
    title: TITLES['fftconv-lowerings']!,
    lead: `One long convolution${H ? ` over H=${H} channels` : ''}, kernel folded: the plain DFT graph, two real rows packed per complex DFT, and the four-step FFT as MatMuls.`,
    blocks: [{ charts: [lineChart({ kind: 'latency-fftconv', title: 'FFT convolution variants', xLabel: 'sequence length L', yLabel: 'ms per pass (log)', xLog: true, yLog: true, series })] }],
  };
}

function stepVsConv(section: unknown): Section | null {
  const rows = rowsWith(section, { positions: 'number', conv_ms: 'number', step_ms: 'number' });
  if (!rows) return null;
  const pt = (key: string, name: string) => rows.map((r) => ({ x: r.positions as number, y: r[key] as number, label: `${name} at ${r.positions} positions: ${ms(r[key] as number)} a token` }));
  const threads = isObj(section) ? num(section.threads) : null;
  return {
    title: TITLES['step-vs-conv']!,
    lead: `Per-token latency of generating with the gss-code model${threads ? ` (${threads} thread${threads > 1 ? 's' : ''})` : ''}: the step graph carries the layer states, re-running the convolution graph pays for the whole prefix every token.`,
    blocks: [{ charts: [
      lineChart({ kind: 'step-vs-conv', title: 'ms per generated token', xLabel: 'positions so far', yLabel: 'ms per token (log)', xLog: true, yLog: true, series: [{ name: 'conv re-run', points: pt('conv_ms', 'conv re-run') }, { name: 'step', points: pt('step_ms', 'step graph') }] }),
      lineChart({ kind: 'step-speedup', title: 'Step graph speed-up', xLabel: 'positions so far', yLabel: 'conv ms ÷ step ms (log)', xLog: true, yLog: true, yFormat: times, series: [{ name: 'step', points: rows.map((r) => ({ x: r.positions as number, y: (r.conv_ms as number) / (r.step_ms as number) })) }] }),
    ] }],
  };
}

function webVsNode(section: unknown): Section | null {
  const rows = rowsWith(section, { graph: 'string', positions: 'number', node_ms: 'number', wasm_ms: 'number' });
  if (!rows) return null;
  const cats = rows.map((r) => (r.graph === 'step' ? 'step (a token)' : `${r.graph} L=${r.positions}`));
  return {
    title: TITLES['web-vs-node']!,
    lead: 'The gss-code graphs in the browser\'s CPU backend (onnxruntime-web, wasm) beside native onnxruntime-node, one thread each.',
    blocks: [{ charts: [barChart({ kind: 'web-vs-node', title: 'Latency by runtime', yLabel: 'ms (log)', categories: cats, yLog: true, series: [{ name: 'node', values: rows.map((r) => r.node_ms as number) }, { name: 'wasm', values: rows.map((r) => r.wasm_ms as number) }] })] }],
  };
}

function serveLoad(section: unknown): Section | null {
  const rows = rowsWith(section, { threads: 'number', streams: 'number', tokens_per_s: 'number', p99_ms: 'number' });
  if (!rows) return null;
  const byThreads = uniq(rows.map((r) => r.threads as number));
  const series = (key: string) => byThreads.map((t) => ({ name: `${t} engine thread${t > 1 ? 's' : ''}`, points: rows.filter((r) => r.threads === t).map((r) => ({ x: r.streams as number, y: r[key] as number })) }));
  return {
    title: TITLES['serve-load']!,
    lead: 'Concurrent greedy streams of /v1/completions over loopback: aggregate tokens/s and the p99 gap between a stream\'s tokens.',
    blocks: [{ charts: [
      lineChart({ kind: 'serve-throughput', title: 'Aggregate tokens/s', xLabel: 'concurrent streams', yLabel: 'tokens/s', xLog: true, series: series('tokens_per_s'), xFormat: String }),
      lineChart({ kind: 'serve-latency', title: 'Per-token latency p99', xLabel: 'concurrent streams', yLabel: 'ms (log)', xLog: true, yLog: true, series: series('p99_ms'), xFormat: String, rule: { y: 25, label: 'target 25 ms' } }),
    ] }],
  };
}

function wholeModel(section: unknown): Section | null {
  const rows = rowsWith(section, { threads: 'number', ssmc_fixed_ms: 'number', ssmc_dynamic_ms: 'number', torch_ms: 'number|null', torch_cached_kernels_ms: 'number|null' });
  if (!rows || !isObj(section)) return null;
  const cats = rows.map((r) => `${r.threads} thread${(r.threads as number) > 1 ? 's' : ''}`);
  const values = (key: string) => rows.map((r) => num(r[key]));
  const params = num(section.params), fixed = num(section.compile_fixed_s), dynamic = num(section.compile_dynamic_s);
  const compile = fixed !== null && dynamic !== null ? ` Compile: ${shortNumber(fixed)} s at fixed length, ${shortNumber(dynamic)} s dynamic.` : '';
  return {
    title: TITLES['whole-model']!,
    lead: `${escapeHtml(str(section.model) ?? 'the model')}${params !== null ? `, ${shortCount(params)} parameters` : ''}, batch 1, L = ${num(section.L) ?? '?'}: ssmc's graph at a fixed length (kernels folded) and a dynamic one, beside PyTorch eager of the same model built by the official code (its kernels recomputed every forward, and cached).${compile} ${escapeHtml(str(section.torch) ?? '')}`,
    // Short series names: four legend entries fit the chart's width.
    blocks: [{ charts: [barChart({ kind: 'whole-model', title: 'One forward pass: ssmc (fixed, dynamic L) vs PyTorch eager', yLabel: 'ms (log)', categories: cats, yLog: true, yFormat: ms, series: [
      { name: 'fixed L', values: values('ssmc_fixed_ms') }, { name: 'dynamic L', values: values('ssmc_dynamic_ms') },
      { name: 'PyTorch', values: values('torch_ms') }, { name: 'PyTorch cached', values: values('torch_cached_kernels_ms') },
    ] })] }],
  };
}

const KNOWN: Record<string, (section: unknown) => Section | null> = {
  'conv-lowerings': convLowerings, 'fftconv-lowerings': fftconvLowerings, 'step-vs-conv': stepVsConv, 'web-vs-node': webVsNode, 'serve-load': serveLoad, 'whole-model': wholeModel,
};

function cell(v: unknown): string {
  if (v === null || v === undefined) return '<td class="na">—</td>';
  if (typeof v === 'number') return `<td class="n">${escapeHtml(Number.isInteger(v) ? String(v) : shortNumber(v))}</td>`;
  if (typeof v === 'string' || typeof v === 'boolean') return `<td>${escapeHtml(String(v))}</td>`;
  return `<td><code>${escapeHtml(JSON.stringify(v))}</code></td>`;
}

/** Rows of objects as a table: one column per key, in the order keys first appear. */
function table(rows: Row[], caption: string): string {
  const keys = uniq(rows.flatMap((r) => Object.keys(r)));
  return `<div class="table"><table><caption>${escapeHtml(caption)}</caption><thead><tr>${keys.map((k) => `<th>${escapeHtml(k)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${keys.map((k) => cell(r[k])).join('')}</tr>`).join('')}</tbody></table></div>`;
}

/** Any section as data: its rows as a table (wherever they sit), its other fields as a list. */
function genericData(section: unknown): string {
  const rows = Array.isArray(section) ? section : isObj(section) && Array.isArray(section.rows) ? section.rows : null;
  const parts: string[] = [];
  if (isObj(section)) {
    const scalars = Object.entries(section).filter(([k, v]) => k !== 'rows' && !(Array.isArray(v) && v.every(isObj) && v.length > 0));
    if (scalars.length) parts.push(`<dl class="fields">${scalars.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</dd>`).join('')}</dl>`);
    for (const [k, v] of Object.entries(section)) if (k !== 'rows' && Array.isArray(v) && v.length > 0 && v.every(isObj)) parts.push(table(v, k));
  }
  if (rows && rows.every(isObj)) parts.push(table(rows, 'rows'));
  else if (rows) parts.push(`<pre>${escapeHtml(JSON.stringify(rows, null, 2))}</pre>`);
  if (parts.length === 0) parts.push(`<pre>${escapeHtml(JSON.stringify(section, null, 2))}</pre>`);
  return parts.join('');
}

function sectionHtml(name: string, section: unknown): string {
  const known = KNOWN[name]?.(section) ?? null;
  const id = `bench-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  if (!known) {
    const why = KNOWN[name] ? 'Its data no longer has the shape this report draws; shown as data.' : 'No chart for this benchmark yet; its results as data.';
    return `<section id="${id}" class="bench generic" data-bench="${escapeHtml(name)}"><h2>${escapeHtml(TITLES[name] ?? name)} <code>${escapeHtml(name)}</code></h2><p class="lead">${why}</p>${genericData(section)}</section>`;
  }
  return `<section id="${id}" class="bench" data-bench="${escapeHtml(name)}"><h2>${escapeHtml(known.title)} <code>${escapeHtml(name)}</code></h2><p class="lead">${known.lead}</p>` +
    known.blocks.map((b) => `${b.heading ? `<h3>${escapeHtml(b.heading)}</h3>` : ''}<div class="charts">${b.charts.join('\n')}</div>`).join('') +
    `${known.extra ?? ''}<details><summary>Data</summary>${genericData(section)}</details></section>`;
}

function machineHtml(m: unknown, node: unknown): string {
  if (!isObj(m)) return `<p class="machine">Machine not recorded${typeof node === 'string' ? ` (Node ${escapeHtml(node)})` : ''}.</p>`;
  const items: [string, unknown][] = [['CPU', m.cpu], ['cores', m.cores], ['memory', num(m.memory_gib) !== null ? `${m.memory_gib} GiB` : m.memory_gib], ['OS', m.os], ['arch', m.arch], ['Node', m.node ?? node], ['onnxruntime-node', m.onnxruntime], ['load average at start', m.load_avg]];
  return `<dl class="machine">${items.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(String(v))}</dd></div>`).join('')}</dl>`;
}

const PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1d2330;background:#f6f7f9}
header{background:#1d2b44;color:#fff;padding:24px 32px}
header h1{margin:0 0 4px;font-size:24px}header p{margin:0;opacity:.85}
main{max-width:1320px;margin:0 auto;padding:12px 24px 48px}
nav.toc{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0}
nav.toc a{background:#fff;border:1px solid #d9dde5;border-radius:999px;padding:3px 12px;color:#1d2b44;text-decoration:none;font-size:13px}
section.bench{background:#fff;border:1px solid #e3e6ec;border-radius:12px;padding:16px 20px;margin:18px 0}
section.bench h2{margin:0 0 4px;font-size:19px}section.bench h2 code{font-size:12px;color:#6b7385;font-weight:400;margin-left:6px}
.lead{margin:0 0 12px;color:#4b5568;max-width:900px}
section.bench h3{font-size:14px;margin:18px 0 8px;color:#2e3a50}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(360px,100%),1fr));gap:12px}
@media (max-width:600px){main{padding:8px 10px 32px}section.bench{padding:12px}header{padding:18px 14px}}
dl.machine{display:flex;flex-wrap:wrap;gap:6px 24px;margin:12px 0 0;font-size:13px}
dl.machine div{display:flex;gap:6px}dl.machine dt{color:#9fb0cc}dl.machine dd{margin:0}
header dl.machine dt{color:#9fb0cc}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:13px}dl.fields dt{color:#6b7385}dl.fields dd{margin:0;word-break:break-word}
.table{overflow-x:auto;margin:10px 0}
table{border-collapse:collapse;font-size:12.5px}caption{text-align:left;font-weight:600;padding:4px 0;color:#4b5568}
th,td{border-bottom:1px solid #eef0f4;padding:3px 10px;text-align:left;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#9aa3b5}
details{margin-top:10px}summary{cursor:pointer;color:#1d2b44;font-weight:600}
pre{background:#f6f7f9;padding:8px;overflow:auto;font-size:12px}
footer{color:#6b7385;font-size:13px;text-align:center;padding:24px}
${CHART_CSS}`;

/** The whole report page for a bench-results.json object (as `npm run bench` writes it). */
export function benchReportHtml(all: unknown): string {
  const root = isObj(all) ? all : {};
  const results = isObj(root.results) ? root.results : {};
  const date = str(root.date);
  const when = date && !Number.isNaN(Date.parse(date)) ? new Date(date).toUTCString().replace(' GMT', ' UTC') : 'an unknown date';
  const names = Object.keys(results);
  const sections = names.map((n) => sectionHtml(n, results[n]));
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>ssmc benchmarks — ${escapeHtml(date ?? 'report')}</title><style>${PAGE_CSS}</style></head><body>`,
    `<header><h1>ssmc benchmarks</h1><p>Run on ${escapeHtml(when)}${root.quick === true ? ' — a --quick run (fewer sizes)' : ''}. Made from bench-results.json, the figures' source of truth; the machines are noisy, so read ratios within a chart.</p>${machineHtml(root.machine, root.node)}</header>`,
    '<main>',
    names.length ? `<nav class="toc">${names.map((n) => `<a href="#bench-${escapeHtml(n.replace(/[^A-Za-z0-9_-]/g, '-'))}">${escapeHtml(TITLES[n] ?? n)}</a>`).join('')}</nav>` : '<p>No benchmark results in this file.</p>',
    ...sections,
    '</main><footer>ssmc bench report · inline SVG, no network · regenerate with <code>npm run bench:report</code></footer></body></html>',
  ].join('\n');
}

/** `node dist/bench/report.js [results.json] [-o report.html]`: the page again from a saved JSON. */
function main(argv: string[]): void {
  let input = 'bench-results.json', output = 'bench-report.html';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-o' || a === '--out') output = argv[++i] ?? output;
    else if (a.startsWith('-')) throw new Error(`unknown option '${a}'; usage: node dist/bench/report.js [bench-results.json] [-o bench-report.html]`);
    else input = a;
  }
  const all = JSON.parse(readFileSync(input, 'utf8')) as unknown;
  writeFileSync(output, benchReportHtml(all));
  console.log(`wrote ${output} from ${input}`);
}

if (isMain(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
