import { modelFromBytes, OnnxFormatError, UserError } from 'ssmc';
import { printModel } from 'ssmc/ir';
import { formatReport, graphHtml, human, inspectModel, type InspectReport, symbolicDims } from 'ssmc/inspect';

/**
 * The demo's inspector view, DOM-free so it runs (and is tested) in Node too: the library's
 * inspection report (src/inspect/report.ts) as text, its drawing of the graph (src/inspect/html.ts)
 * as a page for an <iframe srcdoc>, and the IR text.
 */
export interface Inspection {
  /** A line with the file's name and size, then the report (SSM layers and cost estimate included) without its per-value table. */
  summary: string;
  /** The report's "values (inferred types)" table: one line per value of every graph, so it is shown folded. */
  values: string;
  /** One line for the status bar: SSM layers, parameters and FLOPs. */
  highlights: string;
  /** The model's symbolic dims, for the dims field; those still without a value leave the FLOP estimate partial. */
  symbols: string[];
  unresolved: string[];
  /** The IR text (ir/printer.ts), cut to its first lines for big models. */
  irText: string;
  /** graphHtml's self-contained page: function bodies and subgraphs expand, a click on a box shows its attributes and shapes. */
  graphPage: string;
  report: InspectReport;
}

/** How many lines of the IR text to show (big models print megabytes). */
const IR_LINES = 400;

/** The field whose text parseDimsText reads, named in its errors. */
export const DIMS_FIELD = 'symbolic dims';

/**
 * The dims field, 'L=4096, batch=1' (commas or spaces between entries) → { L: 4096, batch: 1 }.
 * Names must be symbolic dims of the model: a typo would silently leave the estimate symbolic.
 */
export function parseDimsText(text: string, symbols: readonly string[]): Record<string, number> {
  const dims: Record<string, number> = {};
  const known = new Set(symbols);
  for (const entry of text.split(/[\s,]+/).filter((s) => s.length > 0)) {
    const m = /^([^=]+)=(\d+)$/.exec(entry);
    if (!m) throw new UserError(`${DIMS_FIELD}: '${entry}' must be NAME=N with N a non-negative integer, e.g. L=4096`);
    const name = m[1]!, value = m[2]!;
    if (!known.has(name)) {
      throw new UserError(`${DIMS_FIELD}: the model has no symbolic dim '${name}'; its symbolic dims are: ${[...known].sort().join(', ') || 'none'}`);
    }
    if (Object.hasOwn(dims, name)) throw new UserError(`${DIMS_FIELD}: '${name}' is given twice; give each dim once`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new UserError(`${DIMS_FIELD}: ${name}=${value} is too large; give at most ${Number.MAX_SAFE_INTEGER}`);
    dims[name] = n;
  }
  return dims;
}

function highlightsOf(r: InspectReport): string {
  const layers = r.ssm.layers.length
    ? `${r.ssm.layers.length} SSM layers${r.ssm.arch ? ` (${r.ssm.arch})` : ''}`
    : r.ssm.madeBySsmc ? 'made by ssmc, no SSM layer list' : 'no SSM layers recognised';
  const flops = `${human(r.cost.flops)} FLOPs${r.cost.complete ? '' : ' + unknown'}`;
  const where = Object.keys(r.cost.dims).length ? ` for ${Object.entries(r.cost.dims).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
  const symbolic = r.unresolved.length ? ` (${r.unresolved.join(', ')} still symbolic)` : '';
  return `${layers}, ${human(r.parameters)} parameters, ${flops}${where}${symbolic}`;
}

/**
 * Inspect the bytes of an .onnx file. `dimsText` is the dims field's text (see parseDimsText).
 * Malformed files throw OnnxFormatError, bad dims UserError; describeInspectError words both.
 */
export function inspectOnnx(bytes: Uint8Array, name: string, dimsText = ''): Inspection {
  const model = modelFromBytes(bytes);
  const dims = parseDimsText(dimsText, symbolicDims(model));
  const report = inspectModel(model, { dims });
  // The per-value table is the report's last section: the report without values is a prefix of the whole one.
  const overview = formatReport({ ...report, values: [] });
  const whole = formatReport(report);
  const values = whole.startsWith(overview) ? whole.slice(overview.length).replace(/^\n+/, '') : '';
  const ir = printModel(model).split('\n');
  const irText = ir.length > IR_LINES ? `${ir.slice(0, IR_LINES).join('\n')}\n… (${ir.length - IR_LINES} more lines)` : ir.join('\n');
  return {
    summary: `${name}: ${(bytes.byteLength / 1e6).toFixed(2)} MB\n${values ? overview : whole}`,
    values,
    highlights: highlightsOf(report),
    symbols: report.symbols,
    unresolved: report.unresolved,
    irText,
    graphPage: graphHtml(model, name, { dims }),
    report,
  };
}

export function describeInspectError(e: unknown): string {
  if (e instanceof UserError || e instanceof OnnxFormatError) return e.message;
  return `cannot inspect this file: ${e instanceof Error ? e.message : String(e)}`;
}
