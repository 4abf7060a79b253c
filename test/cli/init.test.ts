import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticCase } from '../../src/cli/init/synthetic-data.js';
import { initBrain, initExample, MRICRON_TEMPLATES } from '../../src/cli/init/init-example.js';
import { readNifti } from '../../src/io/nifti/index.js';

const opts = { size: 24, spacing: 2, classes: 2 as const, noise: 30 };

test('synthetic cases are seeded: same seed, same bytes; another seed, another case', () => {
  const a = syntheticCase(7, opts),
    b = syntheticCase(7, opts),
    c = syntheticCase(8, opts);
  assert.deepEqual(a.image, b.image);
  assert.deepEqual(a.label, b.label);
  assert.notDeepEqual(a.image, c.image);
});

test('synthetic organs are brighter than the background and labelled 1 and 2', () => {
  const s = syntheticCase(3, opts);
  const mean = (l: number) => {
    let sum = 0,
      n = 0;
    s.label.forEach((v, i) => {
      if (v === l) {
        sum += s.image[i];
        n++;
      }
    });
    return { m: sum / n, n };
  };
  const bg = mean(0),
    o1 = mean(1),
    o2 = mean(2);
  assert.ok(o1.n > 100 && o2.n > 20, `organ voxels ${o1.n} ${o2.n}`);
  assert.ok(o1.m > bg.m + 100 && o2.m > o1.m, `means ${bg.m} ${o1.m} ${o2.m}`);
  assert.deepEqual(s.affine[0], [2, 0, 0, -23]);
});

test('init --example synthetic writes NIfTI volumes the reader loads back with their affine', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'clara-init-')), 'mmar');
  await initExample({ example: 'synthetic', dir, trainCases: 1, valCases: 1, size: 16, seed: 5 });
  const ds = JSON.parse(readFileSync(join(dir, 'data', 'dataset.json'), 'utf8'));
  const img = await readNifti(join(dir, 'data', ds.training[0].image));
  const lab = await readNifti(join(dir, 'data', ds.training[0].label));
  assert.deepEqual(img.shape, [16, 16, 16]);
  assert.ok(img.data instanceof Int16Array);
  assert.ok(lab.data instanceof Uint8Array);
  assert.deepEqual(img.affine, lab.affine);
  const c = syntheticCase(5 * 100003 + 1, { size: 16, spacing: 1.5, classes: 1, noise: 30 });
  assert.deepEqual(Array.from(lab.data), Array.from(c.label));
  await assert.rejects(initExample({ example: 'synthetic', dir }), /not empty/);
});

test('init --example brain says how to get mricron-data when it is missing', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'clara-brain-')), 'mmar');
  await assert.rejects(initBrain({ example: 'brain', dir, templatesDir: join(dir, 'no-such-templates') }), /apt-get install mricron-data/);
});

test(
  'init --example brain builds the ch2 MMAR with the ch2bet > 0 mask',
  {
    skip:
      !existsSync(join(MRICRON_TEMPLATES, 'ch2bet.nii.gz')) && process.env.CI !== 'true'
        ? 'mricron-data is not installed (apt-get install mricron-data)'
        : false,
  },
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'clara-brain-')), 'mmar');
    await initExample({ example: 'brain', dir });
    const lab = await readNifti(join(dir, 'data', 'labelsTr', 'ch2_brain.nii.gz'));
    const bet = await readNifti(join(MRICRON_TEMPLATES, 'ch2bet.nii.gz'));
    assert.deepEqual(lab.shape, [181, 217, 181]);
    assert.deepEqual(lab.affine, bet.affine);
    let n = 0,
      m = 0;
    for (let i = 0; i < lab.data.length; i++) {
      if (lab.data[i]) n++;
      if (bet.data[i] > 0) m++;
    }
    assert.equal(n, m);
    assert.ok(n > 1e6);
    assert.ok(existsSync(join(dir, 'config', 'config_train.json')));
  },
);
