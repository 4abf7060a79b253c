// The real Clara 3.x and 4.x train configs run on local data after --set points
// DATASET_JSON/DATA_ROOT at it (1 epoch, crops, model and windows shrunk through JSON-path
// --set items so the run takes seconds).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/run-cli.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';

const fixtures = fileURLToPath(new URL('../fixtures/clara-examples/', import.meta.url));
const registryTs = fileURLToPath(new URL('../../src/config/registry.ts', import.meta.url));
let data = '';

before(async () => {
  data = join(mkdtempSync(join(tmpdir(), 'clara-ex-')), 'synthetic');
  const r = await runCli(['init', '--example', 'synthetic', data, '--train-cases', '2', '--val-cases', '1', '--size', '32']);
  assert.equal(r.code, 0, r.stderr);
});

function mmarWith(version: 'clara3' | 'clara4', config: string): string {
  const dir = mkdtempSync(join(tmpdir(), `clara-${version}-`));
  mkdirSync(join(dir, 'config'));
  copyFileSync(join(fixtures, version, config), join(dir, 'config', 'config_train.json'));
  copyFileSync(join(fixtures, version, 'environment.json'), join(dir, 'config', 'environment.json'));
  return dir;
}

const dataSet = () => [`DATASET_JSON=${join(data, 'data', 'dataset.json')}`, `DATA_ROOT=${join(data, 'data')}`, 'MMAR_CKPT_DIR=models'];

for (const [label, choice] of [
  ['DiceLoss + Adam', ['mySearchLoss1=false', 'mySearchLoss2=true', 'mySearchOptimizer1=false', 'mySearchOptimizer2=true']],
  ['the search defaults (FocalLoss + Novograd)', []],
] as const)
  test(`Clara 4.x trn_autoML_Loss_Optimizer.json trains for an epoch on local data: ${label}`, async () => {
    const dir = mmarWith('clara4', 'trn_autoML_Loss_Optimizer.json');
    const r = await runCli([
      'train',
      '-m',
      dir,
      '--set',
      ...dataSet(),
      ...choice,
      'epochs=1',
      'num_interval_per_valid=1',
      'train.model.args.channels=[4,8,8,8,8]',
      'train.model.args.num_res_units=0',
      'train.pre_transforms[2].args.pixdim=[1.5,1.5,1.5]',
      'train.pre_transforms[5].args.spatial_size=[32,32,32]',
      'train.pre_transforms[5].args.num_samples=1',
      'validate.inferer.args.roi_size=[32,32,32]',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(join(dir, 'models', 'train_stats.json'), 'utf8')) as TrainStats;
    assert.equal(s.status, 'finished');
    assert.equal(s.epochs_completed, 1);
    assert.equal(s.key_metric_name, 'val_mean_dice');
    assert.match(r.stderr, /TensorBoardStatsHandler: TensorBoard is not written here/);
  });

test('Clara 3.x trn_autoML_AMP.json names its missing BYOC model by JSON path, and runs with one', async () => {
  const dir = mmarWith('clara3', 'trn_autoML_AMP.json');
  const shrink = [
    'train.image_pipeline.args.output_crop_size=[32,32,32]',
    'train.image_pipeline.args.output_batch_size=2',
    'train.pre_transforms[5].args.size=[32,32,32]',
    'validate.image_pipeline.args.output_crop_size=[32,32,32]',
  ];
  const missing = await runCli(['train', '-m', dir, '--set', ...dataSet(), 'epochs=1', ...shrink]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /trn|config_train\.json: train\.model\.path: BYOC module for "CustomArch\.SegResnet" not found/);
  // A BYOC module under custom/ that builds the registry's SegResNet from the 3.x args.
  mkdirSync(join(dir, 'custom'));
  writeFileSync(
    join(dir, 'custom', 'CustomArch.mjs'),
    `
import { registry } from ${JSON.stringify(registryTs)};
export function SegResnet(args, ctx) {
  const { blocks_down, blocks_up, init_filters, num_classes, dropout_prob, use_batch_norm, use_group_norm } = args;
  return registry.get('SegResNet').factory({ blocks_down: [1, 1], blocks_up: [1], init_filters: 4, num_classes, dropout_prob, use_batch_norm, use_group_norm }, ctx);
}
`,
  );
  const r = await runCli(['train', '-m', dir, '--set', ...dataSet(), 'epochs=1', ...shrink]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(readFileSync(join(dir, 'models', 'train_stats.json'), 'utf8')) as TrainStats;
  assert.equal(s.status, 'finished');
  assert.equal(s.key_metric_name, 'mean_dice_tc');
  assert.equal(s.val_metrics.length, 1);
});
