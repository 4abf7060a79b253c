// The dataset fingerprint: per-case statistics against direct computations on the NIfTI data,
// pooled (equal-weight mixture) statistics, the cache, and the verification pass on a broken copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initExample } from '../../src/cli/init/init-example.js';
import { readNifti, writeNifti } from '../../src/io/nifti/index.js';
import { readPlanDataset } from '../../src/plan/dataset.js';
import { fingerprintDataset, mixtureQuantile } from '../../src/plan/fingerprint.js';
import { channelStats, percentileSorted } from '../../src/plan/case-stats.js';
import { Rng } from '../../src/util/random.js';
import { breakDataset } from './datasets.js';

let tmp: string, data: string;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'clara-plan-fp-'));
  await initExample({ example: 'synthetic', dir: join(tmp, 'synth'), trainCases: 4, valCases: 2, size: 24, classes: 2 });
  data = join(tmp, 'synth', 'data');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('per-case geometry, class voxels and foreground intensities match the NIfTI data', async () => {
  const ds = readPlanDataset(data);
  assert.equal(ds.cases.length, 6);
  const fp = await fingerprintDataset(ds, { progress: null });
  assert.deepEqual(fp.issues, []);
  const c = fp.cases[0];
  const img = await readNifti(c.images[0]),
    lab = await readNifti(c.label);
  assert.deepEqual(c.shape, [24, 24, 24]);
  assert.deepEqual(c.spacing, [1.5, 1.5, 1.5]);
  assert.equal(c.orientation, 'RAS');
  const iv = img.scaled(),
    lv = lab.scaled();
  const fg: number[] = [];
  const counts: Record<string, number> = {};
  for (let i = 0; i < lv.length; i++) {
    counts[String(lv[i])] = (counts[String(lv[i])] ?? 0) + 1;
    if (lv[i] > 0) fg.push(iv[i]);
  }
  assert.deepEqual(c.classVoxels, counts);
  fg.sort((a, b) => a - b);
  const mean = fg.reduce((a, b) => a + b, 0) / fg.length;
  const s = c.intensity[0]!;
  assert.equal(s.count, fg.length);
  assert.ok(Math.abs(s.mean - mean) < 1e-9);
  assert.ok(Math.abs(s.std - Math.sqrt(fg.reduce((a, b) => a + (b - mean) ** 2, 0) / fg.length)) < 1e-9);
  assert.equal(s.percentile_99_5, percentileSorted(fg, 99.5));
  assert.equal(s.min, fg[0]);
  // the CT-like images have no zero voxels: the non-zero box is the whole image
  assert.deepEqual(c.nonzeroBoxSize, [24, 24, 24]);
  assert.ok(c.foregroundBox && c.foregroundBox.size.every((x, i) => x === c.foregroundBox!.end[i] - c.foregroundBox!.start[i] && x > 0));
  assert.ok(Object.keys(c.components).length >= 1 && Object.values(c.components).every((n) => n >= 1));
  const sum = Object.values(fp.summary!.classFrequency).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-12);
});

test('pooled percentiles are those of the equal-weight mixture of the cases', () => {
  const rng = new Rng(3);
  const a = Float32Array.from({ length: 4000 }, () => rng.normal(0, 1));
  const b = Float32Array.from({ length: 1000 }, () => rng.normal(1.5, 2)); // fewer voxels, same weight
  const qa = channelStats(a)!.sorted,
    qb = channelStats(b)!.sorted;
  // reference: repeat the smaller case so both weigh the same, and take the plain percentile
  const r7 = (v: number) => +v.toPrecision(7);
  const pooled = Float64Array.from([...a, ...b, ...b, ...b, ...b].map(r7)).sort();
  for (const p of [0.005, 0.25, 0.5, 0.9, 0.995]) {
    const want = percentileSorted(pooled, p * 100),
      got = mixtureQuantile([qa, qb], p);
    assert.ok(Math.abs(got - want) < 0.01, `p=${p}: ${got} vs ${want}`);
  }
});

test('fingerprint.json is a cache: unchanged cases are reused, a touched file is re-read', async () => {
  const ds = readPlanDataset(data);
  const cacheFile = join(tmp, 'cache', 'fingerprint.json');
  const first = await fingerprintDataset(ds, { cacheFile, progress: null });
  assert.equal(first.reused, 0);
  const again = await fingerprintDataset(ds, { cacheFile, progress: null });
  assert.equal(again.reused, 6);
  assert.deepEqual(again.summary, first.summary);
  const t = new Date(Date.now() + 5000);
  utimesSync(ds.cases[2].images[0], t, t);
  const third = await fingerprintDataset(ds, { cacheFile, progress: null });
  assert.equal(third.reused, 5);
  // a cached case is checked against today's labels: dropping class 2 from dataset.json reports it
  const dsFile = join(data, 'dataset.json');
  const original = readFileSync(dsFile, 'utf8');
  const j = JSON.parse(original);
  delete j.labels['2'];
  writeFileSync(dsFile, JSON.stringify(j));
  try {
    const relabelled = await fingerprintDataset(readPlanDataset(data), { cacheFile, progress: null });
    assert.equal(relabelled.reused, 6);
    assert.ok(
      relabelled.issues.length >= 1 &&
        relabelled.issues.every((i) => /label value\(s\) 2 \(\d+ voxels\) are not in dataset.json's labels \{0, 1\}/.test(i.problem)),
      JSON.stringify(relabelled.issues),
    );
  } finally {
    writeFileSync(dsFile, original);
  }
  // a corrupt cache is recomputed, not trusted
  writeFileSync(cacheFile, '{"version": 1, "cases": [');
  assert.equal((await fingerprintDataset(ds, { cacheFile, progress: null })).reused, 0);
  assert.ok(JSON.parse(readFileSync(cacheFile, 'utf8')).cases.length === 6);
});

test('the verification pass names every bad file: shifted label affine, NaN image, label value outside labels, missing file', async () => {
  const b = await breakDataset(data, join(tmp, 'broken'));
  const dsj = JSON.parse(readFileSync(join(b.dir, 'dataset.json'), 'utf8'));
  dsj.training.push({ image: './imagesTr/missing.nii.gz', label: './labelsTr/case_000.nii.gz' });
  writeFileSync(join(b.dir, 'dataset.json'), JSON.stringify(dsj));
  // case_003: the label at another spacing; case_004: the label one slice short
  const l3 = await readNifti(join(b.dir, dsj.training[3].label));
  await writeNifti(
    join(b.dir, dsj.training[3].label),
    { data: l3.data, shape: l3.shape, affine: l3.affine.map((r, i) => r.map((v, j) => (i === j && i < 3 ? 2 : v))) },
    { dtype: 'uint8' },
  );
  const l4 = await readNifti(join(b.dir, dsj.validation[0].label));
  await writeNifti(
    join(b.dir, dsj.validation[0].label),
    { data: l4.data.subarray(0, 24 * 24 * 23), shape: [24, 24, 23], affine: l4.affine },
    { dtype: 'uint8' },
  );
  const fp = await fingerprintDataset(readPlanDataset(b.dir), { progress: null, cacheFile: join(b.dir, 'fp.json') });
  const by = (f: string) =>
    fp.issues
      .filter((i) => i.file === f)
      .map((i) => i.problem)
      .join(' | ');
  assert.match(by(b.affineLabel), /affine \(origin\/direction\) differs from the image's by up to 5\.00 mm/);
  assert.match(by(b.nanImage), /^10 NaN voxel value\(s\)$/);
  assert.match(by(b.badValueLabel), /label value\(s\) 7 \(1 voxels\) are not in dataset.json's labels \{0, 1, 2\}/);
  assert.match(by(join(b.dir, 'imagesTr', 'missing.nii.gz')), /file not found/);
  assert.match(by(join(b.dir, dsj.training[3].label)), /spacing \[2, 2, 2\] mm differs from the image's \[1\.5, 1\.5, 1\.5\] mm/);
  assert.match(by(join(b.dir, dsj.validation[0].label)), /shape \[24, 24, 23\] differs from the image's \[24, 24, 24\]/);
  assert.equal(fp.issues.length, 6, JSON.stringify(fp.issues, null, 1));
});
