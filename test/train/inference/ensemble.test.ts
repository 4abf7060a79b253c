// Ensemble probabilities are the mean of the members' softmax; mirror TTA is the mean over
// the 8 flips with each output flipped back (checked against a direct computation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensembleInferer, ensembleProbabilities, mirrorAxes, type EnsembleMember } from '../../../src/train/inference/ensemble.js';
import { Rng } from '../../../src/util/random.js';
import { tinyNet } from '../tiny-net.js';

await tf.setBackend('cpu');
const direct = (x: tf.Tensor, m: EnsembleMember) => m.net.apply(x, false);
const member = (seed: number, activation: 'softmax' | 'sigmoid' = 'softmax'): EnsembleMember => ({ net: tinyNet(seed), inferer: (x, f) => f(x), activation });
const image = () => {
  const r = new Rng(3);
  return tf.tensor5d(
    Float32Array.from({ length: 5 * 6 * 7 }, () => r.random()),
    [1, 5, 6, 7, 1],
  );
};
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

test('mirrorAxes: identity without TTA, the 8 subsets of the spatial axes with it', () => {
  assert.deepEqual(mirrorAxes(false), [[]]);
  const all = mirrorAxes(true);
  assert.equal(all.length, 8);
  assert.equal(new Set(all.map((a) => a.join(','))).size, 8);
  assert.ok(all.every((a) => a.every((x) => x >= 1 && x <= 3)));
});

test("the ensemble is the mean of the members' softmax probabilities", async () => {
  const x = image();
  const ms = [member(1), member(2), member(3)];
  const got = await ensembleProbabilities(x, ms, false);
  const want = tf.tidy(() => tf.div(tf.addN(ms.map((m) => tf.softmax(direct(x, m), -1))), 3));
  assert.ok(maxDiff(got, want) < 1e-6);
  const sums = tf.tidy(() => tf.sum(got, -1));
  assert.ok(maxDiff(sums, tf.onesLike(sums)) < 1e-5, 'probabilities');
  // the evaluator's argmax of the inferer's output is the argmax of the mean probabilities
  const inf = await ensembleInferer(ms, false)(x, () => {
    throw new Error('the evaluator network is not used');
  });
  assert.deepEqual(Array.from(tf.argMax(inf, -1).dataSync()), Array.from(tf.argMax(want, -1).dataSync()));
});

test('TTA averages the 8 mirrored predictions flipped back; a sigmoid member is thresholded at 0.5', async () => {
  const x = image();
  const m = member(4);
  const got = await ensembleProbabilities(x, [m], true);
  const want = tf.tidy(() =>
    tf.div(tf.addN(mirrorAxes(true).map((ax) => (ax.length ? tf.reverse(tf.softmax(direct(tf.reverse(x, ax), m), -1), ax) : tf.softmax(direct(x, m), -1)))), 8),
  );
  assert.ok(maxDiff(got, want) < 1e-6);
  // a conv with an asymmetric kernel is not mirror-equivariant: TTA changes the result
  const plain = await ensembleProbabilities(x, [m], false);
  assert.ok(maxDiff(got, plain) > 1e-4);
  // one-channel (sigmoid) members: the inferer returns mean probability − 0.5 (> 0 = foreground)
  const one: EnsembleMember = {
    net: { inner: null, apply: (t) => tf.sub(t as tf.Tensor, 0.5), namedWeights: () => [] },
    inferer: (t, f) => f(t),
    activation: 'sigmoid',
  };
  const out = await ensembleInferer([one], false)(x, (t) => t);
  const wantOne = tf.tidy(() => tf.sub(tf.sigmoid(tf.sub(x, 0.5)), 0.5));
  assert.ok(maxDiff(out, wantOne) < 1e-6);
  await assert.rejects(() => ensembleProbabilities(x, [], false), /at least one model/);
});
