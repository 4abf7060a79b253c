// Optimizer trajectories and lr schedules against torch / MONAI on the same gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  adamFactory,
  adamWFactory,
  novogradFactory,
  sgdFactory,
  stepLRFactory,
  cosineAnnealingFactory,
  reducePolyFactory,
  warmupCosineFactory,
} from '../../src/optimizers/register.js';
import { monaiFixture } from '../helpers/monai-fixtures.js';

await tf.setBackend('cpu');
interface Fx {
  params: Record<string, { shape: number[]; data: number[] }>;
  grads: Record<string, number[]>[];
  cases: { optimizer: string; args: Record<string, unknown>; trajectory: Record<string, number[]>[] }[];
  schedulers: { name: string; lrs: number[] }[];
}
const { data, source } = monaiFixture<Fx>('make_optimizer_fixtures.py', 'optimizers.json');
const ctx = { file: 'config_train.json', path: 'train.optimizer' };
const factories: Record<string, typeof adamFactory> = { SGD: sgdFactory, Adam: adamFactory, AdamW: adamWFactory, Novograd: novogradFactory };

for (const c of data.cases) {
  test(`${c.optimizer} ${JSON.stringify(c.args)} follows torch's trajectory (${source})`, () => {
    const opt = factories[c.optimizer](c.args, ctx);
    const params = new Map(Object.entries(data.params).map(([k, v]) => [k, tf.variable(tf.tensor(v.data, v.shape))]));
    data.grads.forEach((g, t) => {
      if (t === 2) opt.lr *= 0.5;
      opt.applyGradients(params, new Map(Object.entries(g).map(([k, v]) => [k, tf.tensor(v, data.params[k].shape)])));
      for (const [k, want] of Object.entries(c.trajectory[t])) {
        const got = params.get(k)!.dataSync();
        want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-5, `step ${t} ${k}[${i}]: ${got[i]} vs torch ${w}`));
      }
    });
    opt.dispose();
  });
}

test('minimize() trains named variables and the state round-trips', () => {
  const opt = adamFactory({ lr: 0.1, params: '#@model.parameters()' }, ctx);
  const w = tf.variable(tf.tensor1d([3, -2]));
  const params = new Map([['w', w]]);
  const loss = () => tf.sum(tf.square(w)) as tf.Scalar;
  const first = opt.minimize(loss, params);
  for (let i = 0; i < 20; i++) opt.minimize(loss, params);
  assert.ok(loss().dataSync()[0] < first / 2);
  const s = opt.getState();
  assert.equal(s.step, 21);
  assert.deepEqual([...s.slots.keys()].sort(), ['w/exp_avg', 'w/exp_avg_sq']);
  const again = adamFactory({ lr: 0.1 }, ctx);
  again.setState(s);
  assert.equal(again.iterations, 21);
});

const lrCtx = { baseLr: 0.1, epochs: 10, iterationsPerEpoch: 1 };
const schedFactories: Record<string, () => ReturnType<typeof stepLRFactory>> = {
  StepLR: () => stepLRFactory({ step_size: 3, gamma: 0.5, optimizer: '@optimizer' }, ctx),
  CosineAnnealingLR: () => cosineAnnealingFactory({ T_max: 10, eta_min: 1e-4 }, ctx),
  PolynomialLR: () => reducePolyFactory({ total_iters: 10, power: 0.9 }, ctx),
  WarmupCosineSchedule: () => warmupCosineFactory({ warmup_steps: 3, t_total: 10, end_lr: 1e-4 }, ctx),
};
for (const s of data.schedulers) {
  test(`${s.name} gives torch's learning rates (${source})`, () => {
    const p = schedFactories[s.name]();
    s.lrs.forEach((want, e) => assert.ok(Math.abs(p.lrAt(e, 0, lrCtx) - want) < 1e-9, `epoch ${e}: ${p.lrAt(e, 0, lrCtx)} vs ${want}`));
  });
}
