// A Decathlon-style dataset as `clara-train plan` reads it: a folder holding dataset.json or the
// file itself (MSD layout: imagesTr/, labelsTr/, "modality" or nnU-Net v2's "channel_names",
// "labels" either {"0": "background", ...} (MSD) or {"background": 0, ...} (nnU-Net v2),
// "training": [{"image", "label"}], optional "validation").
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { readDatalistJson } from '../io/datalist.js';
import { ClaraError, joinPath } from '../util/errors.js';

export interface PlanCase {
  /** A stable id: the label file's name without extension (unique within the dataset). */
  id: string;
  /** One path per channel, or one 4D file holding every channel (MSD). Absolute. */
  images: string[];
  label: string;
  /** The list the case came from. */
  list: 'training' | 'validation';
  /** The JSON path of the entry, for reports. */
  at: string;
}

export interface PlanDataset {
  /** The dataset.json file (absolute). */
  file: string;
  /** Its folder: relative paths resolve against it. */
  root: string;
  name: string;
  /** Channel names in channel order (dataset.json's modality / channel_names). */
  channels: string[];
  /** label value → name, background (0) included. */
  labels: Map<number, string>;
  cases: PlanCase[];
  hasValidation: boolean;
}

function stripExt(p: string): string {
  return basename(p).replace(/\.nii(\.gz)?$/i, '');
}

function channelNames(json: Record<string, unknown>, file: string): string[] {
  const key = 'channel_names' in json ? 'channel_names' : 'modality';
  const m = json[key];
  if (m === undefined) throw new ClaraError('missing "modality" (or "channel_names"): expected {"0": "CT"} or similar, one entry per image channel', { file });
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new ClaraError('expected an object {"0": "CT", ...}', { file, path: key });
  const entries = Object.entries(m as Record<string, unknown>);
  if (entries.length === 0) throw new ClaraError('expected at least one channel', { file, path: key });
  const out: string[] = [];
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length)
      throw new ClaraError(`channel keys must be 0..${entries.length - 1}, got "${k}"`, { file, path: joinPath(key, k) });
    if (typeof v !== 'string' || !v) throw new ClaraError(`expected a channel name (string), got ${JSON.stringify(v)}`, { file, path: joinPath(key, k) });
    out[i] = v;
  }
  return out;
}

function labelMap(json: Record<string, unknown>, file: string): Map<number, string> {
  const l = json.labels;
  if (l === null || typeof l !== 'object' || Array.isArray(l)) {
    throw new ClaraError('expected "labels": {"0": "background", "1": "organ", ...}', { file, path: 'labels' });
  }
  const out = new Map<number, string>();
  for (const [k, v] of Object.entries(l as Record<string, unknown>)) {
    // MSD: "1": "liver"; nnU-Net v2: "liver": 1 (region lists are not supported)
    const msd = /^\d+$/.test(k) && typeof v === 'string';
    const value = msd ? Number(k) : v;
    const name = msd ? (v as string) : k;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 255) {
      throw new ClaraError(`expected a label value 0..255 (MSD "1": "name" or nnU-Net v2 "name": 1), got ${JSON.stringify(k)}: ${JSON.stringify(v)}`, {
        file,
        path: joinPath('labels', k),
      });
    }
    out.set(value, name);
  }
  if (!out.has(0)) throw new ClaraError('the labels must include background 0', { file, path: 'labels' });
  if (out.size < 2) throw new ClaraError('the labels need at least one foreground class besides background 0', { file, path: 'labels' });
  return out;
}

function readList(json: Record<string, unknown>, key: 'training' | 'validation', file: string, root: string): PlanCase[] {
  const list = json[key];
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ClaraError('expected a list of {"image": ..., "label": ...}', { file, path: key });
  return list.map((e: unknown, i: number) => {
    const at = joinPath(key, i);
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new ClaraError('expected {"image": ..., "label": ...}', { file, path: at });
    const o = e as Record<string, unknown>;
    const path = (p: unknown, where: string): string => {
      if (typeof p !== 'string' || !p) throw new ClaraError(`expected a file path, got ${JSON.stringify(p)}`, { file, path: where });
      return isAbsolute(p) ? p : resolve(root, p);
    };
    if (!('label' in o)) throw new ClaraError('missing "label": plan needs labelled cases', { file, path: at });
    const images = Array.isArray(o.image) ? o.image.map((p, j) => path(p, joinPath(joinPath(at, 'image'), j))) : [path(o.image, joinPath(at, 'image'))];
    if (images.length === 0) throw new ClaraError('expected at least one image path', { file, path: joinPath(at, 'image') });
    const label = path(o.label, joinPath(at, 'label'));
    return { id: stripExt(label), images, label, list: key, at };
  });
}

/**
 * nnU-Net v2 raw layout (no "training" list): imagesTr/<case>_<channel 4 digits><file_ending>,
 * labelsTr/<case><file_ending>.
 */
function discoverNnunet(json: Record<string, unknown>, file: string, root: string, nChannels: number): PlanCase[] {
  const ending = json.file_ending;
  if (typeof ending !== 'string' || !ending) return [];
  const labelsDir = join(root, 'labelsTr');
  if (!existsSync(labelsDir)) throw new ClaraError(`nnU-Net v2 layout (file_ending ${ending}) but no labelsTr/ folder`, { file });
  return readdirSync(labelsDir)
    .filter((n) => n.endsWith(ending))
    .sort()
    .map((n, i) => {
      const id = n.slice(0, -ending.length);
      const images = Array.from({ length: nChannels }, (_, c) => join(root, 'imagesTr', `${id}_${String(c).padStart(4, '0')}${ending}`));
      return { id, images, label: join(labelsDir, n), list: 'training' as const, at: `labelsTr/${n} (case ${i})` };
    });
}

/** Reads a dataset folder (holding dataset.json) or a dataset.json file. */
export function readPlanDataset(arg: string): PlanDataset {
  const p = resolve(arg);
  if (!existsSync(p)) throw new ClaraError('no such dataset folder or dataset.json', { file: p });
  const file = statSync(p).isDirectory() ? join(p, 'dataset.json') : p;
  if (!existsSync(file)) throw new ClaraError('the dataset folder has no dataset.json (Decathlon layout: dataset.json, imagesTr/, labelsTr/)', { file });
  const json = readDatalistJson(file);
  const root = dirname(file);
  const channels = channelNames(json, file);
  const labels = labelMap(json, file);
  const training = json.training === undefined ? discoverNnunet(json, file, root, channels.length) : readList(json, 'training', file, root);
  if (training.length === 0) {
    throw new ClaraError('expected a non-empty "training" list of {"image", "label"} (MSD), or "file_ending" with imagesTr/ and labelsTr/ (nnU-Net v2)', {
      file,
      path: 'training',
    });
  }
  const validation = readList(json, 'validation', file, root);
  // A validation entry naming the same files as a training one (a one-subject demo) is analysed once.
  const key = (c: PlanCase) => [...c.images, c.label].join('\n');
  const inTraining = new Set(training.map(key));
  const cases = [...training, ...validation.filter((c) => !inTraining.has(key(c)))];
  // Ids must be unique (the cache and the reports key on them): disambiguate by position.
  const seen = new Map<string, number>();
  for (const c of cases) {
    const n = seen.get(c.id) ?? 0;
    seen.set(c.id, n + 1);
    if (n > 0) c.id = `${c.id}#${n}`;
  }
  const name = typeof json.name === 'string' && json.name ? json.name : basename(root);
  return { file, root, name, channels, labels, cases, hasValidation: validation.length > 0 };
}
