// Reading datasets for plan: MSD dataset.json (training list, 4D multi-channel images), nnU-Net
// v2's layout (channel_names, labels name → value, file_ending, no list), and clear errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNifti } from '../../src/io/nifti/index.js';
import { readPlanDataset } from '../../src/plan/dataset.js';
import { fingerprintDataset } from '../../src/plan/fingerprint.js';
import { Rng } from '../../src/util/random.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'clara-plan-ds-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const aff = [
  [2, 0, 0, 0],
  [0, 2, 0, 0],
  [0, 0, 3, 0],
  [0, 0, 0, 1],
];
function volumes(seed: number, n = 10) {
  const rng = new Rng(seed);
  const lab = new Uint8Array(n * n * n),
    a = new Float32Array(n * n * n),
    b = new Float32Array(n * n * n);
  for (let i = 0; i < lab.length; i++) {
    lab[i] = rng.random() < 0.2 ? 1 : 0;
    a[i] = rng.normal(100, 10);
    b[i] = rng.normal(-5, 2);
  }
  return { lab, a, b, n };
}

test('MSD: a 4D image holds the channels; statistics per channel; a wrong channel count is reported', async () => {
  const dir = join(tmp, 'msd');
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'labelsTr'), { recursive: true });
  const training = [];
  for (let c = 0; c < 2; c++) {
    const { lab, a, b, n } = volumes(c);
    const four = new Float32Array(a.length * 2);
    for (let i = 0; i < a.length; i++) {
      four[i * 2] = a[i];
      four[i * 2 + 1] = b[i];
    } // C order [i, j, k, channel]
    await writeNifti(join(dir, 'imagesTr', `c${c}.nii.gz`), { data: four, shape: [n, n, n, 2], affine: aff });
    await writeNifti(join(dir, 'labelsTr', `c${c}.nii.gz`), { data: lab, shape: [n, n, n], affine: aff }, { dtype: 'uint8' });
    training.push({ image: `./imagesTr/c${c}.nii.gz`, label: `./labelsTr/c${c}.nii.gz` });
  }
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ modality: { 0: 'FLAIR', 1: 'T1w' }, labels: { 0: 'background', 1: 'lesion' }, training }));
  const fp = await fingerprintDataset(readPlanDataset(dir), { progress: null });
  assert.deepEqual(fp.issues, []);
  const [s0, s1] = fp.summary!.intensity;
  assert.ok(Math.abs(s0!.mean - 100) < 3 && Math.abs(s1!.mean + 5) < 1, `${s0!.mean} ${s1!.mean}`);
  assert.deepEqual(fp.cases[0].spacing, [2, 2, 3]);
  writeFileSync(
    join(dir, 'dataset.json'),
    JSON.stringify({ modality: { 0: 'FLAIR', 1: 'T1w', 2: 'T2w' }, labels: { 0: 'background', 1: 'lesion' }, training }),
  );
  const bad = await fingerprintDataset(readPlanDataset(dir), { progress: null });
  assert.match(bad.issues[0].problem, /has 2 channels \(4th dimension\), dataset.json's modality lists 3/);
  assert.equal(bad.issues[0].file, join(dir, 'imagesTr', 'c0.nii.gz'));
});

test('nnU-Net v2 layout: channel_names, labels as name → value, cases found by file_ending', async () => {
  const dir = join(tmp, 'v2');
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'labelsTr'), { recursive: true });
  for (const id of ['p01', 'p02', 'p03']) {
    const { lab, a, b, n } = volumes(id.charCodeAt(2));
    await writeNifti(join(dir, 'imagesTr', `${id}_0000.nii.gz`), { data: a, shape: [n, n, n], affine: aff });
    await writeNifti(join(dir, 'imagesTr', `${id}_0001.nii.gz`), { data: b, shape: [n, n, n], affine: aff });
    await writeNifti(join(dir, 'labelsTr', `${id}.nii.gz`), { data: lab, shape: [n, n, n], affine: aff }, { dtype: 'uint8' });
  }
  writeFileSync(
    join(dir, 'dataset.json'),
    JSON.stringify({ channel_names: { 0: 'CT', 1: 'PET' }, labels: { background: 0, tumour: 1 }, numTraining: 3, file_ending: '.nii.gz' }),
  );
  const ds = readPlanDataset(join(dir, 'dataset.json'));
  assert.deepEqual(ds.channels, ['CT', 'PET']);
  assert.deepEqual(
    [...ds.labels.entries()],
    [
      [0, 'background'],
      [1, 'tumour'],
    ],
  );
  assert.deepEqual(
    ds.cases.map((c) => c.id),
    ['p01', 'p02', 'p03'],
  );
  assert.deepEqual(
    ds.cases[1].images.map((p) => p.slice(dir.length)),
    ['/imagesTr/p02_0000.nii.gz', '/imagesTr/p02_0001.nii.gz'],
  );
  const fp = await fingerprintDataset(ds, { progress: null });
  assert.deepEqual(fp.issues, []);
  assert.equal(fp.summary!.intensity.length, 2);
});

test('bad dataset.json files are errors naming the file and the field', () => {
  const dir = join(tmp, 'bad');
  mkdirSync(dir, { recursive: true });
  const write = (j: unknown) => {
    writeFileSync(join(dir, 'dataset.json'), JSON.stringify(j));
    return () => readPlanDataset(dir);
  };
  assert.throws(write({ labels: { 0: 'bg', 1: 'x' }, training: [] }), /dataset.json: missing "modality" \(or "channel_names"\)/);
  assert.throws(write({ modality: { 0: 'CT' }, labels: { 1: 'x' }, training: [] }), /dataset.json: labels: the labels must include background 0/);
  assert.throws(write({ modality: { 0: 'CT' }, labels: { 0: 'bg', 1: 'x' }, training: [] }), /dataset.json: training: expected a non-empty "training" list/);
  assert.throws(
    write({ modality: { 0: 'CT' }, labels: { 0: 'bg', 1: 'x' }, training: [{ image: 'a.nii.gz' }] }),
    /dataset.json: training\[0\]: missing "label"/,
  );
  assert.throws(write({ modality: { 0: 'CT' }, labels: { 0: 'bg', x: 'y' }, training: [] }), /labels\.x: expected a label value 0\.\.255/);
});
