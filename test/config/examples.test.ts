// The real Clara configs (test/fixtures/clara-examples) and what their search spaces must say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readJsonObject } from '../../src/util/json-file.js';
import { extractSearchSpace } from '../../src/config/search-space.js';
import { applySearchValues } from '../../src/config/search-apply.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { isDisabled } from '../../src/config/tree.js';
import { getAtPath } from '../../src/config/json-path.js';
import { loadMmar } from '../../src/mmar/load.js';

const EX = resolve('test/fixtures/clara-examples');
const MM = resolve('test/fixtures/mmars');

test('every JSON in clara-examples parses and resolves', () => {
  let n = 0;
  for (const dir of ['clara3', 'clara4']) {
    for (const f of readdirSync(join(EX, dir)).filter((x) => x.endsWith('.json'))) {
      const file = join(EX, dir, f);
      const json = readJsonObject(file);
      n++;
      if (f.startsWith('trn_')) {
        const env = readJsonObject(join(EX, dir, 'environment.json'));
        const r = resolveConfig(json, {
          file,
          layers: [
            { values: { DATA_ROOT: '/d', DATASET_JSON: '/d/ds.json', MMAR_CKPT: 'm.pt' }, source: 'builtin' },
            { values: env, source: 'environment' },
          ],
        });
        assert.ok(r.components.length > 10, f);
      } else if (f.startsWith('config_automl')) {
        const r = resolveConfig(json, { file, automl: true, layers: [{ values: { trainconf: 'c.json' }, source: 'builtin' }] });
        assert.ok(
          r.components.some((c) => c.slotKind === 'controller'),
          f,
        );
      }
    }
  }
  assert.equal(n, 9);
});

test('trn_autoML_AMP.json: use_amp is an enum of true/false; commented-out __search/___search are ignored', () => {
  const file = join(EX, 'clara3/trn_autoML_AMP.json');
  const space = extractSearchSpace(readJsonObject(file), { file });
  assert.equal(space.items.length, 1);
  const [it] = space.items;
  assert.equal(it.key, 'net.enum.$0:use_amp');
  assert.equal(it.type, 'enum');
  assert.equal(it.domain, 'net');
  assert.deepEqual(it.choices, [[true], [false]]);
  assert.deepEqual(it.targets, [{ kind: 'var', name: 'use_amp' }]);
  const cfg = readJsonObject(file);
  assert.equal(applySearchValues(cfg, space, { [it.key]: 0 }).use_amp, true);
  assert.equal(applySearchValues(cfg, space, { [it.key]: 1 }).use_amp, false);
});

test('trn_autoML_LR_LP.json: learning-rate float range [1e-4, 1e-3], gamma, and prob#myProb applied to RandGaussianNoised', () => {
  const file = join(EX, 'clara4/trn_autoML_LR_LP.json');
  const cfg = readJsonObject(file);
  const space = extractSearchSpace(cfg, { file });
  const lr = space.items.find((i) => i.key === 'lr.float.$0:learning_rate')!;
  assert.deepEqual(lr.range, [1e-4, 1e-3]);
  assert.equal(lr.log, false, 'one decade: linear');
  assert.deepEqual(lr.targets[0].usedAt, ['train.optimizer.args.lr']);
  const gamma = space.items.find((i) => i.key === 'lr.float.train.lr_scheduler$0:gamma')!;
  assert.deepEqual(gamma.range, [0.1, 0.2]);
  const prob = space.items.find((i) => i.key === 'transform.float.train.pre_transforms[6]$0:prob#myProb')!;
  assert.deepEqual(prob.targets, [
    {
      kind: 'arg',
      name: 'prob',
      componentPath: 'train.pre_transforms[6]',
      alias: 'myProb',
      appliedTo: [{ componentPath: 'train.pre_transforms[7]', arg: 'prob' }],
    },
  ]);
  const out = applySearchValues(cfg, space, { [lr.key]: 5e-4, [gamma.key]: 0.15, [prob.key]: 0.3 });
  assert.equal(out.learning_rate, 5e-4);
  assert.equal(getAtPath(out, 'train.lr_scheduler.args.gamma'), 0.15);
  assert.equal(getAtPath(out, 'train.pre_transforms[6].args.prob'), 0.3);
  assert.equal(getAtPath(out, 'train.pre_transforms[7].args.prob'), 0.3);
  assert.equal(getAtPath(out, 'train.pre_transforms[7].apply'), undefined);
  assert.equal(JSON.stringify(out).includes('"search"'), false);
  assert.equal(getAtPath(cfg, 'train.pre_transforms[6].args.prob'), 0.5, 'input untouched');
  // Without a search, apply takes the declaring component's current value.
  const m = loadMmar(join(MM, 'clara4_LR_LP'));
  assert.equal(getAtPath(m.train.json, 'train.pre_transforms[7].args.prob'), 0.5);
  assert.equal(getAtPath(m.train.json, 'train.optimizer.args.lr'), 2e-4);
});

test('trn_autoML_Loss_Optimizer.json: two enum variables make DiceLoss/FocalLoss and Adam/Novograd mutually exclusive', () => {
  const file = join(EX, 'clara4/trn_autoML_Loss_Optimizer.json');
  const cfg = readJsonObject(file);
  const space = extractSearchSpace(cfg, { file });
  assert.deepEqual(
    space.items.map((i) => i.key),
    ['transform.enum.$0:mySearchLoss1,mySearchLoss2', 'transform.enum.$1:mySearchOptimizer1,mySearchOptimizer2'],
  );
  assert.deepEqual(space.items[0].switches, { mySearchLoss1: ['train.loss[0]'], mySearchLoss2: ['train.loss[1]'] });
  assert.deepEqual(space.items[1].switches, { mySearchOptimizer1: ['train.optimizer[0]'], mySearchOptimizer2: ['train.optimizer[1]'] });
  const seen = new Set<string>();
  for (const a of [0, 1]) {
    for (const b of [0, 1]) {
      const out = applySearchValues(cfg, space, { [space.items[0].key]: a, [space.items[1].key]: b });
      const r = resolveConfig(out, {
        file,
        layers: [{ values: { DATA_ROOT: '/d', DATASET_JSON: '/d/x.json', MMAR_CKPT: 'm', MMAR_CKPT_DIR: 'models' }, source: 'environment' }],
      });
      const enabled = (slot: string) => r.components.filter((c) => c.path.startsWith(`train.${slot}[`) && !isDisabled(c, file)).map((c) => c.name);
      const losses = enabled('loss');
      const opts = enabled('optimizer');
      assert.equal(losses.length, 1, `losses for ${a},${b}: ${losses}`);
      assert.equal(opts.length, 1, `optimizers for ${a},${b}: ${opts}`);
      assert.equal(losses[0], a === 0 ? 'FocalLoss' : 'DiceLoss');
      assert.equal(opts[0], b === 0 ? 'Novograd' : 'Adam');
      seen.add(`${losses[0]}+${opts[0]}`);
      assert.equal(getAtPath(out, 'train.loss[0].apply'), undefined, 'apply resolved into disabled');
    }
  }
  assert.equal(seen.size, 4);
});

test('trn_autoML_Transform.json: @myTransformDisable switches RandFlipd + RandShiftIntensityd; @disabled searched in RandGaussianNoised', () => {
  const file = join(EX, 'clara4/trn_autoML_Transform.json');
  const cfg = readJsonObject(file);
  const space = extractSearchSpace(cfg, { file });
  const [a, b] = space.items;
  assert.equal(a.key, 'transform.enum.$0:@myTransformDisable');
  assert.deepEqual(a.targets[0].kind, 'var');
  assert.deepEqual(a.switches, { myTransformDisable: ['train.pre_transforms[6]', 'train.pre_transforms[7]'] });
  assert.equal(b.key, 'transform.enum.train.pre_transforms[8]$0:@disabled');
  assert.deepEqual(b.targets, [{ kind: 'disabled', name: 'disabled', componentPath: 'train.pre_transforms[8]' }]);
  assert.deepEqual(b.switches, { '@disabled': ['train.pre_transforms[8]'] });
  for (const [ia, ib] of [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]) {
    const out = applySearchValues(cfg, space, { [a.key]: ia, [b.key]: ib });
    assert.equal(getAtPath(out, 'train.pre_transforms[6].disabled'), ia === 0);
    assert.equal(getAtPath(out, 'train.pre_transforms[7].disabled'), ia === 0);
    assert.equal(getAtPath(out, 'train.pre_transforms[8].disabled'), ib === 0);
    assert.equal(out.myTransformDisable, ia === 0);
    assert.equal(getAtPath(out, 'train.pre_transforms[8].search'), undefined);
  }
});

test('trn_autoML_AMP.json: the commented-out train.__model block is not a component', () => {
  const m = loadMmar(join(MM, 'clara3_AMP'));
  assert.equal(
    m.train.components.some((c) => c.path.includes('__model')),
    false,
  );
  assert.equal(m.train.components.find((c) => c.path === 'train.model')?.byoc, 'CustomArch.SegResnet');
});

test('plain train run (no AutoML): search-only @disabled variables default to the choice that keeps components enabled', () => {
  const t = loadMmar(join(MM, 'clara4_Transform'));
  assert.deepEqual(t.train.searchDefaults, { myTransformDisable: false });
  assert.equal(t.train.components.filter((c) => c.path.startsWith('train.pre_transforms[') && c.disabled === true).length, 0);
  // Loss/Optimizer: no choice enables both, so choice 0 (FocalLoss, Novograd).
  const lo = loadMmar(join(MM, 'clara4_Loss_Optimizer'));
  assert.deepEqual(lo.train.searchDefaults, { mySearchLoss1: true, mySearchLoss2: false, mySearchOptimizer1: true, mySearchOptimizer2: false });
});
