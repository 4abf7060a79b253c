// The serializable description of a cacheable prefix: config-built transforms carry a
// recipe; code-built ones, or args that are not plain data, make the prefix main-thread only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePrefix } from '../../src/data/worker/prefix-recipe.js';
import { transferList } from '../../src/data/worker/transfer.js';
import { composeFromConfig } from '../../src/transforms/build.js';
import { Compose } from '../../src/transforms/compose.js';
import { setRecipe, nonPlain } from '../../src/components/recipe.js';
import { SyntheticLoad } from './synthetic.js';

const place = { file: 'config_train.json', path: 'train.pre_transforms' };

test('a config-built prefix is described up to the first random transform', () => {
  const c = composeFromConfig(
    [
      { name: 'LoadImaged#load', args: { keys: ['image'] } },
      { name: 'ScaleIntensityRanged', args: { keys: 'image', a_min: 0, a_max: 1, b_min: 0, b_max: 1 } },
      { name: 'RandFlipd', args: { keys: 'image', prob: 0.5 } },
      { name: 'EnsureChannelFirstd', args: { keys: 'image' } },
    ],
    place,
  );
  const d = describePrefix(c);
  assert.ok('recipes' in d);
  assert.deepEqual(
    d.recipes.map((r) => [r.name, r.path]),
    [
      ['LoadImaged', 'train.pre_transforms[0]'],
      ['ScaleIntensityRanged', 'train.pre_transforms[1]'],
    ],
  );
  assert.equal(d.recipes[0].alias, 'load');
  assert.deepEqual(structuredClone(d.recipes), d.recipes, 'recipes survive a structured clone');
});

test('code-built transforms and non-plain args have no usable recipe, and the reason says which', () => {
  const c = new Compose([new SyntheticLoad()]);
  assert.match((describePrefix(c) as { reason: string }).reason, /transform 0 \(SyntheticLoad\) was built in code/);
  const t = new SyntheticLoad();
  setRecipe(t, { name: 'SyntheticLoad', args: { fn: () => 1 }, file: 'f.json', path: 'train.pre_transforms[0]' });
  assert.match((describePrefix(new Compose([t])) as { reason: string }).reason, /train\.pre_transforms\[0\].*args\.fn is a function/);
  assert.equal(nonPlain({ a: [1, 'x', { b: new Float32Array(2) }] }), undefined);
  assert.match(nonPlain({ a: [new Map()] })!, /args\.a\[0\] is a Map instance/);
});

test('transferList lists each buffer once (shared views, nested meta)', () => {
  const buf = new ArrayBuffer(64);
  const a = new Float32Array(buf, 0, 4),
    b = new Float32Array(buf, 16, 4),
    c = new Int32Array(8);
  const list = transferList([{ image: { data: a, shape: [4] }, label: { data: b, shape: [4] }, meta: { fg: c, name: 'x' } }]);
  assert.equal(list.length, 2);
  assert.ok(list.includes(buf) && list.includes(c.buffer as ArrayBuffer));
});
