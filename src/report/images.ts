// Prediction images of the best job: `clara-train infer` (a child process, like every job)
// segments its validation cases with its best checkpoint; a few cases are cut into
// axial/coronal/sagittal slices with ground truth and prediction overlaid, written as PNGs
// under automl/<run_id>/report/images/ (kept for MLflow) and returned for the page. The
// images are made again only when the best job changes.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CLARA_BIN } from '../automl/executor.js';
import { loadDatalist } from '../io/datalist.js';
import { readNifti } from '../io/nifti/index.js';
import { loadMmar } from '../mmar/load.js';
import { jobCkptDir } from '../jobs/paths.js';
import { readJsonFile } from '../util/json-file.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import type { SliceImage } from './html.js';
import { encodePng } from './png.js';
import { binaryDice, foregroundCentre, renderSlice, VIEWS } from './slices.js';

interface ImagesResult {
  images: SliceImage[];
  note?: string;
}

interface Manifest {
  job: string;
  images: { caseId: string; view: SliceImage['view']; file: string; dice?: number }[];
}

const stripExt = (f: string) => basename(f).replace(/\.nii(\.gz)?$/, '');

function runInfer(jobFolder: string, out: string, datalist: string, log: (l: string) => void): Promise<string | undefined> {
  return new Promise((res) => {
    let cmd = [process.execPath, CLARA_BIN];
    const env = process.env.CLARA_CLI_COMMAND;
    if (env) {
      let c: unknown;
      try {
        c = JSON.parse(env);
      } catch {
        /* below */
      }
      if (!Array.isArray(c) || c.length === 0 || !c.every((x) => typeof x === 'string'))
        return res(`CLARA_CLI_COMMAND must be a JSON list of strings, got ${env}`);
      cmd = c;
    }
    // Only the cases shown: a data list of them (absolute paths) as DATASET_JSON.
    const args = [...cmd.slice(1), 'infer', '-m', jobFolder, '-o', out, '--set', `DATASET_JSON=${datalist}`];
    log(`report: segmenting the validation cases of ${basename(jobFolder)} for the prediction images`);
    const child = spawn(cmd[0], args, {
      cwd: jobFolder,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES ?? '' },
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      res(`could not run clara-train infer: ${e.message}`);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      res(code === 0 ? undefined : `clara-train infer exited with ${sig ?? code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
    });
  });
}

/** Validation cases (image, label) of a job MMAR, from its environment's DATASET_JSON. */
function validationCases(jobFolder: string): { image: string; label?: string }[] {
  const m = loadMmar(jobFolder, { automl: false });
  const ds = m.environment.DATASET_JSON;
  if (typeof ds !== 'string') return [];
  const base = typeof m.environment.DATA_ROOT === 'string' ? m.environment.DATA_ROOT : dirname(ds);
  for (const key of ['validation', 'testing', 'training']) {
    try {
      const items = loadDatalist(ds, { key, baseDir: base });
      return items.map((it) => ({
        image: Array.isArray(it.image) ? it.image[0] : it.image,
        ...(it.label ? { label: Array.isArray(it.label) ? it.label[0] : it.label } : {}),
      }));
    } catch {
      /* try the next list */
    }
  }
  return [];
}

/**
 * The images of `job` (its folder `jobFolder`) under `dir` (automl/<run_id>/report):
 * reused when made for the same job, else made with `clara-train infer`.
 */
export async function predictionImages(
  job: string,
  jobFolder: string | undefined,
  dir: string,
  o: { maxCases?: number; log?: (l: string) => void } = {},
): Promise<ImagesResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const manifestFile = join(dir, 'images.json');
  if (existsSync(manifestFile)) {
    try {
      const m = readJsonFile(manifestFile) as Manifest;
      if (m.job === job && m.images.every((im) => existsSync(join(dir, im.file)))) {
        return {
          images: m.images.map((im) => ({
            caseId: im.caseId,
            view: im.view,
            png: readFileSync(join(dir, im.file)),
            ...(im.dice !== undefined ? { dice: im.dice } : {}),
          })),
        };
      }
    } catch {
      /* made again */
    }
  }
  if (!jobFolder || !existsSync(jobFolder)) return { images: [], note: `the folder of ${job} is gone (num_mmars_to_keep)` };
  if (!existsSync(jobCkptDir(jobFolder))) return { images: [], note: `${job} has no checkpoint folder (MMAR_CKPT_DIR)` };
  let cases: { image: string; label?: string }[];
  try {
    cases = validationCases(jobFolder).slice(0, o.maxCases ?? 3);
  } catch (e) {
    return { images: [], note: `could not read the validation list of ${job}: ${(e as Error).message}` };
  }
  if (cases.length === 0) return { images: [], note: `${job}'s MMAR has no validation list (DATASET_JSON)` };
  const predDir = join(dir, 'predictions');
  rmSync(predDir, { recursive: true, force: true });
  const datalist = join(dir, 'cases.json');
  writeJsonAtomic(datalist, { validation: cases, training: cases });
  const err = await runInfer(jobFolder, predDir, datalist, log);
  if (err) return { images: [], note: err };
  const imgDir = join(dir, 'images');
  rmSync(imgDir, { recursive: true, force: true });
  const images: SliceImage[] = [];
  const manifest: Manifest = { job, images: [] };
  const notes: string[] = [];
  for (const c of cases) {
    const seg = join(predDir, `${stripExt(c.image)}_seg.nii.gz`);
    if (!existsSync(seg)) {
      notes.push(`no prediction for ${basename(c.image)}`);
      continue;
    }
    const img = await readNifti(c.image),
      pred = await readNifti(seg),
      lab = c.label && existsSync(c.label) ? await readNifti(c.label) : undefined;
    const shape = img.shape.slice(0, 3);
    const same = (s: number[]) => s.length >= 3 && s.slice(0, 3).every((x, i) => x === shape[i]) && s.slice(3).every((x) => x === 1);
    if (!same(img.shape) || !same(pred.shape) || (lab && !same(lab.shape))) {
      notes.push(`${basename(c.image)}: image, label and prediction are not on one 3-D grid`);
      continue;
    }
    const at = foregroundCentre(shape, lab?.data, pred.data);
    const dice = lab ? binaryDice(lab.data, pred.data) : undefined;
    const caseId = stripExt(c.image);
    for (const view of VIEWS) {
      const s = renderSlice(view, shape, img.data, lab?.data, pred.data, at);
      const png = encodePng(s.width, s.height, s.rgb);
      const file = `images/${caseId}_${view}.png`;
      writeFileAtomic(join(dir, file), png);
      images.push({ caseId, view, png, ...(dice !== undefined ? { dice } : {}) });
      manifest.images.push({ caseId, view, file, ...(dice !== undefined ? { dice } : {}) });
    }
  }
  rmSync(predDir, { recursive: true, force: true });
  writeJsonAtomic(manifestFile, manifest);
  return { images, ...(notes.length ? { note: notes.join('; ') } : {}) };
}
