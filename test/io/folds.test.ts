// Folds: the datalist's own `fold` keys, else a seeded k-fold split saved once as
// splits_final.json and read back; and the train/validate cases a `fold` variable selects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assignFolds, seededKFold } from '../../src/io/folds.js';
import { foldData } from '../../src/train/fold-data.js';
import { loadMmarWithOverrides } from '../../src/train/load-with-overrides.js';
import { tmpMmar } from '../mmar/tmp-mmar.js';

const ids = Array.from({ length: 11 }, (_, i) => `imagesTr/case_${i}.nii.gz`);

test('seededKFold: k disjoint folds covering every case, sizes differ by at most one, same seed same split', () => {
  const s = seededKFold(ids, 3, 7);
  assert.equal(s.length, 3);
  assert.deepEqual(
    s.map((f) => f.val.length),
    [4, 4, 3],
  );
  assert.deepEqual(s.flatMap((f) => f.val).sort(), [...ids].sort());
  for (const f of s) assert.deepEqual([...f.train, ...f.val].sort(), [...ids].sort());
  assert.deepEqual(seededKFold(ids, 3, 7), s);
  assert.notDeepEqual(seededKFold(ids, 3, 8), s);
  assert.throws(() => seededKFold(ids, 1, 0), /num_folds must be an integer >= 2/);
  assert.throws(() => seededKFold(ids.slice(0, 2), 3, 0), /2 case\(s\) cannot be split into 3 folds/);
});

test('assignFolds: fold keys win; otherwise the split is saved and read back; stale or broken files are named', () => {
  const root = tmpMmar({
    'keys.json': { training: ids.map((image, i) => ({ image, label: image, fold: i % 4 })) },
    'plain.json': { training: ids.map((image) => ({ image, label: image })) },
    'mixed.json': { training: [{ image: 'a', fold: 0 }, { image: 'b' }] },
  });
  const k = assignFolds({ datalist: join(root, 'keys.json'), splitsFile: join(root, 'unused.json') });
  assert.equal(k.numFolds, 4);
  assert.equal(k.source, 'datalist');
  assert.deepEqual(
    k.folds,
    ids.map((_, i) => i % 4),
  );
  assert.ok(!existsSync(join(root, 'unused.json')));
  assert.throws(
    () => assignFolds({ datalist: join(root, 'keys.json'), numFolds: 3, splitsFile: join(root, 'x.json') }),
    /num_folds is 3 but the entries' "fold" keys make 4 folds/,
  );
  assert.throws(() => assignFolds({ datalist: join(root, 'mixed.json'), splitsFile: join(root, 'x.json') }), /mixed\.json.*training\[1\]\.fold.*integer fold/s);

  const splits = join(root, 'config', 'splits_final.json');
  const a = assignFolds({ datalist: join(root, 'plain.json'), numFolds: 3, splitsFile: splits });
  assert.equal(a.source, 'new_split');
  const saved = JSON.parse(readFileSync(splits, 'utf8'));
  assert.equal(saved.length, 3);
  assert.deepEqual(Object.keys(saved[0]).sort(), ['train', 'val']);
  // a different seed does not matter once the split is saved: it is read back
  const b = assignFolds({ datalist: join(root, 'plain.json'), numFolds: 3, seed: 99, splitsFile: splits });
  assert.equal(b.source, 'splits_file');
  assert.deepEqual(b.folds, a.folds);
  assert.throws(() => assignFolds({ datalist: join(root, 'plain.json'), numFolds: 5, splitsFile: splits }), /splits_final\.json.*has 3 folds, num_folds is 5/s);
  writeFileSync(
    splits,
    JSON.stringify([
      { train: [], val: ids.slice(1) },
      { train: [], val: [] },
      { train: [], val: [] },
    ]),
  );
  assert.throws(() => assignFolds({ datalist: join(root, 'plain.json'), numFolds: 3, splitsFile: splits }), /does not cover.*case_0/s);
  writeFileSync(splits, '{"train": 1}');
  assert.throws(() => assignFolds({ datalist: join(root, 'plain.json'), numFolds: 3, splitsFile: splits }), /splits_final\.json.*list of \{"train"/s);
});

test('fold=k: training reads the other folds of the train list, validation fold k; errors name the variable', () => {
  const root = tmpMmar({
    'config/config_train.json': JSON.parse(readFileSync('examples/synthetic/config/config_train.json', 'utf8')),
    'config/environment.json': JSON.parse(readFileSync('examples/synthetic/config/environment.json', 'utf8')),
    'data/dataset.json': { training: ids.map((image) => ({ image, label: image })), validation: [{ image: 'v.nii.gz', label: 'v.nii.gz' }] },
  });
  const load = (set: string[]) => loadMmarWithOverrides(root, { set, automl: false });
  assert.equal(foldData(load([]), 'train'), undefined);
  const seen: string[] = [];
  for (let f = 0; f < 3; f++) {
    const m = load([`fold=${f}`, 'num_folds=3']);
    const tr = foldData(m, 'train')!.map((x) => String(x.image)),
      va = foldData(m, 'validate')!.map((x) => String(x.image));
    assert.equal(tr.length + va.length, ids.length);
    assert.ok(va.every((v) => !tr.includes(v)));
    assert.ok(
      va.every((v) => v.startsWith(join(root, 'data'))),
      'absolute paths',
    );
    seen.push(...va);
  }
  assert.equal(new Set(seen).size, ids.length, 'every case is validated once');
  assert.ok(existsSync(join(root, 'config', 'splits_final.json')));
  assert.throws(() => foldData(load(['fold=3', 'num_folds=3']), 'train'), /fold 3 does not exist: there are 3 folds/);
  assert.throws(() => foldData(load(['fold=x']), 'train'), /variable fold must be an integer >= 0/);
});
