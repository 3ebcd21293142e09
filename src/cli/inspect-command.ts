import { modelFromBytes } from '../../export/onnx-read.js';
import type { Model } from '../../ir/model.js';
import { printModel } from '../../ir/printer.js';
import { UserError } from '../errors.js';
import { checkOutputPath, readInput, writeAtomic } from '../files.js';
import { graphDot } from '../inspect/dot.js';
import { graphHtml } from '../inspect/html.js';
import { formatReport, inspectModel } from '../inspect/report.js';
import { symbolicDims } from '../inspect/shapes.js';
import { flag, parseArgv, type Parsed } from './argv.js';

const USAGE = 'ssmc inspect <model.onnx> [--json] [--dim NAME=N]... [--graph] [--dot out.dot] [--html out.html]';

/**
 * `--dim L=4096 --dim batch=1` → { L: 4096, batch: 1 }. Names must be symbolic dims of the model
 * (a typo would silently leave the estimate symbolic otherwise).
 */
export function parseDims(p: Parsed, models: Model[]): Record<string, number> {
  const known = new Set(models.flatMap((m) => symbolicDims(m)));
  const dims: Record<string, number> = {};
  for (const text of p.flags.get('dim') ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(text);
    if (!m) throw new UserError(`--dim '${text}' must be NAME=N with N a non-negative integer, e.g. --dim L=4096`);
    const [, name, value] = m;
    if (!known.has(name!)) {
      throw new UserError(`--dim ${name}: the model has no symbolic dim '${name}'; its symbolic dims are: ${[...known].sort().join(', ') || 'none'}`);
    }
    if (Object.hasOwn(dims, name!)) throw new UserError(`--dim ${name} is given twice`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new UserError(`--dim ${name}=${value} is too large`);
    dims[name!] = n;
  }
  return dims;
}

export async function inspectCommand(argv: string[]): Promise<void> {
  const p = parseArgv('inspect', argv, {
    json: { value: false },
    dim: { value: true, repeat: true },
    graph: { value: false },
    dot: { value: true },
    html: { value: true },
  });
  if (p.positionals.length !== 1) throw new UserError(`give exactly one model: ${USAGE}`);
  if (flag(p, 'json') && flag(p, 'graph')) throw new UserError('--json and --graph both print to stdout; give one of them');
  const path = p.positionals[0]!;
  const dotPath = flag(p, 'dot'), htmlPath = flag(p, 'html');
  for (const out of [dotPath, htmlPath]) if (out) checkOutputPath(out, out === dotPath ? '--dot' : '--html', [path]);
  const model = modelFromBytes(readInput(path, 'model'));
  const dims = parseDims(p, [model]);
  // Everything is computed before anything is written: a failure leaves no file behind, and a
  // report on stdout followed by a failed write would look like success.
  const inspected = flag(p, 'graph') ? null : inspectModel(model, { dims });
  const text = inspected ? formatReport(inspected) : '';
  const report = flag(p, 'graph') ? printModel(model) : flag(p, 'json') ? JSON.stringify(inspected, null, 2) : text;
  const dot = dotPath ? graphDot(model) : null;
  // The page draws the graph first, the text report below it.
  const html = htmlPath ? graphHtml(model, path.split(/[\\/]/).pop() ?? path, { dims, report: text || formatReport(inspectModel(model, { dims })) }) : null;
  if (dotPath) await writeAtomic(dotPath, dot!, [path]);
  if (htmlPath) await writeAtomic(htmlPath, html!, [path]);
  console.log(report);
  // Notes go to stderr so that --json and --graph output stay machine-readable.
  if (dotPath) console.error(`wrote ${dotPath}`);
  if (htmlPath) console.error(`wrote ${htmlPath}`);
}
