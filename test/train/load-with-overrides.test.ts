import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionSetItems, setAtPath, splitPath } from '../../src/train/load-with-overrides.js';

test('--set items with JSON paths are told apart from variables', () => {
  const r = partitionSetItems(['epochs=2 train.pre_transforms[3].args.spatial_size=[16,16,16]', 'learning_rate=1e-4']);
  assert.deepEqual(r.vars, ['epochs=2', 'learning_rate=1e-4']);
  assert.deepEqual(r.paths, [{ path: 'train.pre_transforms[3].args.spatial_size', value: [16, 16, 16] }]);
  assert.deepEqual(splitPath('a.b[2].c'), ['a', 'b', 2, 'c']);
});

test('setAtPath sets inside lists and names a path that does not exist', () => {
  const o = { train: { pre_transforms: [{ args: { a: 1 } }] } };
  setAtPath(o, 'train.pre_transforms[0].args.a', 5, 'f.json');
  assert.equal(o.train.pre_transforms[0].args.a, 5);
  assert.throws(
    () => setAtPath(o, 'train.pre_transforms[4].args.a', 1, 'f.json'),
    /f\.json: train\.pre_transforms\[4\]\.args\.a: .*nothing at train\.pre_transforms\.4/,
  );
});
