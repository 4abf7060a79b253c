// Hand-written inline SVG charts for the report (no library, nothing fetched at view
// time): line charts, a parallel-coordinates plot and horizontal bars. Every chart is a
// <figure class="chart"> whose data-points attribute counts the data marks it drew, so a
// viewer (and the browser test) can tell an empty chart from a drawn one.

interface Pt {
  x: number;
  y: number;
}
export interface Series {
  name: string;
  points: Pt[];
  color?: string;
  step?: boolean;
  dots?: boolean;
  dashed?: boolean;
}

/** At most n characters (an ellipsis in the middle). */
export const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, Math.ceil(n / 2) - 1)}…${s.slice(s.length - Math.floor(n / 2))}`);

export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A number for an axis or a table: 4 significant digits, exponent form for tiny/huge. */
export function fmt(v: number | undefined, digits = 4): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(Math.max(0, digits - 2)).replace('e', 'e');
  return String(Number(v.toPrecision(digits)));
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const color = (i: number): string => PALETTE[i % PALETTE.length];

/** Viridis-like ramp, t in [0, 1]. */
export function ramp(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

interface Scale {
  map(v: number): number;
  ticks: number[];
  log: boolean;
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function scale(values: number[], range: [number, number], opts: { log?: boolean; zero?: boolean } = {}): Scale {
  const finite = values.filter((v) => Number.isFinite(v) && (!opts.log || v > 0));
  const log = Boolean(opts.log) && finite.length > 0;
  const tr = (v: number) => (log ? Math.log10(v) : v);
  let lo = finite.length ? Math.min(...finite.map(tr)) : 0;
  let hi = finite.length ? Math.max(...finite.map(tr)) : 1;
  if (opts.zero && !log) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (hi - lo < 1e-12) {
    const pad = Math.abs(lo) * 0.1 || 0.5;
    lo -= pad;
    hi += pad;
  }
  const ticks = log
    ? niceTicks(Math.floor(lo), Math.ceil(hi), Math.min(5, Math.ceil(hi) - Math.floor(lo) || 1))
        .filter((t) => Number.isInteger(t))
        .map((t) => 10 ** t)
    : niceTicks(lo, hi);
  if (log) {
    lo = Math.min(lo, Math.floor(lo));
    hi = Math.max(hi, Math.ceil(hi));
  }
  const [r0, r1] = range;
  return { log, ticks, map: (v: number) => r0 + ((tr(v) - lo) / (hi - lo)) * (r1 - r0) };
}

function figure(id: string, title: string, points: number, svg: string, note = ''): string {
  return `<figure class="chart${points === 0 ? ' empty' : ''}" data-chart="${esc(id)}" data-points="${points}">${svg}<figcaption>${esc(title)}${note ? ` <span class="note">${esc(note)}</span>` : ''}</figcaption></figure>`;
}

function noData(w: number, h: number): string {
  return `<text x="${w / 2}" y="${h / 2}" text-anchor="middle" class="nodata">no data</text>`;
}

interface LineChartOptions {
  id: string;
  title: string;
  series: Series[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  logY?: boolean;
  legend?: boolean;
  note?: string;
}

export function lineChart(o: LineChartOptions): string {
  const w = o.width ?? 360,
    h = o.height ?? 220;
  const m = { l: 52, r: 10, t: 10, b: 34 };
  const pts = o.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.logY || p.y > 0));
  let body = '';
  if (pts.length === 0) body = noData(w, h);
  else {
    const xs = scale(
      pts.map((p) => p.x),
      [m.l, w - m.r],
    );
    const ys = scale(
      pts.map((p) => p.y),
      [h - m.b, m.t],
      { log: o.logY },
    );
    body += axes(xs, ys, w, h, m, o.xLabel, o.yLabel);
    o.series.forEach((s, i) => {
      const c = s.color ?? color(i);
      const good = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.logY || p.y > 0));
      if (good.length === 0) return;
      let d = '';
      good.forEach((p, k) => {
        const X = xs.map(p.x).toFixed(1),
          Y = ys.map(p.y).toFixed(1);
        if (k === 0) d += `M${X},${Y}`;
        else if (s.step) d += `H${X}V${Y}`;
        else d += `L${X},${Y}`;
      });
      body += `<path class="series" d="${d}" fill="none" stroke="${c}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="4 3"' : ''}><title>${esc(s.name)}</title></path>`;
      if (s.dots || good.length === 1) {
        for (const p of good)
          body += `<circle class="pt" cx="${xs.map(p.x).toFixed(1)}" cy="${ys.map(p.y).toFixed(1)}" r="3" fill="${c}"><title>${esc(s.name)}: ${fmt(p.x)}, ${fmt(p.y)}</title></circle>`;
      }
    });
    if (o.legend && o.series.length > 1) {
      o.series.forEach((s, i) => {
        body += `<g transform="translate(${m.l + 8},${m.t + 4 + i * 13})"><rect width="10" height="3" y="4" fill="${s.color ?? color(i)}"/><text x="14" y="9" class="legend">${esc(s.name)}</text></g>`;
      });
    }
  }
  return figure(o.id, o.title, pts.length, `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${body}</svg>`, o.note);
}

function axes(xs: Scale, ys: Scale, w: number, h: number, m: { l: number; r: number; t: number; b: number }, xLabel?: string, yLabel?: string): string {
  let s = `<g class="axis">`;
  s += `<line x1="${m.l}" y1="${h - m.b}" x2="${w - m.r}" y2="${h - m.b}"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${h - m.b}"/>`;
  for (const t of xs.ticks) {
    const X = xs.map(t);
    if (X < m.l - 0.5 || X > w - m.r + 0.5) continue;
    s += `<line x1="${X.toFixed(1)}" y1="${h - m.b}" x2="${X.toFixed(1)}" y2="${h - m.b + 4}"/><text x="${X.toFixed(1)}" y="${h - m.b + 15}" text-anchor="middle">${fmt(t, 3)}</text>`;
  }
  for (const t of ys.ticks) {
    const Y = ys.map(t);
    if (Y < m.t - 0.5 || Y > h - m.b + 0.5) continue;
    s += `<line class="grid" x1="${m.l}" y1="${Y.toFixed(1)}" x2="${w - m.r}" y2="${Y.toFixed(1)}"/><text x="${m.l - 5}" y="${(Y + 3).toFixed(1)}" text-anchor="end">${fmt(t, 3)}</text>`;
  }
  if (xLabel) s += `<text x="${(m.l + w - m.r) / 2}" y="${h - 3}" text-anchor="middle" class="label">${esc(xLabel)}</text>`;
  if (yLabel) s += `<text transform="translate(11,${(m.t + h - m.b) / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(yLabel)}</text>`;
  return s + '</g>';
}

interface PcAxis {
  label: string;
  values: (number | undefined)[];
  categories?: string[];
  log?: boolean;
}

/** Parallel coordinates: one polyline per row, coloured by `colorBy` (higher = yellower); rows with no colour value are grey. */
export function parallelCoordinates(o: {
  id: string;
  title: string;
  axes: PcAxis[];
  colorBy: (number | undefined)[];
  rowNames: string[];
  width?: number;
  height?: number;
  note?: string;
}): string {
  const n = o.rowNames.length;
  const w = o.width ?? Math.max(420, 140 * o.axes.length),
    h = o.height ?? 280;
  const m = { l: 70, r: 50, t: 30, b: 40 };
  if (n === 0 || o.axes.length === 0) return figure(o.id, o.title, 0, `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${noData(w, h)}</svg>`, o.note);
  const ax = o.axes.map((a, i) => {
    const x = o.axes.length === 1 ? w / 2 : m.l + (i * (w - m.l - m.r)) / (o.axes.length - 1);
    if (a.categories) {
      const k = a.categories.length;
      const y = (v: number) => (k <= 1 ? (m.t + h - m.b) / 2 : h - m.b - (v / (k - 1)) * (h - m.b - m.t));
      return { x, y, ticks: a.categories.map((c, j) => ({ v: y(j), t: c })) };
    }
    const sc = scale(
      a.values.filter((v): v is number => v !== undefined),
      [h - m.b, m.t],
      { log: a.log },
    );
    return { x, y: sc.map, ticks: sc.ticks.map((t) => ({ v: sc.map(t), t: fmt(t, 3) })) };
  });
  const cv = o.colorBy.filter((v): v is number => v !== undefined && Number.isFinite(v));
  const lo = cv.length ? Math.min(...cv) : 0,
    hi = cv.length ? Math.max(...cv) : 1;
  let body = '';
  let drawn = 0;
  // Worst first, so the best lines are on top.
  const order = [...o.rowNames.keys()].sort((a, b) => (o.colorBy[a] ?? -Infinity) - (o.colorBy[b] ?? -Infinity));
  for (const r of order) {
    const pts = ax.map((a, i) => (o.axes[i].values[r] === undefined || !Number.isFinite(o.axes[i].values[r]!) ? undefined : [a.x, a.y(o.axes[i].values[r]!)]));
    if (pts.every((p) => p === undefined)) continue;
    const d = pts.map((p, i) => (p ? `${i === 0 || !pts[i - 1] ? 'M' : 'L'}${p[0].toFixed(1)},${p[1].toFixed(1)}` : '')).join('');
    const c = o.colorBy[r];
    const stroke = c === undefined || !Number.isFinite(c) ? '#bbb' : ramp(hi > lo ? (c - lo) / (hi - lo) : 1);
    body += `<path class="series" d="${d}" fill="none" stroke="${stroke}" stroke-width="2" opacity="0.85"><title>${esc(o.rowNames[r])}: ${fmt(c)}</title></path>`;
    drawn++;
  }
  for (const [i, a] of ax.entries()) {
    body += `<g class="axis"><line x1="${a.x.toFixed(1)}" y1="${m.t}" x2="${a.x.toFixed(1)}" y2="${h - m.b}"/>`;
    for (const t of a.ticks) body += `<text x="${(a.x - 4).toFixed(1)}" y="${(t.v + 3).toFixed(1)}" text-anchor="end">${esc(t.t)}</text>`;
    body += `<text x="${a.x.toFixed(1)}" y="${m.t - 12}" text-anchor="middle" class="label">${esc(clip(o.axes[i].label, 28))}${o.axes[i].log ? ' (log)' : ''}<title>${esc(o.axes[i].label)}</title></text></g>`;
  }
  body += `<g transform="translate(${w - m.r - 120},${h - 14})"><text x="-4" y="8" text-anchor="end" class="legend">score ${fmt(lo, 3)}</text>`;
  for (let k = 0; k < 20; k++) body += `<rect x="${k * 5}" y="0" width="5" height="10" fill="${ramp(k / 19)}"/>`;
  body += `<text x="104" y="8" class="legend">${fmt(hi, 3)}</text></g>`;
  return figure(o.id, o.title, drawn, `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${body}</svg>`, o.note);
}

/** Horizontal bars, one per row. */
export function barChart(o: {
  id: string;
  title: string;
  rows: { label: string; value: number | undefined }[];
  max?: number;
  width?: number;
  note?: string;
  valueLabel?: (v: number) => string;
}): string {
  const rowH = 18,
    w = o.width ?? 520,
    lw = 220;
  const h = Math.max(40, o.rows.length * rowH + 24);
  const vals = o.rows.map((r) => r.value).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (vals.length === 0) return figure(o.id, o.title, 0, `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${noData(w, h)}</svg>`, o.note);
  const max = o.max ?? Math.max(...vals.map(Math.abs), 1e-12);
  let body = '';
  let drawn = 0;
  o.rows.forEach((r, i) => {
    const y = 6 + i * rowH;
    body += `<text x="${lw - 6}" y="${y + 12}" text-anchor="end">${esc(clip(r.label, 36))}<title>${esc(r.label)}</title></text>`;
    if (r.value === undefined || !Number.isFinite(r.value)) {
      body += `<text x="${lw + 4}" y="${y + 12}" class="nodata">–</text>`;
      return;
    }
    const bw = Math.max(1, (Math.max(0, r.value) / max) * (w - lw - 60));
    body += `<rect class="bar" x="${lw}" y="${y + 2}" width="${bw.toFixed(1)}" height="${rowH - 5}" fill="${color(0)}"><title>${esc(r.label)}: ${fmt(r.value)}</title></rect>`;
    body += `<text x="${(lw + bw + 4).toFixed(1)}" y="${y + 12}">${esc(o.valueLabel ? o.valueLabel(r.value) : fmt(r.value, 3))}</text>`;
    drawn++;
  });
  return figure(o.id, o.title, drawn, `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">${body}</svg>`, o.note);
}
