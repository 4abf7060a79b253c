// MONAI's MetricsSaver files (monai.handlers.utils.write_metrics_reports), byte for byte:
//   metrics.csv            one `name<d>value` line per metric (Python's str of the float32 value)
//   <metric>_raw.csv       `filename<d>class0<d>...<d>mean`, one line per image, float32 values
//                          as numpy prints them (`nan` for an empty class)
//   <metric>_summary.csv   `class<d>op...`, one line per class and `mean`, `%.4f` of
//                          mean/median/max/min/<N>percentile/std/notnans (NaN-ignoring)
// Files are written atomically.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-fs.js';
import { ClaraError } from '../util/errors.js';

const f32 = Math.fround;

/** Python's repr of a float (shortest round-trip; scientific below 1e-4 and from 1e16). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = Math.abs(x);
  if (ax < 1e-4 || ax >= 1e16) {
    const [m, e] = x.toExponential().split('e');
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** numpy's str of a float32 (the shortest digits that round-trip in float32). */
export function float32Repr(x: number): string {
  const v = f32(x);
  if (!Number.isFinite(v)) return pyFloatRepr(v);
  if (v === 0) return pyFloatRepr(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (f32(Number(s)) === v) return pyFloatRepr(Number(s));
  }
  return pyFloatRepr(v);
}

/** `%.4f` as Python formats it (nan, inf included). */
function fixed4(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const s = x.toFixed(4);
  return s === '-0.0000' ? '-0.0000' : s;
}

function finite(xs: number[]): number[] {
  return xs.filter((x) => !Number.isNaN(x));
}

/** numpy.nanpercentile (linear interpolation); NaN when every value is NaN. */
export function nanPercentile(xs: number[], q: number): number {
  const v = finite(xs).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos),
    hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

const SUMMARY_OPS: Record<string, (xs: number[]) => number> = {
  mean: (xs) => {
    const v = finite(xs);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  },
  median: (xs) => nanPercentile(xs, 50),
  max: (xs) => {
    const v = finite(xs);
    return v.length ? Math.max(...v) : NaN;
  },
  min: (xs) => {
    const v = finite(xs);
    return v.length ? Math.min(...v) : NaN;
  },
  '90percentile': (xs) => nanPercentile(xs, 90),
  std: (xs) => {
    const v = finite(xs);
    if (!v.length) return NaN;
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.sqrt(v.reduce((a, b) => a + (b - m) * (b - m), 0) / v.length);
  },
  notnans: (xs) => finite(xs).length,
};

/** The summary ops a MetricsSaver's `summary_ops` names ("*" → all, in MONAI's order). */
export function summaryOps(v: unknown, place: { file: string; path: string }): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string'))
    throw new ClaraError(`summary_ops must be "*" or a list of op names, got ${JSON.stringify(v)}`, place);
  if (list.includes('*')) return Object.keys(SUMMARY_OPS);
  for (const op of list) {
    const pct = /^(\d+)percentile$/.exec(op);
    if (!(op in SUMMARY_OPS) && !(pct && Number(pct[1]) <= 100)) {
      throw new ClaraError(`summary op '${op}' is not one of ${Object.keys(SUMMARY_OPS).join(', ')} or <0-100>percentile`, place);
    }
  }
  return list as string[];
}

function computeOp(op: string, xs: number[]): number {
  if (op in SUMMARY_OPS) return SUMMARY_OPS[op](xs);
  return nanPercentile(xs, Number(/^(\d+)percentile$/.exec(op)![1]));
}

interface MetricsReport {
  saveDir: string;
  /** Image file names, one per row of the details. */
  images?: string[];
  /** Aggregated metrics (name → value). */
  metrics?: Record<string, number>;
  /** Per-image, per-class values (name → rows). */
  details?: Record<string, number[][]>;
  summaryOps?: string[];
  delimiter?: string;
  classLabels?: string[];
}

/** Writes the report files; returns their paths. */
export function writeMetricsReports(r: MetricsReport): string[] {
  const d = r.delimiter ?? ',';
  mkdirSync(r.saveDir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    const f = join(r.saveDir, name);
    writeFileAtomic(f, text);
    written.push(f);
  };
  if (r.metrics && Object.keys(r.metrics).length) {
    put(
      'metrics.csv',
      Object.entries(r.metrics)
        .map(([k, v]) => `${k}${d}${pyFloatRepr(f32(v))}\n`)
        .join(''),
    );
  }
  for (const [k, rows0] of Object.entries(r.details ?? {})) {
    const width = rows0.reduce((m, row) => Math.max(m, row.length), 0) || 1;
    const labels = [...(r.classLabels ?? Array.from({ length: width }, (_, i) => `class${i}`)), 'mean'];
    // float32 values with their float32 nan-mean, as numpy holds them
    const rows = rows0.map((row) => {
      const v = row.map(f32);
      const fin = finite(v);
      return [...v, fin.length ? f32(fin.reduce((a, b) => a + b, 0) / fin.length) : NaN];
    });
    let raw = `filename${d}${labels.join(d)}\n`;
    rows.forEach((row, i) => {
      raw += `${r.images?.[i] ?? String(i)}${d}${row.map(float32Repr).join(d)}\n`;
    });
    put(`${k}_raw.csv`, raw);
    if (r.summaryOps) {
      let sum = `class${d}${r.summaryOps.join(d)}\n`;
      labels.forEach((lab, c) => {
        const col = rows.map((row) => row[c]);
        sum += `${lab}${d}${r.summaryOps!.map((op) => fixed4(computeOp(op, col))).join(d)}\n`;
      });
      put(`${k}_summary.csv`, sum);
    }
  }
  return written;
}
