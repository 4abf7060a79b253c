import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runCli } from './run-cli.js';
import { tmpMmar } from '../mmar/tmp-mmar.js';

const MM = resolve('test/fixtures/mmars');

test('config check (text) on the 3.x AMP MMAR: use_amp is an enum of true/false, tree and unregistered names listed', () => {
  const r = runCli(['config', 'check', '-m', join(MM, 'clara3_AMP')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /net\.enum\.\$0:use_amp\n\s+type enum, domain net: true \| false\n\s+target variable use_amp/);
  assert.match(r.stdout, /train\.model\s+TestAMPSegResnet\s+\[model, byoc CustomArch\.SegResnet\]/);
  assert.match(r.stdout, /train\.pre_transforms\[2\]\s+ScaleByResolution#ScaleImg\s+\[transform/);
  // every built-in name of Clara's 3.x example is registered now
  assert.match(r.stdout, /not registered yet \(0\)/);
  assert.match(r.stdout, /MyHandler|myAutoMLController/);
});

test('config check lists a component name nothing implements, with its JSON path, and exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-check-'));
  cpSync(join(MM, 'clara3_AMP'), dir, { recursive: true });
  const file = join(dir, 'config', 'config_train.json');
  const j = JSON.parse(readFileSync(file, 'utf8'));
  j.train.aux_ops[0].name = 'MyFancyAuxOp';
  writeFileSync(file, JSON.stringify(j));
  const r = runCli(['config', 'check', '-m', dir]);
  assert.equal(r.code, 1, r.stderr); // the config would not train (#19)
  assert.match(r.stderr, /^error: .*train\.aux_ops\[0\]\.name: unknown component 'MyFancyAuxOp'/);
  assert.match(r.stdout, /not registered yet \(1\):\n\s+MyFancyAuxOp\s+at .*config_train\.json: train\.aux_ops\[0\]\.name/);
});

test('config check --json on the 4.x MMARs: float lr range, exclusive loss/optimizer switches', () => {
  let r = runCli(['config', 'check', '-m', join(MM, 'clara4_LR_LP'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  let j = JSON.parse(r.stdout);
  const lr = j.search.find((s: { key: string }) => s.key === 'lr.float.$0:learning_rate');
  assert.deepEqual(lr.range, [0.0001, 0.001]);
  assert.equal(lr.type, 'float');
  // every unregistered name comes with its JSON path; UNet is registered (models branch)
  assert.ok(j.unregistered.every((u: { name: string; path: string }) => u.name && /\.name$/.test(u.path)));
  assert.ok(!j.unregistered.some((u: { name: string }) => u.name === 'UNet'));
  assert.ok(j.components.some((c: { path: string; kind: string }) => c.path === 'validate.evaluator' && c.kind === 'evaluator'));
  assert.ok(j.refs.some((x: { path: string; target: string }) => x.path === 'train.handlers[2].args.validator' && x.target === 'validate.evaluator'));

  r = runCli(['config', 'check', '-m', join(MM, 'clara4_Loss_Optimizer'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  j = JSON.parse(r.stdout);
  assert.deepEqual(
    j.search.map((s: { switches: unknown }) => s.switches),
    [
      { mySearchLoss1: ['train.loss[0]'], mySearchLoss2: ['train.loss[1]'] },
      { mySearchOptimizer1: ['train.optimizer[0]'], mySearchOptimizer2: ['train.optimizer[1]'] },
    ],
  );
  assert.deepEqual(j.search[0].choices, [
    [true, false],
    [false, true],
  ]);
});

test('config check --set changes variables; --config picks another train config', () => {
  const r = runCli(['config', 'check', '-m', join(MM, 'clara4_Transform'), '--json', '--set', 'epochs=12 amp=false', '--set', 'DATA_ROOT=data']);
  assert.equal(r.code, 0, r.stderr);
  const vars = Object.fromEntries(JSON.parse(r.stdout).variables.map((v: { name: string; value: unknown; source: string }) => [v.name, [v.value, v.source]]));
  assert.deepEqual(vars.epochs, [12, 'set']);
  assert.deepEqual(vars.amp, [false, 'set']);
  assert.deepEqual(vars.DATA_ROOT, [join(MM, 'clara4_Transform', 'data'), 'set']);
  const r2 = runCli(['config', 'check', '-m', join(MM, 'clara4_Transform'), '--config', 'config/none.json']);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /config\/none\.json: train config not found/);
});

test('config check exits 1 with a clear message: bad JSON, unknown variable, unknown ref, bad --set, unknown @ref', () => {
  const badJson = tmpMmar({ 'config/config_train.json': '{"epochs": 1,,}' });
  let r = runCli(['config', 'check', '-m', badJson]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: .*config_train\.json: invalid JSON at line 1, column 14/);

  const unkVar = tmpMmar({ 'config/config_train.json': { train: { model: { name: 'UNet', args: { n: '{num_classes}' } } } } });
  r = runCli(['config', 'check', '-m', unkVar]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /config_train\.json: train\.model\.args\.n: unknown variable '\{num_classes\}'/);

  const unkRef = tmpMmar({
    'config/config_train.json': { validate: { pre_transforms: [{ ref: 'LoadNifty' }] }, train: { pre_transforms: [{ name: 'LoadNifti' }] } },
  });
  r = runCli(['config', 'check', '-m', unkRef]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /validate\.pre_transforms\[0\]\.ref: ref 'LoadNifty' names no component; closest: LoadNifti/);

  const unkAt = tmpMmar({ 'config/config_train.json': { train: { model: { name: 'UNet' }, trainer: { name: 'T', args: { network: '@modl' } } } } });
  r = runCli(['config', 'check', '-m', unkAt]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /train\.trainer\.args\.network: '@modl' refers to nothing; closest: @model/);

  r = runCli(['config', 'check', '-m', join(MM, 'clara4_LR_LP'), '--set', 'epochs']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error: --set: 'epochs': expected KEY=VALUE/);

  r = runCli(['config', 'check']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /required option '-m, --mmar <dir>'/);
});
