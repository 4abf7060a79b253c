// Datasets for the plan tests: a Decathlon folder assembled from Debian mricron-data's brain
// templates (three subjects/templates, two orientations, 0.5 and 1 mm), and a deliberately broken
// copy of a dataset (a label with a different affine, an image with NaN voxels, a label value
// outside `labels`).
import { copyFileSync, existsSync, mkdirSync, readFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti, writeNifti } from '../../src/io/nifti/index.js';
import { writeJsonAtomic } from '../../src/util/atomic-fs.js';

export const TEMPLATES = '/usr/share/mricron/templates';
export const BRAIN_PAIRS: [string, string, string][] = [
  ['ch2', 'ch2.nii.gz', 'ch2bet.nii.gz'],
  ['jhu189', 'jhu189.nii.gz', 'natbrainlab.nii.gz'],
  ['inia19', 'inia19-t1-brain.nii.gz', 'inia19-NeuroMaps.nii.gz'],
];

export function haveTemplates(): boolean {
  return BRAIN_PAIRS.every(([, i, l]) => existsSync(join(TEMPLATES, i)) && existsSync(join(TEMPLATES, l)));
}

/** imagesTr/<id>.nii.gz = the template, labelsTr/<id>.nii.gz = (its atlas or brain-extracted copy) > 0. */
export async function makeBrainDataset(dir: string): Promise<string> {
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'labelsTr'), { recursive: true });
  const training = [];
  for (const [id, img, lab] of BRAIN_PAIRS) {
    copyFileSync(join(TEMPLATES, img), join(dir, 'imagesTr', `${id}.nii.gz`));
    const l = await readNifti(join(TEMPLATES, lab));
    const s = l.scaled();
    const m = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) m[i] = s[i] > 0 ? 1 : 0;
    await writeNifti(join(dir, 'labelsTr', `${id}.nii.gz`), { data: m, shape: l.shape.slice(0, 3), affine: l.affine }, { dtype: 'uint8' });
    training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
  }
  writeJsonAtomic(join(dir, 'dataset.json'), {
    name: 'MricronBrains',
    description: 'brain masks of three mricron templates (ch2, jhu189, inia19)',
    tensorImageSize: '3D',
    modality: { 0: 'MRI' },
    labels: { 0: 'background', 1: 'brain' },
    numTraining: training.length,
    training,
  });
  return dir;
}

/**
 * Copies a dataset folder and breaks three cases: the first training label gets a shifted
 * origin, the second training image a NaN voxel block, the third label a value 7 not in `labels`.
 * Returns the broken files.
 */
export async function breakDataset(src: string, dst: string): Promise<{ dir: string; affineLabel: string; nanImage: string; badValueLabel: string }> {
  cpSync(src, dst, { recursive: true });
  const ds = JSON.parse(readFileSync(join(dst, 'dataset.json'), 'utf8')) as { training: { image: string; label: string }[] };
  const [a, b, c] = ds.training;
  const abs = (p: string) => join(dst, p);
  const la = await readNifti(abs(a.label));
  const aff = la.affine.map((r) => r.slice());
  aff[0][3] += 5;
  aff[1][3] -= 3;
  await writeNifti(abs(a.label), { data: la.data, shape: la.shape, affine: aff }, { dtype: la.dtype });
  const ib = await readNifti(abs(b.image));
  const f = ib.scaled();
  for (let i = 100; i < 110; i++) f[i] = NaN;
  await writeNifti(abs(b.image), { data: f, shape: ib.shape, affine: ib.affine }, { dtype: 'float32' });
  const lc = await readNifti(abs(c.label));
  const d = Uint8Array.from(lc.scaled());
  d[d.length >> 1] = 7;
  await writeNifti(abs(c.label), { data: d, shape: lc.shape, affine: lc.affine }, { dtype: 'uint8' });
  return { dir: dst, affineLabel: abs(a.label), nanImage: abs(b.image), badValueLabel: abs(c.label) };
}

/**
 * An anisotropic CT-like dataset: synthetic cases with every `step`-th slice kept along k, so
 * the k spacing is 1.5 mm x step (6-12 mm) over 1.5 mm in-plane — nnU-Net's anisotropy rule applies.
 */
export async function makeAnisotropicDataset(dir: string, size = 48): Promise<string> {
  const { syntheticCase, DEFAULT_SYNTHETIC } = await import('../../src/cli/init/synthetic-data.js');
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'labelsTr'), { recursive: true });
  const training = [];
  const steps = [4, 4, 5, 5, 6, 8];
  for (let c = 0; c < steps.length; c++) {
    const s = steps[c];
    const v = syntheticCase(1000 + c, { ...DEFAULT_SYNTHETIC, size });
    const nk = Math.ceil(size / s);
    const img = new Int16Array(size * size * nk),
      lab = new Uint8Array(size * size * nk);
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++)
        for (let k = 0; k < nk; k++) {
          img[(i * size + j) * nk + k] = v.image[(i * size + j) * size + k * s];
          lab[(i * size + j) * nk + k] = v.label[(i * size + j) * size + k * s];
        }
    const aff = v.affine.map((r) => r.slice());
    aff[2][2] *= s;
    const id = `aniso_${c}`;
    await writeNifti(join(dir, 'imagesTr', `${id}.nii.gz`), { data: img, shape: [size, size, nk], affine: aff }, { dtype: 'int16' });
    await writeNifti(join(dir, 'labelsTr', `${id}.nii.gz`), { data: lab, shape: [size, size, nk], affine: aff }, { dtype: 'uint8' });
    training.push({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` });
  }
  writeJsonAtomic(join(dir, 'dataset.json'), {
    name: 'AnisotropicSynthetic',
    description: 'synthetic organs, thick slices along k',
    tensorImageSize: '3D',
    modality: { 0: 'CT' },
    labels: { 0: 'background', 1: 'organ' },
    numTraining: training.length,
    training,
  });
  return dir;
}
