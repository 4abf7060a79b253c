import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { slidingWindowFactory } from '../../../src/train/inferers/register.js';
import { windowStarts, scanInterval, importanceMap } from '../../../src/train/inferers/sliding-window.js';
import { SimpleInferer } from '../../../src/train/inferers/inferer.js';
import { monaiFixture } from '../../helpers/monai-fixtures.js';
import { useTestBackend } from '../../helpers/test-backend.js';

await useTestBackend();
interface T {
  shape: number[];
  data: number[];
}
const { data, source } = monaiFixture<{ cases: { args: Record<string, unknown>; input: T; output: T }[] }>('make_inferer_fixtures.py', 'inferers.json');
const ctx = { file: 'config_validation.json', path: 'validate.inferer' };

// the fixture's window-dependent predictor: [0.5 x + mean(window), x - mean(window)]
const predictor = (x: tf.Tensor5D) =>
  tf.tidy(() => {
    const m = tf.mean(x, [1, 2, 3], true);
    return tf.concat([tf.add(tf.mul(x, 0.5), m), tf.sub(x, m)], 4) as tf.Tensor5D;
  });

for (const c of data.cases) {
  test(`sliding window ${JSON.stringify(c.args)} equals MONAI (${source})`, () => {
    const inf = slidingWindowFactory(c.args, ctx);
    const x: tf.Tensor = tf.tensor(c.input.data, c.input.shape);
    const y = inf.infer(x as tf.Tensor5D, predictor);
    assert.deepEqual(y.shape as number[], c.output.shape);
    const got = y.dataSync();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - c.output.data[i]));
    assert.ok(worst < 1e-5, `max abs difference ${worst}`);
  });
}

test("MONAI's window placement: the last window is shifted back inside the image", () => {
  assert.deepEqual(scanInterval([10, 4, 9], [4, 4, 4], [0.25, 0.25, 0.5]), [3, 4, 2]);
  assert.deepEqual(
    windowStarts([10, 4, 4], [4, 4, 4], [3, 4, 4]).map((s) => s[0]),
    [0, 3, 6],
  );
  const g = importanceMap([5, 1, 1], 'gaussian', [0.125, 0.125, 0.125]);
  assert.equal(g[2], 1);
  assert.ok(g[0] >= 1e-3 && g[0] < g[1]);
});

test('SimpleInferer runs the predictor once; bad args name the JSON path', () => {
  let calls = 0;
  const y = new SimpleInferer().infer(tf.ones([1, 2, 2, 2, 1]) as tf.Tensor5D, (x) => {
    calls++;
    return x;
  });
  assert.equal(calls, 1);
  assert.deepEqual(y.shape, [1, 2, 2, 2, 1]);
  assert.throws(() => slidingWindowFactory({ roi_size: [4, 4, 4], overlap: 1 }, ctx), /validate\.inferer\.args\.overlap/);
  assert.throws(() => slidingWindowFactory({}, ctx), /validate\.inferer\.args\.roi_size: .*required/);
  assert.throws(() => slidingWindowFactory({ roi_size: [4, 4] }, ctx), /one or three/);
});
