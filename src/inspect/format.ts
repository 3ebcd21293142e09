import type { InspectReport } from './report-types.js';

/** 1234567 → '1.23 M'; small numbers stay exact. */
export function human(n: number, unit = ''): string {
  const abs = Math.abs(n);
  const scaled = (d: number, p: string) => `${(n / d).toFixed(n / d >= 100 ? 0 : n / d >= 10 ? 1 : 2)} ${p}${unit}`;
  if (abs >= 1e12) return scaled(1e12, 'T');
  if (abs >= 1e9) return scaled(1e9, 'G');
  if (abs >= 1e6) return scaled(1e6, 'M');
  if (abs >= 1e4) return scaled(1e3, 'k');
  return `${n}${unit ? ` ${unit}` : ''}`;
}

export function bytes(n: number | null): string {
  if (n === null) return '?';
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(2)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Columns padded to their widest cell. */
export function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

/**
 * out.push(...lines) passes every line as an argument: a file with 100,000 values (2^16 If
 * branches) overflows the call stack that way.
 */
function append(out: string[], lines: readonly string[]): void {
  for (const l of lines) out.push(l);
}

function section(title: string, lines: string[]): string[] {
  return lines.length ? ['', `${title}:`, ...lines] : [];
}

/** The plain-text form of an inspection report. */
export function formatReportText(r: InspectReport): string {
  const out: string[] = [];
  out.push(`ir_version ${r.irVersion}; producer ${r.producer.name || '?'} ${r.producer.version}`.trimEnd());
  out.push(`opsets: ${r.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`);
  if (r.domain || r.modelVersion) out.push(`domain '${r.domain}', model_version ${r.modelVersion}`);
  if (r.docString) out.push(`doc: ${r.docString}`);
  append(out, section('metadata', r.metadata.map((m) => `  ${m.key} = ${m.value.length > 160 ? `${m.value.slice(0, 160)}…` : m.value}`)));
  append(out, section('inputs', table(r.inputs.map((v) => [v.name, v.type]))));
  append(out, section('outputs', table(r.outputs.map((v) => [v.name, v.type]))));
  const init = r.initializers;
  const params = r.parametersFrom === 'ssmc.parameters'
    ? `parameters: ${human(r.parameters)} (the checkpoint's tensors, from ssmc.parameters; the initializers hold ${human(r.initializerElements)} elements with the folded constants)`
    : `parameters: ${human(r.parameters)} (elements of the floating-point initializers)`;
  out.push('', `initializers: ${init.count} (${bytes(init.bytes)}); ${params}`);
  append(out, table(init.byDtype.map((d) => [d.dtype, `${d.count} tensors`, `${human(d.elements)} elements`, bytes(d.bytes)])));
  if (init.largest.length) out.push('  largest:', ...table(init.largest.map((l) => [l.name, l.type, bytes(l.bytes)]), '    '));
  if (init.external.length) {
    out.push('  external data:', ...table(init.external.map((e) => [e.name, e.location, `offset ${e.offset}`, e.length === null ? 'to end' : `${e.length} bytes`]), '    '));
  }
  out.push('', `nodes: ${r.nodes} in the main graph, ${r.allNodes} in all graphs`);
  for (const d of r.ops) out.push(`  ${d.domain}: ${d.ops.map((o) => `${o.op}×${o.count}`).join(' ')}`);
  for (const f of r.functions) {
    out.push('', `function ${f.domain}.${f.name}(${f.inputs.join(', ')}) -> (${f.outputs.join(', ')})${f.attributes.length ? ` attributes <${f.attributes.join(', ')}>` : ''}: ${f.nodes} nodes`);
    append(out, f.body.split('\n').map((l) => `  ${l}`));
  }
  append(out, section('subgraphs', r.subgraphs.map((s) =>
    `  ${s.path}: ${s.op} '${s.node}' ${s.attribute}, (${s.inputs.map((v) => `${v.name} ${v.type}`).join(', ')}) -> (${s.outputs.map((v) => `${v.name} ${v.type}`).join(', ')}), ${s.nodes} nodes`)));
  append(out, formatSsm(r));
  append(out, formatCost(r));
  append(out, section('values (inferred types)', table(r.values.map((v) => [v.graph, v.name, v.type, v.from]))));
  return out.join('\n');
}

function formatSsm(r: InspectReport): string[] {
  const s = r.ssm;
  if (!s.madeBySsmc && s.layers.length === 0) return [];
  const head = [`  made by ssmc: ${s.madeBySsmc ? 'yes' : 'no'}${s.arch ? `; arch ${s.arch}` : ''}${s.mode ? `; mode ${s.mode}` : ''}${s.seqLen ? `; seq_len ${s.seqLen}` : ''}${s.precision ? `; precision ${s.precision}` : ''}`];
  if (s.official) head.push(`  official module: ${s.official}`);
  const rows = s.layers.map((l) => [
    l.name, l.kernel ?? '?', `lowering ${l.lowering ?? '-'}`, `H=${l.H ?? '?'}`, `N=${l.N ?? '?'}`, `channels=${l.channels ?? '?'}`,
    l.bidirectional ? 'bidirectional' : '', l.state ? `state ${l.state.input ?? '-'} → ${l.state.output} [${l.state.shape.join(',')}]` : '',
  ]);
  const lines = [...head, ...(rows.length ? [`  layers (from ${s.source}):`, ...table(rows, '    ')] : ['  no layer list (no ssmc.layers metadata, no LongConv nodes)'])];
  for (const st of s.states) lines.push(`  state ${st.input ?? '-'} → ${st.output} [${st.shape.join(',')}]`);
  for (const p of s.problems) lines.push(`  note: ${p}`);
  return section('SSM layers', lines);
}

function formatCost(r: InspectReport): string[] {
  const c = r.cost;
  const dims = Object.entries(c.dims).map(([k, v]) => `${k}=${v}`).join(' ');
  const lines = [
    `  for ${dims || 'the static dims'}${r.unresolved.length ? `; still symbolic: ${r.unresolved.join(', ')} (give --dim NAME=N)` : ''}`,
    `  FLOPs: ${human(c.flops)}${c.complete ? '' : ` + unknown (${c.unknownOps.map((u) => `${u.op}×${u.count}`).join(' ')})`}`,
    `  memory: weights ${bytes(c.memory.weightBytes)}, inputs ${bytes(c.memory.inputBytes)}, outputs ${bytes(c.memory.outputBytes)}, ` +
      `intermediates ${bytes(c.memory.activationBytes)} in all, peak live ${bytes(c.memory.peakLiveBytes)}` +
      (c.memory.unknownSizes ? ` (${c.memory.unknownSizes} values of unknown size left out)` : ''),
    '  per op type:',
    ...table(c.byOp.map((o) => [o.op, `×${o.count}`, o.unknown ? `${human(o.flops)} FLOPs + ${o.unknown} unknown` : `${human(o.flops)} FLOPs`, `out ${bytes(o.outputBytes)}`]), '    '),
    '  per layer:',
    ...table(c.byLayer.map((l) => [l.layer, `${l.nodes} nodes`, `${human(l.flops)} FLOPs${l.unknownNodes ? ` + ${l.unknownNodes} unknown` : ''}`, `${human(l.parameters)} params`, bytes(l.parameterBytes)]), '    '),
    ...c.notes.map((n) => `  note: ${n}`),
  ];
  return section('cost estimate', lines);
}
