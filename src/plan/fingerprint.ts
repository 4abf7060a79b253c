// The dataset fingerprint (nnU-Net's term): every case analysed (src/plan/case-stats.ts) with a
// progress bar, pooled into dataset statistics, and cached as fingerprint.json — a case is
// re-read only when one of its files changed (size or modification time).
import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { Progress } from '../util/progress.js';
import { analyseCase, type CaseFingerprint, type CaseIssue, type ChannelStats, type IntensityStats, stampFiles } from './case-stats.js';
import type { PlanDataset } from './dataset.js';

const FINGERPRINT_VERSION = 2;

export type PooledChannelStats = IntensityStats;

interface DatasetSummary {
  cases: number;
  /** Per-axis medians over cases (voxel axes i, j, k). */
  medianSpacing: number[];
  medianShape: number[];
  /** Median over cases of the non-zero box size (nnU-Net's shapes_after_crop). */
  medianShapeAfterCrop: number[];
  medianRelativeSizeAfterCrop: number;
  orientations: Record<string, number>;
  /**
   * Foreground intensities per channel, every case weighted equally (the statistics nnU-Net
   * estimates by drawing the same number of foreground voxels from each case).
   */
  intensity: (PooledChannelStats | null)[];
  /** Fraction of all voxels per label value. */
  classFrequency: Record<string, number>;
  /** Connected components per foreground class: median and max over the cases that contain the class. */
  components: Record<string, { median: number; max: number; cases: number }>;
  /** Median foreground box size over cases with foreground. */
  medianForegroundBoxSize: number[] | null;
}

export interface Fingerprint {
  version: number;
  dataset: { file: string; name: string; channels: string[]; labels: Record<string, string> };
  cases: CaseFingerprint[];
  issues: CaseIssue[];
  summary: DatasetSummary | null;
}

export function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b),
    m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const medianPerAxis = (rows: number[][]) => [0, 1, 2].map((a) => median(rows.map((r) => r[a])));

/** The empirical CDF of one case's stored sorted values at x: the fraction at or below it. */
function cdf(v: number[], x: number): number {
  let lo = 0,
    hi = v.length; // first index with v[i] > x
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (v[m] <= x) lo = m + 1;
    else hi = m;
  }
  return lo / v.length;
}

/**
 * Quantile p (0..1) of the equal-weight mixture of the cases' empirical distributions: the
 * smallest stored value where the mixture CDF reaches p (what a large equal-per-case sample,
 * nnU-Net's estimate, converges to).
 */
export function mixtureQuantile(cases: number[][], p: number): number {
  const all = [...new Set(cases.flat())].sort((a, b) => a - b);
  const F = (x: number) => cases.reduce((s, v) => s + cdf(v, x), 0) / cases.length;
  let lo = 0,
    hi = all.length - 1;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (F(all[m]) >= p - 1e-12) hi = m;
    else lo = m + 1;
  }
  return all[lo];
}

function poolChannel(stats: ChannelStats[]): PooledChannelStats | null {
  if (stats.length === 0) return null;
  const k = stats.length;
  const mean = stats.reduce((s, c) => s + c.mean, 0) / k;
  const second = stats.reduce((s, c) => s + c.std ** 2 + c.mean ** 2, 0) / k;
  const qs = stats.map((c) => c.sorted);
  return {
    mean,
    std: Math.sqrt(Math.max(0, second - mean * mean)),
    min: Math.min(...stats.map((c) => c.min)),
    max: Math.max(...stats.map((c) => c.max)),
    median: mixtureQuantile(qs, 0.5),
    percentile_00_5: mixtureQuantile(qs, 0.005),
    percentile_99_5: mixtureQuantile(qs, 0.995),
  };
}

function summarise(cases: CaseFingerprint[], nChannels: number): DatasetSummary | null {
  if (cases.length === 0) return null;
  const orientations: Record<string, number> = {};
  for (const c of cases) orientations[c.orientation] = (orientations[c.orientation] ?? 0) + 1;
  const totals = new Map<string, number>();
  let all = 0;
  for (const c of cases)
    for (const [k, v] of Object.entries(c.classVoxels)) {
      totals.set(k, (totals.get(k) ?? 0) + v);
      all += v;
    }
  const classFrequency: Record<string, number> = {};
  for (const [k, v] of [...totals.entries()].sort((a, b) => Number(a[0]) - Number(b[0]))) classFrequency[k] = v / all;
  const comp = new Map<string, number[]>();
  for (const c of cases) for (const [k, v] of Object.entries(c.components)) comp.set(k, [...(comp.get(k) ?? []), v]);
  const components: DatasetSummary['components'] = {};
  for (const [k, v] of [...comp.entries()].sort((a, b) => Number(a[0]) - Number(b[0])))
    components[k] = { median: median(v), max: Math.max(...v), cases: v.length };
  const fgBoxes = cases.filter((c) => c.foregroundBox).map((c) => c.foregroundBox!.size);
  return {
    cases: cases.length,
    medianSpacing: medianPerAxis(cases.map((c) => c.spacing)),
    medianShape: medianPerAxis(cases.map((c) => c.shape)),
    medianShapeAfterCrop: medianPerAxis(cases.map((c) => c.nonzeroBoxSize)),
    medianRelativeSizeAfterCrop: median(cases.map((c) => c.relativeSizeAfterCrop)),
    orientations,
    intensity: Array.from({ length: nChannels }, (_, ch) =>
      poolChannel(cases.map((c) => c.intensity[ch]).filter((s): s is ChannelStats => s !== null && s !== undefined)),
    ),
    classFrequency,
    components,
    medianForegroundBoxSize: fgBoxes.length ? medianPerAxis(fgBoxes) : null,
  };
}

function sameStamps(a: CaseFingerprint, paths: string[]): boolean {
  const now = stampFiles(paths);
  return (
    a.stamps.length === now.length &&
    now.every((s, i) => s.size >= 0 && s.path === a.stamps[i].path && s.size === a.stamps[i].size && s.mtimeMs === a.stamps[i].mtimeMs)
  );
}

function readCache(file: string | undefined): Map<string, CaseFingerprint> {
  const m = new Map<string, CaseFingerprint>();
  if (!file || !existsSync(file)) return m;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Fingerprint;
    if (j.version !== FINGERPRINT_VERSION || !Array.isArray(j.cases)) return m;
    for (const c of j.cases) if (c.intensity.every((s) => s === null || (Array.isArray(s.sorted) && s.sorted.length > 0))) m.set(c.id, c);
  } catch {
    /* an unreadable cache is recomputed */
  }
  return m;
}

interface FingerprintOptions {
  /** fingerprint.json: read as a cache when present, written when every case is clean. */
  cacheFile?: string;
  /** Recompute every case. */
  force?: boolean;
  /** Progress bar stream (default stderr); null: none. */
  progress?: NodeJS.WriteStream | null;
}

/** Fingerprints every case; `issues` lists every integrity problem (empty when the dataset is clean). */
export async function fingerprintDataset(ds: PlanDataset, o: FingerprintOptions = {}): Promise<Fingerprint & { reused: number }> {
  const cache = o.force ? new Map<string, CaseFingerprint>() : readCache(o.cacheFile);
  const bar = o.progress === null ? undefined : new Progress({ label: 'fingerprint', total: ds.cases.length, stream: o.progress });
  const cases: CaseFingerprint[] = [];
  const issues: CaseIssue[] = [];
  let reused = 0;
  for (const c of ds.cases) {
    const hit = cache.get(c.id);
    if (hit && sameStamps(hit, [...c.images, c.label]) && hit.label === c.label && hit.intensity.length === ds.channels.length) {
      // dataset.json may have changed since: check the cached label values against today's labels
      const outside = Object.keys(hit.classVoxels)
        .map(Number)
        .filter((v) => !ds.labels.has(v));
      if (outside.length) {
        issues.push({
          case: c.id,
          file: c.label,
          problem: `label value(s) ${outside.map((v) => `${v} (${hit.classVoxels[String(v)]} voxels)`).join(', ')} are not in dataset.json's labels {${[...ds.labels.keys()].join(', ')}}`,
        });
      }
      cases.push({ ...hit, list: c.list });
      reused++;
      bar?.tick(1, `${c.id} (cached)`);
      continue;
    }
    const r = await analyseCase(c, ds.channels.length, ds.labels);
    issues.push(...r.issues);
    if (r.fp) cases.push(r.fp);
    bar?.tick(1, c.id);
  }
  const labels: Record<string, string> = {};
  for (const [v, n] of [...ds.labels.entries()].sort((a, b) => a[0] - b[0])) labels[String(v)] = n;
  const fp: Fingerprint = {
    version: FINGERPRINT_VERSION,
    dataset: { file: ds.file, name: ds.name, channels: ds.channels, labels },
    cases,
    issues,
    summary: summarise(cases, ds.channels.length),
  };
  if (o.cacheFile && issues.length === 0) writeJsonAtomic(o.cacheFile, fp);
  return { ...fp, reused };
}
