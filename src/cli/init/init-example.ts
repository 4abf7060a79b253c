// `clara-train init --example synthetic|brain DIR`: a complete MMAR (config/ from
// examples/<name>/ and a dataset under data/ with a Decathlon dataset.json).
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { packageRoot } from '../../native/index.js';
import { readNifti, writeNifti } from '../../io/nifti/index.js';
import { writeJsonAtomic } from '../../util/atomic-fs.js';
import { ClaraError } from '../../util/errors.js';
import { DEFAULT_SYNTHETIC, syntheticCase, type SyntheticOptions } from './synthetic-data.js';

export const EXAMPLES = ['synthetic', 'brain'] as const;
export type ExampleName = (typeof EXAMPLES)[number];

export interface InitOptions {
  example: ExampleName;
  dir: string;
  /** synthetic: training and validation case counts, volume size, seed. */
  trainCases?: number;
  valCases?: number;
  size?: number;
  seed?: number;
  classes?: 1 | 2;
  /** Overwrite files in a non-empty folder. */
  force?: boolean;
  /** brain: where mricron-data's templates are. */
  templatesDir?: string;
  log?: (s: string) => void;
}

export const MRICRON_TEMPLATES = '/usr/share/mricron/templates';

function copyDir(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const n of readdirSync(src)) {
    const s = join(src, n),
      d = join(dst, n);
    if (statSync(s).isDirectory()) copyDir(s, d);
    else copyFileSync(s, d);
  }
}

function checkTarget(dir: string, force?: boolean): void {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !force) {
    throw new ClaraError('the folder exists and is not empty (use --force to write into it)', { file: dir });
  }
}

export async function initSynthetic(o: InitOptions): Promise<string> {
  const dir = resolve(o.dir);
  const log = o.log ?? (() => {});
  const opts: SyntheticOptions = { ...DEFAULT_SYNTHETIC, size: o.size ?? DEFAULT_SYNTHETIC.size, classes: o.classes ?? DEFAULT_SYNTHETIC.classes };
  const nTrain = o.trainCases ?? 12,
    nVal = o.valCases ?? 4;
  const seed = o.seed ?? 0;
  mkdirSync(join(dir, 'data', 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'data', 'labelsTr'), { recursive: true });
  const entries: { image: string; label: string }[] = [];
  for (let i = 0; i < nTrain + nVal; i++) {
    const c = syntheticCase(seed * 100003 + i + 1, opts);
    const id = `case_${String(i).padStart(3, '0')}`;
    const image = `imagesTr/${id}.nii.gz`,
      label = `labelsTr/${id}.nii.gz`;
    await writeNifti(join(dir, 'data', image), { data: c.image, shape: c.shape, affine: c.affine }, { dtype: 'int16' });
    await writeNifti(join(dir, 'data', label), { data: c.label, shape: c.shape, affine: c.affine }, { dtype: 'uint8' });
    entries.push({ image, label });
  }
  const labels: Record<string, string> = { '0': 'background', '1': 'organ' };
  if (opts.classes === 2) labels['2'] = 'small_organ';
  writeJsonAtomic(join(dir, 'data', 'dataset.json'), {
    name: 'SyntheticOrgans',
    description: `clara-train synthetic task: ${opts.size}^3 CT-like volumes (${opts.spacing} mm), textured ellipsoid organs in noise; seed ${seed}`,
    tensorImageSize: '3D',
    modality: { '0': 'CT' },
    labels,
    numTraining: nTrain,
    numValidation: nVal,
    training: entries.slice(0, nTrain),
    validation: entries.slice(nTrain),
  });
  log(`wrote ${nTrain + nVal} synthetic cases (${opts.size}^3) to ${join(dir, 'data')}`);
  return dir;
}

export async function initBrain(o: InitOptions): Promise<string> {
  const dir = resolve(o.dir);
  const log = o.log ?? (() => {});
  const t = o.templatesDir ?? MRICRON_TEMPLATES;
  const img = join(t, 'ch2.nii.gz'),
    bet = join(t, 'ch2bet.nii.gz');
  for (const f of [img, bet]) {
    if (!existsSync(f)) {
      throw new ClaraError(
        "the brain example needs Debian's mricron-data package (the Colin27 'ch2' T1 MRI and its brain-extracted 'ch2bet'): " +
          'install it with `sudo apt-get install mricron-data` (files land in /usr/share/mricron/templates), or use `--example synthetic`, which needs no download',
        { file: f },
      );
    }
  }
  mkdirSync(join(dir, 'data', 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'data', 'labelsTr'), { recursive: true });
  copyFileSync(img, join(dir, 'data', 'imagesTr', 'ch2.nii.gz'));
  const b = await readNifti(bet);
  const mask = new Uint8Array(b.data.length);
  for (let i = 0; i < mask.length; i++) mask[i] = b.data[i] > 0 ? 1 : 0;
  await writeNifti(join(dir, 'data', 'labelsTr', 'ch2_brain.nii.gz'), { data: mask, shape: b.shape.slice(0, 3), affine: b.affine }, { dtype: 'uint8' });
  const e = { image: 'imagesTr/ch2.nii.gz', label: 'labelsTr/ch2_brain.nii.gz' };
  writeJsonAtomic(join(dir, 'data', 'dataset.json'), {
    name: 'BrainMask-ch2',
    description:
      'Brain extraction on the Colin27 T1 template (Debian mricron-data: ch2.nii.gz; label = ch2bet.nii.gz > 0). One subject: training and validation use the same volume (a real-data demonstration, not a generalisation test).',
    tensorImageSize: '3D',
    modality: { '0': 'MRI-T1' },
    labels: { '0': 'background', '1': 'brain' },
    numTraining: 1,
    training: [e],
    validation: [e],
  });
  log(`wrote the ch2 brain MRI and its brain mask to ${join(dir, 'data')}`);
  return dir;
}

/** Synthetic volumes: an edge of 8..512 voxels (a case is 3 bytes per voxel on disk before gzip, more while made). */
const SYNTHETIC_SIZE = { min: 8, max: 512 } as const;
const MAX_CASES = 10_000;

function checkSyntheticOptions(o: InitOptions): void {
  const size = o.size ?? DEFAULT_SYNTHETIC.size;
  if (!Number.isInteger(size) || size < SYNTHETIC_SIZE.min || size > SYNTHETIC_SIZE.max) {
    throw new ClaraError(`expected a volume edge of ${SYNTHETIC_SIZE.min} to ${SYNTHETIC_SIZE.max} voxels, got ${size}`, { path: '--size' });
  }
  for (const [flag, v, min] of [
    ['--train-cases', o.trainCases, 1],
    ['--val-cases', o.valCases, 1],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > MAX_CASES))
      throw new ClaraError(`expected ${min} to ${MAX_CASES} cases, got ${v}`, { path: flag });
  }
}

/**
 * Makes the MMAR in a temporary sibling folder and moves it into place only when it is
 * complete: a failure (a bad option, a full disk, a kill) leaves no half-written MMAR.
 */
export async function initExample(o: InitOptions): Promise<string> {
  if (!EXAMPLES.includes(o.example)) throw new ClaraError(`unknown example '${o.example}'; known: ${EXAMPLES.join(', ')}`, { path: '--example' });
  if (o.example === 'synthetic') checkSyntheticOptions(o);
  const dir = resolve(o.dir);
  checkTarget(dir, o.force);
  const tpl = join(packageRoot(), 'examples', o.example);
  if (!existsSync(tpl)) throw new ClaraError('the example templates are missing from the installation', { file: tpl });
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  for (const n of readdirSync(parent)) if (n.startsWith(`.${basename(dir)}.init-`)) rmSync(join(parent, n), { recursive: true, force: true }); // a killed init's leftovers
  const tmp = join(parent, `.${basename(dir)}.init-${process.pid}`);
  try {
    copyDir(tpl, tmp);
    const inner = { ...o, dir: tmp, log: (m: string) => o.log?.(m.split(tmp).join(dir)) };
    if (o.example === 'synthetic') await initSynthetic(inner);
    else await initBrain(inner);
    mkdirSync(join(tmp, 'models'), { recursive: true });
    if (!existsSync(dir) || readdirSync(dir).length === 0) {
      if (existsSync(dir)) rmdirSync(dir);
      renameSync(tmp, dir);
    } else {
      for (const n of readdirSync(tmp)) {
        rmSync(join(dir, n), { recursive: true, force: true });
        renameSync(join(tmp, n), join(dir, n));
      }
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return dir;
}
