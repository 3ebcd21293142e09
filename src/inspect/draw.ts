import type { Drawing } from './layout.js';

/**
 * A drawing as SVG markup for the groups folded as `folded` says (by group id). Self-contained on
 * purpose — it uses nothing but its arguments and JavaScript's built-ins — because the page embeds
 * its source (`drawSvg.toString()`) to draw again in the browser when a group is folded or
 * unfolded; the first drawing is made by the same function, here.
 *
 * Placement: a group lays its children out rank by rank, top to bottom, each rank centred; a
 * folded group is one box with its label and stats. An edge joins the visible boxes of its ends
 * (a box inside a folded group is drawn as that group), once per pair, its value and type shown on
 * hover.
 */
export function drawSvg(d: Drawing, folded: Record<string, boolean>, gi: number): string {
  const BOX_H = 38, ROW_GAP = 30, COL_GAP = 16, PAD = 10, HEAD = 26, FOLDED_H = 46, MARGIN = 16, CHAR = 7;
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const units = d.units;
  const isFolded = (id: number) => id !== d.root && units[id]!.kind === 'group' && folded[id] === true;
  const size: { w: number; h: number }[] = [];
  const rowsOf = (id: number) => {
    const g = units[id]!;
    return g.kind === 'group' ? g.ranks.map((r) => ({ ids: r, w: r.reduce((s, c) => s + size[c]!.w, 0) + COL_GAP * (r.length - 1), h: Math.max(...r.map((c) => size[c]!.h)) })) : [];
  };
  const headerW = (id: number) => {
    const g = units[id]!;
    return g.kind === 'group' ? CHAR * (g.label.length + 3) + 6 * g.stats.length + 3 * PAD : 0;
  };
  const measure = (id: number): void => {
    const u = units[id]!;
    if (u.kind !== 'group') {
      size[id] = { w: u.w, h: BOX_H };
      return;
    }
    if (isFolded(id)) {
      size[id] = { w: Math.max(120, Math.round(Math.max(CHAR * (u.label.length + 3), 6 * u.stats.length)) + 2 * PAD), h: FOLDED_H };
      return;
    }
    for (const c of u.children) measure(c);
    const rows = rowsOf(id);
    const innerW = Math.max(0, ...rows.map((r) => r.w));
    const innerH = rows.reduce((s, r) => s + r.h, 0) + ROW_GAP * Math.max(0, rows.length - 1);
    size[id] = id === d.root
      ? { w: innerW + 2 * MARGIN, h: innerH + 2 * MARGIN }
      : { w: Math.max(innerW + 2 * PAD, headerW(id)), h: HEAD + 6 + innerH + PAD };
  };
  const pos: { x: number; y: number }[] = [];
  const place = (id: number, x: number, y: number): void => {
    pos[id] = { x, y };
    if (units[id]!.kind !== 'group' || isFolded(id)) return;
    let ry = y + (id === d.root ? MARGIN : HEAD + 6);
    for (const r of rowsOf(id)) {
      let rx = x + (size[id]!.w - r.w) / 2;
      for (const c of r.ids) {
        place(c, rx, ry);
        rx += size[c]!.w + COL_GAP;
      }
      ry += r.h + ROW_GAP;
    }
  };
  measure(d.root);
  place(d.root, 0, 0);
  const shown = (id: number) => {
    let v = id;
    for (let a = units[id]!.parent; a >= 0; a = units[a]!.parent) if (isFolded(a)) v = a;
    return v;
  };
  const visible = (id: number) => {
    for (let a = units[id]!.parent; a >= 0; a = units[a]!.parent) if (isFolded(a)) return false;
    return true;
  };
  const W = Math.ceil(size[d.root]!.w), H = Math.ceil(size[d.root]!.h);
  const frames: string[] = [], heads: string[] = [], boxes: string[] = [], lines: string[] = [];
  const f = (n: number) => n.toFixed(1);
  for (const u of units) {
    if (u.id === d.root || !visible(u.id)) continue;
    const p = pos[u.id]!, s = size[u.id]!;
    const key = `${gi}:${u.id}`;
    if (u.kind === 'group') {
      const title = `${esc(u.path)}: ${esc(u.stats)}`;
      if (isFolded(u.id)) {
        boxes.push(`<g class="group folded depth-${u.depth}" data-k="${key}" data-toggle="${u.id}" tabindex="0"><title>${title} (click to unfold)</title>` +
          `<rect class="gbox" x="${f(p.x)}" y="${f(p.y)}" width="${f(s.w)}" height="${s.h}" rx="8"/>` +
          `<text class="gtitle" x="${f(p.x + s.w / 2)}" y="${f(p.y + 19)}">▸ ${esc(cut(u.label, 40))}</text>` +
          `<text class="gstats" x="${f(p.x + s.w / 2)}" y="${f(p.y + 36)}">${esc(u.stats)}</text></g>`);
      } else {
        // The frame under the edges, its title bar above them (an edge must not take its clicks).
        frames.push(`<g class="group open depth-${u.depth}" data-group="${u.id}"><rect class="gframe" x="${f(p.x)}" y="${f(p.y)}" width="${f(s.w)}" height="${s.h}" rx="10"/></g>`);
        heads.push(`<g class="ghead depth-${u.depth}" data-k="${key}" data-toggle="${u.id}" tabindex="0"><title>${title} (click to fold)</title><rect class="ghit" x="${f(p.x)}" y="${f(p.y)}" width="${f(s.w)}" height="${HEAD}" rx="10"/>` +
          `<text class="gtitle left" x="${f(p.x + PAD)}" y="${f(p.y + 17)}">▾ ${esc(u.label)}<tspan class="gstats" dx="10">${esc(u.stats)}</tspan></text></g>`);
      }
      continue;
    }
    const cls = u.kind === 'op' ? `box ${u.cls}` : `box ${u.kind}`;
    boxes.push(`<g class="${u.kind}" data-k="${key}" tabindex="0"><title>${esc(`${u.label} ${u.sub}`)}</title>` +
      `<rect class="${cls}" x="${f(p.x)}" y="${f(p.y)}" width="${u.w}" height="${BOX_H}" rx="5"/>` +
      `<text class="label" x="${f(p.x + u.w / 2)}" y="${f(p.y + 15)}">${esc(cut(u.label, 40))}</text>` +
      `<text class="sub" x="${f(p.x + u.w / 2)}" y="${f(p.y + 30)}">${esc(cut(u.sub, 28))}</text></g>`);
  }
  const drawn = new Map<string, { from: number; to: number; label: string; more: number }>();
  for (const e of d.edges) {
    const a = shown(e.from), b = shown(e.to);
    if (a === b) continue;
    const k = `${a}>${b}`;
    const seen = drawn.get(k);
    if (seen) seen.more++;
    else drawn.set(k, { from: a, to: b, label: e.label, more: 0 });
  }
  for (const e of drawn.values()) {
    const pa = pos[e.from]!, sa = size[e.from]!, pb = pos[e.to]!, sb = size[e.to]!;
    const x1 = pa.x + sa.w / 2, y1 = pa.y + sa.h, x2 = pb.x + sb.w / 2, y2 = pb.y;
    const dy = Math.max(14, Math.abs(y2 - y1) / 2);
    const path = `M${f(x1)} ${f(y1)} C${f(x1)} ${f(y1 + dy)} ${f(x2)} ${f(y2 - dy)} ${f(x2)} ${f(y2 - 4)}`;
    const label = e.more ? `${e.label} (+${e.more} more)` : e.label;
    lines.push(`<g class="edge"><title>${esc(label)}</title><path class="hit" d="${path}"/><path class="line" d="${path}"/>` +
      `<polygon class="arrow" points="${f(x2 - 4)},${f(y2 - 6)} ${f(x2 + 4)},${f(y2 - 6)} ${f(x2)},${f(y2)}"/>` +
      `<text class="elabel" x="${f((x1 + x2) / 2 + 6)}" y="${f((y1 + y2) / 2)}">${esc(cut(label, 60))}</text></g>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" data-w="${W}" data-h="${H}">\n` +
    `${frames.join('\n')}\n${lines.join('\n')}\n${heads.join('\n')}\n${boxes.join('\n')}\n</svg>`;
}
