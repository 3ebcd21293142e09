/**
 * The accuracy table of `--precision` (what test/precision checks, as numbers): every golden case
 * compiled at fp32, fp16 and bf16 for onnxruntime's CPU provider and run there, and at fp16 for a
 * runtime with float16 kernels (its dense nodes in float16) run on the oracle of such a device —
 * the reference interpreter rounding every op's result to its dtype — each in conv (fixed and
 * dynamic length), step and prefill form, against the official float64 output. A cell is the
 * largest error over the modes, max|y − output_f64| / max(1, max|output_f64|), in units of the
 * format's unit roundoff u (2^-11 float16, 2^-8 bfloat16), with the tolerance the tests hold it
 * to. `node dist/bench/precision-accuracy.js` (also `npm run bench -- --only precision-accuracy`).
 */
import { interpreterRunner, measureAccuracy, ortRunner, precisionTolerance, TOLERANCES, type AccuracyRow } from 'ssmc';
import { FORMATS, ORT_CPU, type Precision } from 'ssmc/passes';
import { nodeBackend } from 'ssmc/runtime';
// The golden cases as the tests read them (../shared/golden), and the float16 device they plan for.
import { FLOAT16_DEVICE, GOLDEN_CASES, goldenAccuracyCase } from '../test/helpers/precision.js';
import { goldenCase } from '../test/helpers/golden.js';
import { printWhenMain } from './standalone.js';

interface Column {
  label: string;
  precision: Precision;
  /** The graph computes in float16 (planned for FLOAT16_DEVICE, run on the rounding interpreter). */
  compute16: boolean;
}

const COLUMNS: Column[] = [
  { label: 'fp32', precision: 'fp32', compute16: false },
  { label: 'fp16', precision: 'fp16', compute16: false },
  { label: 'bf16', precision: 'bf16', compute16: false },
  { label: 'fp16, float16 compute', precision: 'fp16', compute16: true },
];

export interface PrecisionAccuracyCell {
  case: string;
  official: string;
  precision: string;
  /** The worst mode and its error relative to max(1, peak); in u for 16-bit precisions. */
  worst_mode: string;
  rel: number;
  units: number | null;
  tolerance: number;
  ok: boolean;
  modes: { mode: string; rel: number | null; skipped: string | null }[];
}

const relTo = (c: { maxAbs: number; peak: number }) => c.maxAbs / Math.max(1, c.peak);
/** A mode's error: its output's, or a prefill's final states' when larger (each relative to its own peak, as the tests bound them). */
const relOf = (r: AccuracyRow) => Math.max(relTo(r.output!), r.states ? relTo(r.states) : 0);

export async function benchPrecisionAccuracy(): Promise<{ table: string; json: unknown }> {
  const cells: PrecisionAccuracyCell[] = [];
  for (const name of GOLDEN_CASES) {
    const c = goldenAccuracyCase(name);
    const official = goldenCase(name).official;
    for (const col of COLUMNS) {
      const rows = col.compute16
        ? await measureAccuracy(c, col.precision, { runner: interpreterRunner({ roundResults: true }), compile: { runtime: FLOAT16_DEVICE.id, targets: [ORT_CPU, FLOAT16_DEVICE] } })
        : await measureAccuracy(c, col.precision, { runner: ortRunner(nodeBackend) });
      const ran = rows.filter((r) => !r.skipped);
      const worst = ran.reduce((a, b) => (relOf(b) > relOf(a) ? b : a));
      const rel = relOf(worst);
      const tolerance = precisionTolerance(col.precision, col.compute16);
      cells.push({
        case: name, official: `${official.repo.replace(/^https:\/\/github.com\//, '')} ${official.class}`, precision: col.label,
        worst_mode: worst.mode, rel, units: col.precision === 'fp32' ? null : rel / FORMATS[col.precision].unitRoundoff,
        tolerance, ok: ran.every((r) => r.output!.ok && (r.states?.ok ?? true)),
        modes: rows.map((r) => ({ mode: r.mode, rel: r.skipped ? null : relOf(r), skipped: r.skipped })),
      });
    }
  }
  const cell = (x: PrecisionAccuracyCell) => `${x.units === null ? x.rel.toExponential(1) : `${x.units.toFixed(2)} u`}${x.ok ? '' : ' FAIL'}`;
  const tol = (col: Column) => {
    const t = precisionTolerance(col.precision, col.compute16);
    return col.precision === 'fp32' ? `≤ ${t}` : `≤ ${Math.round((t - TOLERANCES.REL_TO_PEAK) / FORMATS[col.precision].unitRoundoff)} u + 1e-4`;
  };
  const lines = [
    'worst mode of conv (fixed, dynamic length), step and prefill (output and final states); max|y − output_f64| / max(1, max|output_f64|); u = 2^-11 (fp16), 2^-8 (bf16)',
    `| case | official | ${COLUMNS.map((c) => c.label).join(' | ')} |`,
    `|---|---|${COLUMNS.map(() => '---:').join('|')}|`,
    `| tolerance (tests) | | ${COLUMNS.map(tol).join(' | ')} |`,
    ...GOLDEN_CASES.map((name) => {
      const mine = cells.filter((x) => x.case === name);
      return `| ${name} | ${mine[0]!.official} | ${mine.map(cell).join(' | ')} |`;
    }),
  ];
  return { table: lines.join('\n'), json: { bench: 'precision-accuracy', cells } };
}

printWhenMain(import.meta.url, () => benchPrecisionAccuracy());
