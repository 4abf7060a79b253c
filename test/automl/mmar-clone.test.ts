import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cloneMmar } from '../../src/automl/mmar-clone.js';
import { makeMmar } from './fixtures/mmar.js';

test('cloneMmar: key content only, or everything but automl/; environment paths still resolve', () => {
  const mmar = makeMmar({ files: { 'custom/net.js': 'export {}', 'models/model.ckpt': 'weights', 'docs/readme.txt': 'x' } });
  mkdirSync(join(mmar, 'automl', 'run', 'W0_1_J0'), { recursive: true });
  // A data root outside the MMAR's copied content: the job's environment points back at the source.
  writeFileSync(join(mmar, 'config', 'environment.json'), JSON.stringify({ DATA_ROOT: 'data', DATASET_JSON: 'data/dataset.json', MMAR_CKPT_DIR: 'models' }));

  const key = join(mmar, 'automl', 'run', 'W0_1_J0');
  cloneMmar(mmar, key, { keyContentOnly: true, exclude: [] });
  assert.ok(existsSync(join(key, 'config', 'trn_automl.json')));
  assert.ok(existsSync(join(key, 'custom', 'net.js')));
  assert.ok(existsSync(join(key, 'data', 'dataset.json')));
  assert.ok(!existsSync(join(key, 'data', 'big_volume.nii')));
  assert.ok(!existsSync(join(key, 'models')) && !existsSync(join(key, 'docs')) && !existsSync(join(key, 'automl')));
  const env = JSON.parse(readFileSync(join(key, 'config', 'environment.json'), 'utf8'));
  assert.equal(env.DATA_ROOT, join(mmar, 'data'), 'DATA_ROOT made absolute (the volumes were not copied)');
  assert.equal(env.DATASET_JSON, 'data/dataset.json', 'the copied data list stays relative');
  assert.equal(env.MMAR_CKPT_DIR, 'models');

  const full = join(mmar, 'automl', 'run', 'W1_1_J1');
  cloneMmar(mmar, full, { keyContentOnly: false, exclude: [] });
  assert.ok(existsSync(join(full, 'data', 'big_volume.nii')) && existsSync(join(full, 'docs', 'readme.txt')) && existsSync(join(full, 'models', 'model.ckpt')));
  assert.ok(!existsSync(join(full, 'automl')));
  rmSync(mmar, { recursive: true, force: true });
});
