import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { datalistKeys, loadClaraDatalist, loadDatalist } from '../../src/io/datalist.js';
import { tempDir } from './helpers.js';

const DATASET = {
  name: 'Spleen',
  labels: { 0: 'background', 1: 'spleen' },
  training: [
    { image: './imagesTr/spleen_2.nii.gz', label: './labelsTr/spleen_2.nii.gz' },
    { image: 'imagesTr/spleen_3.nii.gz', label: 'labelsTr/spleen_3.nii.gz', weight: 2 },
  ],
  validation: [{ image: ['imagesTr/a_t1.nii.gz', 'imagesTr/a_t2.nii.gz'], label: '/abs/labels/a.nii.gz' }],
  test: ['./imagesTs/spleen_1.nii.gz'],
};

function setup(content: unknown): { dir: string; file: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  mkdirSync(join(dir, 'lists'));
  const file = join(dir, 'lists', 'dataset.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { dir, file, cleanup };
}

test('training / validation / test lists resolve against the base dir', () => {
  const { dir, file, cleanup } = setup(DATASET);
  try {
    assert.deepEqual(datalistKeys(file), ['training', 'validation', 'test']);
    const tr = loadDatalist(file, { baseDir: dir });
    assert.deepEqual(tr, [
      { image: join(dir, 'imagesTr/spleen_2.nii.gz'), label: join(dir, 'labelsTr/spleen_2.nii.gz') },
      { image: join(dir, 'imagesTr/spleen_3.nii.gz'), label: join(dir, 'labelsTr/spleen_3.nii.gz'), weight: 2 },
    ]);
    const va = loadDatalist(file, { key: 'validation', baseDir: dir });
    assert.deepEqual(va, [{ image: [join(dir, 'imagesTr/a_t1.nii.gz'), join(dir, 'imagesTr/a_t2.nii.gz')], label: '/abs/labels/a.nii.gz' }]);
    assert.deepEqual(loadDatalist(file, { key: 'test', baseDir: dir }), [{ image: join(dir, 'imagesTs/spleen_1.nii.gz') }]);
    // default base dir: the datalist's folder
    assert.equal(loadDatalist(file)[0].image, join(dir, 'lists', 'imagesTr/spleen_2.nii.gz'));
    // labels untouched when not segmentation
    assert.equal(loadDatalist(file, { baseDir: dir, isSegmentation: false })[0].label, './labelsTr/spleen_2.nii.gz');
  } finally {
    cleanup();
  }
});

test('errors name the file, the key and the index', () => {
  const { file, cleanup } = setup({ training: [{ image: 'a.nii' }, { label: 'b.nii' }], validation: [{ image: 5 }], test: [3], other: { x: 1 } });
  try {
    assert.throws(() => loadDatalist(file), new RegExp(`${file}: training\\[1\\]: missing "image"`));
    assert.throws(() => loadDatalist(file, { key: 'validation' }), /validation\[0\]\.image: expected a file path \(non-empty string\), got number 5/);
    assert.throws(() => loadDatalist(file, { key: 'test' }), /test\[0\]: expected \{"image": \.\.\., "label": \.\.\.\} or a path string, got number 3/);
    assert.throws(
      () => loadDatalist(file, { key: 'trainig' }),
      /data_list_key "trainig" is not in the datalist; it has "training", "validation", "test" \(closest: training/,
    );
    assert.throws(() => loadDatalist(file, { key: 'other' }), /other: expected a list, got an object/);
  } finally {
    cleanup();
  }
});

test('checkExists, bad JSON, missing file', () => {
  const { dir, file, cleanup } = setup(DATASET);
  try {
    mkdirSync(join(dir, 'imagesTr'));
    writeFileSync(join(dir, 'imagesTr', 'spleen_2.nii.gz'), '');
    assert.throws(() => loadDatalist(file, { baseDir: dir, checkExists: true }), /training\[0\]\.label: file not found: .*labelsTr\/spleen_2\.nii\.gz/);
    writeFileSync(file, '{"training": [');
    assert.throws(() => loadDatalist(file), new RegExp(`${file}: invalid JSON at line 1, column 15`));
    assert.throws(() => loadDatalist(join(dir, 'nope.json')), /nope\.json: datalist file not found/);
    writeFileSync(file, '[1]');
    assert.throws(() => loadDatalist(file), /must be a JSON object/);
  } finally {
    cleanup();
  }
});

test('loadClaraDatalist: Clara args, paths relative to the MMAR root, errors name config + JSON path', () => {
  const { dir, file, cleanup } = setup(DATASET);
  try {
    const items = loadClaraDatalist({ data_list_file_path: 'lists/dataset.json', data_file_base_dir: 'data', data_list_key: 'validation' }, { mmarRoot: dir });
    assert.deepEqual(items[0].image, [join(dir, 'data/imagesTr/a_t1.nii.gz'), join(dir, 'data/imagesTr/a_t2.nii.gz')]);
    assert.equal(loadClaraDatalist({ data_list_file_path: file })[0].image, join(dir, 'lists/imagesTr/spleen_2.nii.gz'));
    const place = { file: 'config/config_train.json', path: 'train.dataset' };
    assert.throws(
      () => loadClaraDatalist({ data_list_file_path: 3 }, { place }),
      /config\/config_train\.json: train\.dataset\.data_list_file_path: data_list_file_path must be a path/,
    );
    assert.throws(
      () => loadClaraDatalist({ data_list_file_path: file, data_list_key: ['x'] }, { place }),
      /train\.dataset\.data_list_key: data_list_key must be a string/,
    );
  } finally {
    cleanup();
  }
});
