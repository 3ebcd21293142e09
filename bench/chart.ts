/**
 * Small SVG charts for the benchmark report: line charts on log or linear axes and grouped bars,
 * as markup strings (no library, no script, no network), with a <title> on every point for the
 * exact figure on hover. Each series is one `<g class="series" data-series="…">`, so a page (and
 * its test) can tell which series a chart drew.
 */

export interface Point {
  x: number;
  y: number;
  /** The hover text; default "<series>: x, y". */
  label?: string;
}

export interface Series {
  name: string;
  points: Point[];
  /** Drawn dashed (a reference, such as PyTorch eager). */
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  series: Series[];
  /** Where the x ticks go (default: every x of the data); and how they read. */
  xTicks?: number[];
  xFormat?: (x: number) => string;
  yFormat?: (y: number) => string;
  /** A horizontal line (a ratio of 1, a target). */
  rule?: { y: number; label: string };
  /** Marks the chart for the page and its tests: data-chart="…". */
  kind: string;
}

const W = 400, H = 280, PAD = { left: 58, right: 12, top: 30, bottom: 78 };

/** Colours that stay the same for a name across every chart of the page. */
const NAMED: Record<string, string> = {
  dft: '#d1495b', 'dft-packed': '#b5651d', fourstep: '#edae49', chunked: '#00798c', direct: '#7b5ea7',
  'torch-eager': '#30343f', step: '#00798c', 'conv re-run': '#d1495b', node: '#00798c', wasm: '#edae49', webgpu: '#7b5ea7',
};
const PALETTE = ['#00798c', '#d1495b', '#edae49', '#7b5ea7', '#66a182', '#2e4057', '#8d96a3', '#b5651d'];

export function colourOf(name: string, index: number): string {
  return NAMED[name] ?? PALETTE[index % PALETTE.length]!;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** 1024 → '1K', 16384 → '16K', 1048576 → '1M'; other numbers as they are. */
export function shortCount(x: number): string {
  if (x >= 2 ** 20 && x % 2 ** 20 === 0) return `${x / 2 ** 20}M`;
  if (x >= 1024 && x % 1024 === 0) return `${x / 1024}K`;
  return String(x);
}

/** 0.0123 → '0.012', 12.3 → '12.3', 1234 → '1234'. */
export function shortNumber(y: number): string {
  if (y === 0) return '0';
  const a = Math.abs(y);
  if (a >= 100) return y.toFixed(0);
  if (a >= 10) return y.toFixed(1).replace(/\.0$/, '');
  if (a >= 1) return y.toFixed(2).replace(/\.?0+$/, '');
  return y.toPrecision(2);
}

interface Axis {
  map(v: number): number;
  ticks: number[];
}

function axis(values: number[], log: boolean, from: number, to: number, ticks?: number[]): Axis {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (log) {
    lo = Math.log10(lo);
    hi = Math.log10(hi);
  }
  if (lo === hi) {
    lo -= log ? 0.5 : Math.abs(lo) * 0.5 || 1;
    hi += log ? 0.5 : Math.abs(hi) * 0.5 || 1;
  }
  const span = hi - lo;
  lo -= span * 0.06;
  hi += span * 0.06;
  if (!log && Math.min(...values) >= 0) lo = Math.min(lo, 0);
  const map = (v: number) => from + ((log ? Math.log10(v) : v) - lo) / (hi - lo) * (to - from);
  return { map, ticks: ticks ?? niceTicks(lo, hi, log) };
}

/** Ticks on 1-2-5 steps (log: each decade, and 2 and 5 within it when the range is under two decades). */
function niceTicks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    const steps = hi - lo < 2 ? [1, 2, 5] : [1];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) for (const m of steps) {
      const v = m * 10 ** e;
      if (Math.log10(v) >= lo && Math.log10(v) <= hi) out.push(v);
    }
    return out;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** A line chart as an <svg>; an empty chart says so instead of drawing axes over nothing. */
export function lineChart(c: LineChart): string {
  const series = c.series.map((s) => ({ ...s, points: s.points.filter((p) => Number.isFinite(p.y) && (!c.yLog || p.y > 0) && (!c.xLog || p.x > 0)) }))
    .filter((s) => s.points.length > 0);
  const head = `<svg class="chart" data-chart="${escapeHtml(c.kind)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(c.title)}" xmlns="http://www.w3.org/2000/svg">`;
  const title = `<text class="ctitle" x="12" y="18">${escapeHtml(c.title)}</text>`;
  if (series.length === 0) return `${head}${title}<text class="empty" x="${W / 2}" y="${H / 2}">no timed points</text></svg>`;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).concat(c.rule ? [c.rule.y] : []);
  const x = axis(xs, c.xLog ?? false, PAD.left, W - PAD.right, c.xTicks ?? [...new Set(xs)].sort((a, b) => a - b));
  const y = axis(ys, c.yLog ?? false, H - PAD.bottom, PAD.top);
  const xf = c.xFormat ?? shortCount, yf = c.yFormat ?? shortNumber;
  const parts: string[] = [head, title];
  for (const t of y.ticks) {
    const py = y.map(t).toFixed(1);
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${py}" y2="${py}"/><text class="ytick" x="${PAD.left - 6}" y="${py}">${escapeHtml(yf(t))}</text>`);
  }
  for (const t of x.ticks) {
    const px = x.map(t).toFixed(1);
    parts.push(`<line class="tick" x1="${px}" x2="${px}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom + 4}"/><text class="xtick" x="${px}" y="${H - PAD.bottom + 16}">${escapeHtml(xf(t))}</text>`);
  }
  parts.push(`<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}"/>`);
  parts.push(`<text class="xlabel" x="${(PAD.left + W - PAD.right) / 2}" y="${H - PAD.bottom + 32}">${escapeHtml(c.xLabel)}</text>`);
  parts.push(`<text class="ylabel" transform="translate(14 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)">${escapeHtml(c.yLabel)}</text>`);
  if (c.rule) {
    const py = y.map(c.rule.y).toFixed(1);
    parts.push(`<line class="rule" x1="${PAD.left}" x2="${W - PAD.right}" y1="${py}" y2="${py}"/><text class="rulelabel" x="${W - PAD.right - 2}" y="${(+py - 4).toFixed(1)}">${escapeHtml(c.rule.label)}</text>`);
  }
  series.forEach((s, i) => {
    const colour = colourOf(s.name, i);
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const d = pts.map((p, k) => `${k === 0 ? 'M' : 'L'}${x.map(p.x).toFixed(1)} ${y.map(p.y).toFixed(1)}`).join(' ');
    const dots = pts.map((p) => `<circle cx="${x.map(p.x).toFixed(1)}" cy="${y.map(p.y).toFixed(1)}" r="3.5"><title>${escapeHtml(p.label ?? `${s.name}: ${xf(p.x)}, ${yf(p.y)}`)}</title></circle>`).join('');
    parts.push(`<g class="series" data-series="${escapeHtml(s.name)}" style="--c:${colour}"><path d="${d}"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>${dots}</g>`);
  });
  // The legend under the axis label, in two rows when the names need them.
  let lx = PAD.left, ly = H - 24;
  for (const [i, s] of series.entries()) {
    const w = 22 + 6.2 * s.name.length;
    if (lx + w > W - PAD.right && lx > PAD.left) {
      lx = PAD.left;
      ly += 15;
    }
    parts.push(`<g class="legend" style="--c:${colourOf(s.name, i)}"><line x1="${lx}" x2="${lx + 14}" y1="${ly - 4}" y2="${ly - 4}"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/><text x="${lx + 18}" y="${ly}">${escapeHtml(s.name)}</text></g>`);
    lx += w + 8;
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface BarChart {
  title: string;
  yLabel: string;
  categories: string[];
  /** One value per category (null: no bar). */
  series: { name: string; values: (number | null)[] }[];
  yLog?: boolean;
  yFormat?: (y: number) => string;
  kind: string;
}

/** Grouped vertical bars, one group per category, one bar per series. */
export function barChart(c: BarChart): string {
  const vals = c.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v) && (!c.yLog || v > 0)));
  const head = `<svg class="chart" data-chart="${escapeHtml(c.kind)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(c.title)}" xmlns="http://www.w3.org/2000/svg">`;
  const title = `<text class="ctitle" x="12" y="18">${escapeHtml(c.title)}</text>`;
  if (vals.length === 0) return `${head}${title}<text class="empty" x="${W / 2}" y="${H / 2}">no values</text></svg>`;
  const y = axis(c.yLog ? vals : [0, ...vals], c.yLog ?? false, H - PAD.bottom, PAD.top);
  const yf = c.yFormat ?? shortNumber;
  const parts: string[] = [head, title];
  for (const t of y.ticks) {
    const py = y.map(t).toFixed(1);
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${py}" y2="${py}"/><text class="ytick" x="${PAD.left - 6}" y="${py}">${escapeHtml(yf(t))}</text>`);
  }
  parts.push(`<text class="ylabel" transform="translate(14 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)">${escapeHtml(c.yLabel)}</text>`);
  const groupW = (W - PAD.left - PAD.right) / c.categories.length;
  const barW = Math.max(3, Math.min(28, (groupW - 10) / c.series.length));
  const base = c.yLog ? H - PAD.bottom : y.map(0);
  c.categories.forEach((cat, k) => {
    const cx = PAD.left + groupW * (k + 0.5);
    parts.push(`<text class="xtick" x="${cx.toFixed(1)}" y="${H - PAD.bottom + 16}">${escapeHtml(cat)}</text>`);
  });
  c.series.forEach((s, i) => {
    const bars = s.values.map((v, k) => {
      if (v === null || !Number.isFinite(v) || (c.yLog && v <= 0)) return '';
      const x0 = PAD.left + groupW * k + (groupW - barW * c.series.length) / 2 + barW * i;
      const top = y.map(v);
      return `<rect x="${x0.toFixed(1)}" y="${Math.min(top, base).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${Math.abs(base - top).toFixed(1)}"><title>${escapeHtml(`${s.name}, ${c.categories[k]}: ${yf(v)}`)}</title></rect>`;
    }).join('');
    parts.push(`<g class="series" data-series="${escapeHtml(s.name)}" style="--c:${colourOf(s.name, i)}">${bars}</g>`);
  });
  let lx = PAD.left;
  for (const [i, s] of c.series.entries()) {
    parts.push(`<g class="legend" style="--c:${colourOf(s.name, i)}"><rect x="${lx}" y="${H - 33}" width="12" height="10"/><text x="${lx + 16}" y="${H - 24}">${escapeHtml(s.name)}</text></g>`);
    lx += 24 + 6.2 * s.name.length;
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The charts' look, for the page's <style>: series colours come from each group's --c. */
export const CHART_CSS = `
svg.chart{background:#fff;border:1px solid #e3e6ec;border-radius:8px;max-width:100%;height:auto}
svg.chart text{font:11px system-ui,sans-serif;fill:#4b5568}
svg.chart .ctitle{font-weight:600;font-size:12.5px;fill:#1d2330}
svg.chart .xtick,svg.chart .xlabel,svg.chart .empty{text-anchor:middle}
svg.chart .ytick{text-anchor:end;dominant-baseline:middle}
svg.chart .ylabel{text-anchor:middle}
svg.chart .grid{stroke:#eef0f4}svg.chart .axis,svg.chart .tick{stroke:#9aa3b5}
svg.chart .rule{stroke:#9aa3b5;stroke-dasharray:3 3}svg.chart .rulelabel{text-anchor:end;font-size:10px}
svg.chart .series path{fill:none;stroke:var(--c);stroke-width:2}
svg.chart .series circle{fill:var(--c);stroke:#fff;stroke-width:1}
svg.chart .series circle:hover{r:6}
svg.chart .series rect,svg.chart .legend rect{fill:var(--c)}
svg.chart .legend line{stroke:var(--c);stroke-width:2.5}
`;
