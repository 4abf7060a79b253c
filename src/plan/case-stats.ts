// One case of the dataset fingerprint: geometry (shape, spacing, orientation, affine), the
// non-zero and foreground bounding boxes, foreground intensity statistics per channel, class voxel
// counts and connected components, and every integrity problem found on the way (the
// verification pass: image/label shape, spacing and affine agreement, label values outside
// `labels`, NaN/Inf voxels, channel count).
import { existsSync, statSync } from 'node:fs';
import { readNifti, type NiftiImage } from '../io/nifti/index.js';
import type { Affine } from '../io/volume.js';
import { affineSpacing, axcodesOf } from '../transforms/geometry.js';
import { boundingBox } from '../transforms/kernels.js';
import { componentCounts } from './connected-components.js';
import type { PlanCase } from './dataset.js';

/**
 * Foreground intensities kept per case for pooling: all of them (sorted) up to this many,
 * otherwise this many evenly spaced order statistics (a 0.01 % quantile grid).
 */
const MAX_STORED_VALUES = 10001;

/** Foreground intensity statistics of one channel (a case's, or the dataset's pooled ones). */
export interface IntensityStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  median: number;
  percentile_00_5: number;
  percentile_99_5: number;
}

export interface ChannelStats extends IntensityStats {
  /** Foreground voxels the statistics are over. */
  count: number;
  /** The sorted foreground values (or MAX_STORED_VALUES evenly spaced order statistics of them), for pooling cases. */
  sorted: number[];
}

export interface CaseIssue {
  case: string;
  /** The file the problem is in (the image, or the label). */
  file: string;
  problem: string;
}

interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface CaseFingerprint {
  id: string;
  list: 'training' | 'validation';
  images: string[];
  label: string;
  /** Sizes and modification times: the cache is reused only while these are unchanged. */
  stamps: FileStamp[];
  /** Spatial shape [i, j, k] and spacing (mm) along the voxel axes. */
  shape: number[];
  spacing: number[];
  orientation: string;
  affine: Affine;
  /** Size of the box holding every voxel that is non-zero in some channel (nnU-Net's crop_to_nonzero). */
  nonzeroBoxSize: number[];
  relativeSizeAfterCrop: number;
  /** The box of label > 0 ([start, end) per axis), null when the label is empty. */
  foregroundBox: { start: number[]; end: number[]; size: number[] } | null;
  /** Voxels per label value (as strings, JSON keys). */
  classVoxels: Record<string, number>;
  /** Connected components (26-connectivity) per foreground class. */
  components: Record<string, number>;
  /** Per channel; null for a channel when the label has no foreground. */
  intensity: (ChannelStats | null)[];
}

export function stampFiles(paths: string[]): FileStamp[] {
  return paths.map((p) => {
    try {
      const s = statSync(p);
      return { path: p, size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      return { path: p, size: -1, mtimeMs: -1 };
    }
  });
}

/** numpy.percentile(sorted, q) with linear interpolation; `sorted` ascending, q in [0, 100]. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos),
    hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function channelStats(values: Float32Array): ChannelStats | null {
  const n = values.length;
  if (n === 0) return null;
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (s[i] - mean) ** 2;
  const m = Math.min(n, MAX_STORED_VALUES);
  const sorted =
    m === n ? Array.from(s, (v) => +v.toPrecision(7)) : Array.from({ length: m }, (_, i) => +s[Math.round((i * (n - 1)) / (m - 1))].toPrecision(7));
  return {
    count: n,
    mean,
    std: Math.sqrt(ss / n),
    min: s[0],
    max: s[n - 1],
    median: percentileSorted(s, 50),
    percentile_00_5: percentileSorted(s, 0.5),
    percentile_99_5: percentileSorted(s, 99.5),
    sorted,
  };
}

function maxAbsDiff(a: Affine, b: Affine): number {
  let m = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
  return m;
}

const fmt = (v: number[]) => `[${v.map((x) => +x.toFixed(4)).join(', ')}]`;

type ReadResult = { img: NiftiImage } | { error: string };
async function tryRead(file: string): Promise<ReadResult> {
  if (!existsSync(file)) return { error: 'file not found' };
  try {
    return { img: await readNifti(file) };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { error: code === 'ENOENT' ? 'file not found' : `cannot read as NIfTI: ${(e as Error).message.replace(`${file}: `, '')}` };
  }
}

/**
 * Analyses one case. Returns the fingerprint (null when a file cannot be read or the geometry
 * disagrees so badly that statistics would be meaningless) and every problem found.
 */
export async function analyseCase(
  c: PlanCase,
  nChannels: number,
  labels: ReadonlyMap<number, string>,
): Promise<{ fp: CaseFingerprint | null; issues: CaseIssue[] }> {
  const issues: CaseIssue[] = [];
  const issue = (file: string, problem: string) => issues.push({ case: c.id, file, problem });
  const lab = await tryRead(c.label);
  if ('error' in lab) issue(c.label, lab.error);
  const imgs: NiftiImage[] = [];
  for (const f of c.images) {
    const r = await tryRead(f);
    if ('error' in r) issue(f, r.error);
    else imgs.push(r.img);
  }
  if (issues.length > 0 || !('img' in lab)) return { fp: null, issues };
  const label = lab.img;

  // Channels: one 4D file with every channel, or one 3D file per channel.
  const spatialOf = (v: NiftiImage) => v.shape.slice(0, 3).concat([1, 1, 1]).slice(0, 3);
  const extra = (v: NiftiImage) => v.shape.slice(3).reduce((a, b) => a * b, 1);
  const channels: { data: Float32Array; file: string }[] = [];
  if (imgs.length === 1 && extra(imgs[0]) > 1) {
    const v = imgs[0],
      nc = extra(v),
      s = v.scaled(),
      sp = s.length / nc;
    if (nc !== nChannels) issue(c.images[0], `has ${nc} channels (4th dimension), dataset.json's modality lists ${nChannels}`);
    for (let ch = 0; ch < Math.min(nc, nChannels); ch++) {
      const d = new Float32Array(sp);
      for (let x = 0; x < sp; x++) d[x] = s[x * nc + ch];
      channels.push({ data: d, file: c.images[0] });
    }
  } else {
    if (imgs.length !== nChannels) issue(c.images[0], `the case has ${imgs.length} image file(s), dataset.json's modality lists ${nChannels} channel(s)`);
    imgs.forEach((v, i) => {
      if (extra(v) > 1) issue(c.images[i], `expected a 3D image per channel, got shape ${fmt(v.shape)}`);
      channels.push({
        data: v.scaled().subarray(
          0,
          spatialOf(v).reduce((a, b) => a * b, 1),
        ),
        file: c.images[i],
      });
    });
  }
  const ref = imgs[0];
  const shape = spatialOf(ref);
  if (extra(label) > 1) issue(c.label, `a label must be 3D, got shape ${fmt(label.shape)}`);
  let geometryOk = true;
  const spacing = affineSpacing(ref.affine);
  for (const [v, file] of [[label, c.label], ...imgs.slice(1).map((m, i) => [m, c.images[i + 1]] as const)] as [NiftiImage, string][]) {
    const s = spatialOf(v);
    if (s.some((x, i) => x !== shape[i])) {
      issue(file, `shape ${fmt(s)} differs from the image's ${fmt(shape)} (${c.images[0]})`);
      geometryOk = false;
      continue;
    }
    const sp = affineSpacing(v.affine);
    if (sp.some((x, i) => Math.abs(x - spacing[i]) > 1e-4 * Math.max(1, spacing[i]))) {
      issue(file, `spacing ${fmt(sp)} mm differs from the image's ${fmt(spacing)} mm (${c.images[0]})`);
    } else if (maxAbsDiff(v.affine, ref.affine) > 1e-3) {
      issue(
        file,
        `affine (origin/direction) differs from the image's by up to ${maxAbsDiff(v.affine, ref.affine).toPrecision(3)} mm: ` +
          `origin ${fmt(v.affine.map((r) => r[3]).slice(0, 3))} vs ${fmt(ref.affine.map((r) => r[3]).slice(0, 3))}, orientation ${axcodesOf(v.affine)} vs ${axcodesOf(ref.affine)} (${c.images[0]})`,
      );
    }
  }
  for (const ch of channels) {
    let nan = 0,
      inf = 0;
    for (let x = 0; x < ch.data.length; x++) {
      const v = ch.data[x];
      if (v !== v) nan++;
      else if (v === Infinity || v === -Infinity) inf++;
    }
    if (nan || inf) issue(ch.file, `${nan ? `${nan} NaN` : ''}${nan && inf ? ' and ' : ''}${inf ? `${inf} infinite` : ''} voxel value(s)`);
  }
  if (!geometryOk) return { fp: null, issues };

  const n = shape[0] * shape[1] * shape[2];
  const lab32 = label.scaled().subarray(0, n);
  const counts = new Map<number, number>();
  let nonInteger = 0;
  for (let x = 0; x < n; x++) {
    const v = lab32[x];
    if (!Number.isInteger(v)) {
      nonInteger++;
      continue;
    }
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  if (nonInteger) issue(c.label, `${nonInteger} voxel(s) are not integer label values`);
  const outside = [...counts.keys()].filter((v) => !labels.has(v)).sort((a, b) => a - b);
  if (outside.length) {
    issue(
      c.label,
      `label value(s) ${outside.map((v) => `${v} (${counts.get(v)} voxels)`).join(', ')} are not in dataset.json's labels {${[...labels.keys()].join(', ')}}`,
    );
  }

  // Non-zero box (any channel != 0) and foreground box (label > 0) with the native kernel.
  const nz = new Float32Array(n);
  for (const ch of channels) for (let x = 0; x < n; x++) if (ch.data[x] !== 0) nz[x] = 1;
  const s3 = shape as [number, number, number];
  const nzBox = boundingBox(nz, 1, s3, 0.5);
  const nonzeroBoxSize = nzBox ? nzBox.end.map((e, i) => e - nzBox.start[i]) : [0, 0, 0];
  const fgBox = boundingBox(lab32 as Float32Array, 1, s3, 0);
  const fgMask = new Uint8Array(n);
  let nfg = 0;
  for (let x = 0; x < n; x++)
    if (lab32[x] > 0) {
      fgMask[x] = 1;
      nfg++;
    }
  const intensity = channels.map((ch) => {
    const vals = new Float32Array(nfg);
    let m = 0;
    for (let x = 0; x < n; x++)
      if (fgMask[x]) {
        const v = ch.data[x];
        if (Number.isFinite(v)) vals[m++] = v;
      }
    return channelStats(vals.subarray(0, m));
  });
  const classVoxels: Record<string, number> = {};
  for (const [v, k] of [...counts.entries()].sort((a, b) => a[0] - b[0])) classVoxels[String(v)] = k;
  const components: Record<string, number> = {};
  for (const [v, k] of [...componentCounts(lab32, shape).entries()].sort((a, b) => a[0] - b[0])) if (Number.isInteger(v)) components[String(v)] = k;
  return {
    fp: {
      id: c.id,
      list: c.list,
      images: c.images,
      label: c.label,
      stamps: stampFiles([...c.images, c.label]),
      shape,
      spacing,
      orientation: axcodesOf(ref.affine),
      affine: ref.affine.map((r) => r.slice()),
      nonzeroBoxSize,
      relativeSizeAfterCrop: nonzeroBoxSize.reduce((a, b) => a * b, 1) / n,
      foregroundBox: fgBox ? { start: [...fgBox.start], end: [...fgBox.end], size: fgBox.end.map((e, i) => e - fgBox.start[i]) } : null,
      classVoxels,
      components,
      intensity,
    },
    issues,
  };
}
