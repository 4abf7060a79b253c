// `--set fold=k` (also `train --fold k`): the train section's datalist list split into
// folds (src/io/folds.ts); training reads every case outside fold k, validation the cases of
// fold k. `num_folds` (default: the entries' `fold` keys, else the saved split's, else 5) and `split_seed` are
// variables too. The split is saved as config/splits_final.json of the MMAR.
import { join, resolve } from 'node:path';
import { isPlainObject } from '../util/json-file.js';
import { claraLayout } from '../config/tree.js';
import { assignFolds, DEFAULT_SPLIT_SEED, type FoldAssignment } from '../io/folds.js';
import { loadClaraDatalist } from '../io/datalist.js';
import type { LoadedMmar } from '../mmar/load.js';
import type { Sample } from '../transforms/types.js';
import { ClaraError } from '../util/errors.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (isPlainObject(v) ? (v as Obj) : undefined);

const SPLITS_FILE = join('config', 'splits_final.json');

function intVar(m: LoadedMmar, name: string, min: number): number | undefined {
  const v = m.train.vars.value(name);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min)
    throw new ClaraError(`variable ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`, { file: m.train.file, path: name });
  return n;
}

/** The fold this job trains on / validates, when `fold` is set. */
export function foldOf(m: LoadedMmar): { fold: number; numFolds?: number } | undefined {
  const fold = intVar(m, 'fold', 0);
  if (fold === undefined) return undefined;
  return { fold, numFolds: intVar(m, 'num_folds', 2) };
}

/** The train section's datalist arguments (4.x dataset block or 3.x image_pipeline args) and where they are. */
function trainDatalistArgs(m: LoadedMmar): { args: Obj; path: string } {
  const json = m.train.json;
  const t = obj(json.train) ?? {};
  if (claraLayout(json) === 4) {
    const d = obj(t.dataset);
    if (!d) throw new ClaraError("fold needs the train section's dataset (its datalist is split into folds)", { file: m.train.file, path: 'train.dataset' });
    return { args: { ...(obj(d.args) ?? {}), ...d }, path: 'train.dataset' };
  }
  const a = obj(obj(t.image_pipeline)?.args);
  if (!a)
    throw new ClaraError("fold needs the train section's image_pipeline args (its datalist is split into folds)", {
      file: m.train.file,
      path: 'train.image_pipeline.args',
    });
  return { args: a, path: 'train.image_pipeline.args' };
}

/** The folds of the train datalist (made and saved on first use). */
function foldAssignment(m: LoadedMmar, numFolds?: number): { assignment: FoldAssignment; items: Sample[] } {
  const { args, path } = trainDatalistArgs(m);
  const items = loadClaraDatalist(args, { mmarRoot: m.paths.root, place: { file: m.train.file, path } }) as Sample[];
  const f = args.data_list_file_path as string;
  const assignment = assignFolds({
    datalist: resolve(m.paths.root, f),
    key: typeof args.data_list_key === 'string' ? args.data_list_key : 'training',
    numFolds,
    seed: intVar(m, 'split_seed', 0) ?? DEFAULT_SPLIT_SEED,
    splitsFile: join(m.paths.root, SPLITS_FILE),
  });
  return { assignment, items };
}

/** The cases of a section under `fold`, or undefined when no fold is set. */
export function foldData(m: LoadedMmar, section: 'train' | 'validate', log: (s: string) => void = () => {}): Sample[] | undefined {
  const sel = foldOf(m);
  if (!sel) return undefined;
  const { assignment, items } = foldAssignment(m, sel.numFolds);
  if (sel.fold >= assignment.numFolds)
    throw new ClaraError(`fold ${sel.fold} does not exist: there are ${assignment.numFolds} folds (0..${assignment.numFolds - 1})`, {
      file: m.train.file,
      path: 'fold',
    });
  const out = items.filter((_, i) => (section === 'validate') === (assignment.folds[i] === sel.fold));
  log(
    `fold ${sel.fold} of ${assignment.numFolds} (${assignment.source === 'datalist' ? "the datalist's fold keys" : assignment.splitsFile}): ${out.length} ${section === 'train' ? 'training' : 'validation'} case(s)`,
  );
  return out;
}

/** Under `fold=k` a job's models and outputs go to <MMAR_CKPT_DIR>/fold<k> and <MMAR_EVAL_OUTPUT_PATH>/fold<k>
 *  (nnU-Net's fold_k folders), and MMAR_CKPT (one model) gives way to the fold's own best. */
export function foldPaths(m: LoadedMmar, p: { ckptDir: string; ckpt?: string; evalDir: string }): { ckptDir: string; ckpt?: string; evalDir: string } {
  const f = foldOf(m);
  if (!f) return p;
  return { ckptDir: join(p.ckptDir, `fold${f.fold}`), ckpt: undefined, evalDir: join(p.evalDir, `fold${f.fold}`) };
}
