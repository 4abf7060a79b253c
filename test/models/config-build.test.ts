// The Clara 4.x example MMARs' model, loss, optimizer, lr scheduler, metrics and inferers built by
// the config builder with the real registry: "#@model.parameters()" binds the optimizer to the
// model's named weights, "@optimizer" binds the lr scheduler, log_label names the metric.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import '../../src/cli/builtins.js';
import { ConfigBuilder } from '../../src/config/build.js';
import { loadMmar } from '../../src/mmar/load.js';
import type { SegModel } from '../../src/models/seg-model.js';
import { Optimizer } from '../../src/optimizers/optimizer.js';
import { applyLr, type LrPolicy } from '../../src/optimizers/lr-policy.js';
import type { Metric } from '../../src/metrics/metric.js';
import type { Inferer } from '../../src/train/inferers/inferer.js';
import type { Loss } from '../../src/losses/common.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();
const MM = resolve('test/fixtures/mmars');

test('clara4_LR_LP builds into working components', async () => {
  const m = loadMmar(join(MM, 'clara4_LR_LP'));
  const b = await ConfigBuilder.create(m.train, { mmarRoot: m.paths.root });
  const model = b.build('train.model') as SegModel;
  assert.equal(model.arch, 'UNet');
  const opt = b.build('train.optimizer') as Optimizer;
  assert.ok(opt instanceof Optimizer);
  assert.equal(opt.params, model.trainableWeights);
  const sched = b.build('train.lr_scheduler') as LrPolicy;
  assert.equal(sched.optimizer, opt);
  assert.equal(applyLr(sched, 0, 0, { epochs: 10, iterationsPerEpoch: 1 }), opt.initialLr);
  const loss = b.build('train.loss') as Loss;
  assert.equal(loss.lossName, 'DiceLoss');
  const metric = b.build('validate.key_metric') as Metric;
  assert.equal(metric.name, 'val_mean_dice');
  const acc = b.build('train.key_metric') as Metric;
  assert.equal(acc.name, 'train_acc');
  const inf = b.build('validate.inferer') as Inferer;
  assert.equal(inf.name, 'SlidingWindowInferer');
  model.dispose();
});

test('clara4_Loss_Optimizer: the enabled loss and optimizer alternatives build', async () => {
  const m = loadMmar(join(MM, 'clara4_Loss_Optimizer'));
  const b = await ConfigBuilder.create(m.train, { mmarRoot: m.paths.root });
  const losses = b.buildList('train.loss') as Loss[];
  const opts = b.buildList('train.optimizer') as Optimizer[];
  assert.equal(losses.length, 1);
  assert.equal(opts.length, 1);
  assert.ok(opts[0].params instanceof Map && opts[0].params.size > 0);
});
