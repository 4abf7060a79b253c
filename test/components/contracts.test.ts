import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { checkContract, CONTRACTS } from '../../src/components/contracts.js';
import { asInferer, asLossFn, asLrSchedule, asOptimizer } from '../../src/train/adapters.js';
import { constant, stepLR } from '../../src/optimizers/lr-policy.js';
import { SGD } from '../../src/optimizers/optimizer.js';
import { MedianPruner } from '../../src/automl/pruner.js';
import { SimpleInferer } from '../../src/train/inferers/inferer.js';

const place = { file: 'config/config_train.json', path: 'train.loss' };

test('a BYOC object that misses a contract method gets one error naming the file, path, contract and what is missing', () => {
  assert.throws(
    () => asLossFn({ call: () => tf.scalar(0) }, place),
    /config\/config_train\.json: train\.loss: the loss component does not fit its contract \(a function \(pred, label\) → scalar, or an object with forward\(pred, label\)\): an object with call; missing forward/,
  );
  assert.throws(
    () => asLrSchedule({ getLr: () => 0.1 }, 0.1, { file: 'c.json', path: 'train.lr_policy' }),
    /train\.lr_policy: the lr policy component does not fit its contract .*missing lrAt/,
  );
  assert.throws(
    () => asInferer({ predict: () => 0 }, { file: 'c.json', path: 'validate.inferer' }),
    /validate\.inferer: the inferer component .*missing infer/,
  );
  assert.throws(() => asOptimizer({ applyGradients() {} }, { file: 'c.json', path: 'train.optimizer' }, () => []), /missing getState, setState/);
  assert.throws(
    () => checkContract({}, CONTRACTS.pruner, { file: 'a.json', path: 'pruner' }),
    /a\.json: pruner: the pruner component .*missing shouldPrune, jobEnded/,
  );
  assert.throws(() => checkContract(undefined, CONTRACTS.executor, { path: 'executor' }), /executor: the executor component .*nothing was built/);
});

test('the areas implement their contracts directly: losses, lr policies, optimizers, inferers, pruners', async () => {
  // A loss as a function or as an object with forward (PyTorch's name).
  const f = asLossFn((p: tf.Tensor) => tf.sum(p) as tf.Scalar, place);
  const g = asLossFn({ forward: (p: tf.Tensor) => tf.mean(p) }, place);
  const x = tf.ones([1, 2, 2, 2, 1]);
  assert.equal((await f(x, x).data())[0], 8);
  assert.equal((await g(x, x).data())[0], 1);
  // An lr policy is asked per iteration with the iteration within the epoch.
  const s = asLrSchedule(stepLR(2, 0.5), 0.1, place);
  assert.equal(s.perIteration, true);
  assert.ok(Math.abs(s.lr(0, 0, 10, 4) - 0.1) < 1e-12);
  assert.ok(Math.abs(s.lr(2, 25, 10, 4) - 0.05) < 1e-12);
  assert.equal(asLrSchedule(constant(), 0.3, place).lr(3, 31, 10, 4), 0.3);
  // The optimizer contract, driven with tf.variableGrads' output.
  const v = tf.variable(tf.tensor1d([1, 2]), true, 'w_var');
  const opt = asOptimizer(new SGD({ lr: 0.5 }), place, () => [{ name: 'w', variable: v }]);
  opt.applyGradients({ w_var: tf.tensor1d([1, 1]) });
  assert.deepEqual([...(await v.data())], [0.5, 1.5]);
  // Inferers: the area's class and a plain function.
  const inf = asInferer(new SimpleInferer(), place);
  const y = await inf(x, (t) => t.mul(2));
  assert.equal((await y.sum().data())[0], 16);
  assert.equal(
    asInferer(undefined, place)(x, (t) => t),
    x,
  );
  assert.equal(checkContract(new MedianPruner(), CONTRACTS.pruner, place) instanceof MedianPruner, true);
  tf.dispose([x, y, v]);
});
