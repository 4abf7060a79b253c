// Cross-validation folds of a datalist's cases. Auto3DSeg's convention first: when every
// entry has an integer `fold` key, those are the folds. Otherwise a seeded k-fold split is
// made once and saved next to the configs as nnU-Net's `splits_final.json` (a list of
// {"train": [...], "val": [...]} per fold, cases named by their image path as written in
// the datalist), so every job of a search, and every later `train`/`validate`, uses it.
import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { ClaraError, joinPath } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { readDatalistJson } from './datalist.js';

type SplitsFinal = { train: string[]; val: string[] }[];

export interface FoldAssignment {
  numFolds: number;
  /** The fold of each entry of the list, in datalist order. */
  folds: number[];
  /** Where the folds came from. */
  source: 'datalist' | 'splits_file' | 'new_split';
  splitsFile?: string;
}

/** nnU-Net's default split seed. */
export const DEFAULT_SPLIT_SEED = 12345;

/** A case's name in splits_final.json: its image path as written (the first, for a list of images). */
function caseIdOf(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    const im = (entry as Record<string, unknown>).image;
    if (typeof im === 'string') return im;
    if (Array.isArray(im) && typeof im[0] === 'string') return im[0];
  }
  return undefined;
}

/** Seeded k-fold split (sklearn's KFold(shuffle=True) layout: a shuffled order cut into k
 *  contiguous folds, the first n mod k one case larger). */
export function seededKFold(ids: string[], k: number, seed: number): SplitsFinal {
  if (!Number.isInteger(k) || k < 2) throw new Error(`num_folds must be an integer >= 2, got ${k}`);
  if (ids.length < k) throw new Error(`${ids.length} case(s) cannot be split into ${k} folds`);
  const order = ids.map((_, i) => i);
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out: SplitsFinal = [];
  let at = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(ids.length / k) + (f < ids.length % k ? 1 : 0);
    const val = new Set(order.slice(at, at + size));
    at += size;
    out.push({ train: ids.filter((_, i) => !val.has(i)), val: ids.filter((_, i) => val.has(i)) });
  }
  return out;
}

function readSplits(file: string): SplitsFinal {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ClaraError(`cannot read the saved folds: ${(e as Error).message} (delete it to make new ones)`, { file });
  }
  if (
    !Array.isArray(j) ||
    j.some(
      (f) =>
        !f || typeof f !== 'object' || !Array.isArray(f.train) || !Array.isArray(f.val) || [...f.train, ...f.val].some((x: unknown) => typeof x !== 'string'),
    )
  ) {
    throw new ClaraError('expected nnU-Net\'s splits_final.json: a list of {"train": [case, ...], "val": [case, ...]} (delete it to make new ones)', { file });
  }
  return j as SplitsFinal;
}

interface AssignFoldsOptions {
  datalist: string;
  /** The list to split (default "training"). */
  key?: string;
  /** Folds wanted (default: the datalist's `fold` keys, else the saved split's, else 5). */
  numFolds?: number;
  seed?: number;
  /** Where the split is saved (and read back). */
  splitsFile: string;
}

/** The fold of every case of the datalist's list (see the file comment for the rules). */
export function assignFolds(o: AssignFoldsOptions): FoldAssignment {
  const key = o.key ?? 'training';
  const list = readDatalistJson(o.datalist)[key];
  if (!Array.isArray(list)) throw new ClaraError(`no "${key}" list to make folds from`, { file: o.datalist, path: key });
  const withFold = list.filter((e) => e && typeof e === 'object' && 'fold' in (e as object)).length;
  if (withFold > 0) {
    const folds = list.map((e, i) => {
      const f = (e as Record<string, unknown>)?.fold;
      if (typeof f !== 'number' || !Number.isInteger(f) || f < 0) {
        throw new ClaraError(`expected an integer fold >= 0 on every entry (${withFold} of ${list.length} have one), got ${JSON.stringify(f)}`, {
          file: o.datalist,
          path: joinPath(joinPath(key, i), 'fold'),
        });
      }
      return f;
    });
    const k = Math.max(...folds) + 1;
    if (o.numFolds !== undefined && o.numFolds !== k)
      throw new ClaraError(`num_folds is ${o.numFolds} but the entries' "fold" keys make ${k} folds (0..${k - 1})`, { file: o.datalist, path: key });
    return { numFolds: k, folds, source: 'datalist' };
  }
  const ids = list.map((e, i) => {
    const id = caseIdOf(e);
    if (id === undefined) throw new ClaraError('expected an entry with an "image" path', { file: o.datalist, path: joinPath(key, i) });
    return id;
  });
  const dup = ids.find((x, i) => ids.indexOf(x) !== i);
  if (dup !== undefined) throw new ClaraError(`image "${dup}" is listed twice: folds need one entry per case`, { file: o.datalist, path: key });
  let splits: SplitsFinal;
  let source: FoldAssignment['source'] = 'splits_file';
  let k = o.numFolds ?? 5;
  if (existsSync(o.splitsFile)) {
    splits = readSplits(o.splitsFile);
    // without num_folds, a saved split says how many folds there are
    k = o.numFolds ?? splits.length;
    if (splits.length !== k)
      throw new ClaraError(`the saved split has ${splits.length} folds, num_folds is ${k} (delete the file to make a new split)`, { file: o.splitsFile });
    const saved = new Set(splits.flatMap((f) => f.val));
    const missing = ids.filter((x) => !saved.has(x));
    if (missing.length || saved.size !== ids.length) {
      throw new ClaraError(
        `the saved split does not cover the datalist's "${key}" cases (${missing.length ? `not in it: ${missing.slice(0, 3).join(', ')}` : `${saved.size} saved, ${ids.length} listed`}); delete it to make a new split`,
        { file: o.splitsFile },
      );
    }
  } else {
    splits = seededKFold(ids, k, o.seed ?? DEFAULT_SPLIT_SEED);
    writeJsonAtomic(o.splitsFile, splits);
    source = 'new_split';
  }
  const foldOf = new Map<string, number>();
  splits.forEach((f, i) => f.val.forEach((id) => foldOf.set(id, i)));
  return { numFolds: k, folds: ids.map((id) => foldOf.get(id)!), source, splitsFile: o.splitsFile };
}
