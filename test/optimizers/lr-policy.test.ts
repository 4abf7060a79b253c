import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registry } from '../../src/config/registry.js';
import '../../src/optimizers/register.js';

const ctx = { file: 'config_train.json', path: 'train.lr_policy' };
const lr = { baseLr: 0.01, epochs: 100, iterationsPerEpoch: 10 };
const build = (name: string, args: Record<string, unknown>) =>
  registry.require(name, ctx, 'lr_policy').factory(args, ctx) as { lrAt(e: number, i: number, c: typeof lr): number };

test('Clara 3.x ReducePoly and ReduceCosine over the run length', () => {
  const poly = build('ReducePoly', { poly_power: 0.9 });
  assert.equal(poly.lrAt(0, 0, lr), 0.01);
  assert.ok(Math.abs(poly.lrAt(50, 3, lr) - 0.01 * 0.5 ** 0.9) < 1e-12);
  assert.equal(poly.lrAt(100, 0, lr), 0);
  const cos = build('ReduceCosine', { rate: 0.5 });
  assert.ok(Math.abs(cos.lrAt(50, 0, lr) - 0.005) < 1e-12);
  assert.ok(Math.abs(cos.lrAt(100, 0, lr)) < 1e-12);
});

test('warmup ramps linearly, then the policy takes over; iteration units count globally', () => {
  const p = build('StepLR', { step_size: 10, gamma: 0.1, warmup_epochs: 4 });
  assert.equal(p.lrAt(0, 0, lr), 0);
  assert.ok(Math.abs(p.lrAt(2, 0, lr) - 0.005) < 1e-12);
  assert.equal(p.lrAt(4, 0, lr), 0.01);
  assert.ok(Math.abs(p.lrAt(10, 0, lr) - 0.001) < 1e-12);
  const it = build('StepLR', { step_size: 5000, gamma: 0.1, epoch_level: false });
  assert.equal(it.lrAt(499, 9, lr), 0.01);
  assert.ok(Math.abs(it.lrAt(500, 0, lr) - 0.001) < 1e-12);
  const d = build('DecayOnStep', { decay_ratio: 0.5, decay_freq: 15 });
  assert.equal(d.lrAt(1, 5, lr), 0.005);
});

test('lr policy errors name the JSON path', () => {
  assert.throws(() => build('StepLR', { gamma: 0.1 }), /config_train\.json: train\.lr_policy\.args\.step_size: .*required/);
  assert.throws(() => build('StepLR', { step_size: 0 }), /step_size.*>= 1/);
  assert.throws(() => build('ReducePoly', { warmup_epochs: 2, warmup_steps: 4 }), /warmup_steps/);
});
