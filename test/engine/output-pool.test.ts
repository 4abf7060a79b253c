// The output-buffer pool of the native kernels (src/engine/output-pool.ts): a disposed output's
// array serves the next output of its length, and never while anything else can still see it:
// a dataSync() / data() view, a tensor sharing its dataId (reshape, clone), a second tensor made
// on its buffer. Off with CLARA_OUTPUT_POOL_MB=0; a bad value is refused by name.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels } from '../../src/engine/native-kernels.js';
import { backingArray, installOutputPool, outputF32, outputPoolStats, uninstallOutputPool, type PoolableBackend } from '../../src/engine/output-pool.js';

before(async () => {
  await tf.setBackend('cpu');
  registerNativeKernels();
});

const N = 2 * 16 * 16 * 16 * 4; // above the pooled minimum
const shape = [2, 16, 16, 16, 4];
const ramp = (k: number) =>
  tf.tensor(
    Float32Array.from({ length: N }, (_, i) => (i % 97) + k),
    shape,
  );

test('a disposed native output is reused for the next output of its length, with the new values', () => {
  const a = ramp(0),
    b = ramp(1);
  const t = tf.add(a, b);
  const arr = backingArray(t);
  t.dispose();
  const hits = outputPoolStats.hits;
  const u = tf.mul(a, b);
  assert.equal(backingArray(u), arr, 'the freed array came back');
  assert.ok(outputPoolStats.hits > hits);
  const got = u.dataSync(),
    av = a.dataSync(),
    bv = b.dataSync();
  for (let i = 0; i < N; i += 101) assert.equal(got[i], Math.fround(av[i] * bv[i]));
  tf.dispose([a, b, u]);
});

test('a dataSync() view of a disposed output keeps its values: the array is never recycled', async () => {
  const a = ramp(0),
    b = ramp(5);
  const t = tf.add(a, b);
  const view = t.dataSync(); // the backend's own array, no copy
  const asyncView = tf.sub(a, b);
  const av2 = await asyncView.data();
  const want = Float32Array.from(view),
    want2 = Float32Array.from(av2);
  tf.dispose([t, asyncView]);
  // many outputs of the same length: any reuse of those arrays would overwrite the views
  const outs = [];
  for (let k = 0; k < 6; k++) outs.push(tf.mul(a, tf.scalar(1000 + k)), tf.relu(tf.neg(a)));
  assert.deepEqual(view, want);
  assert.deepEqual(av2, want2);
  for (const o of outs) assert.notEqual((backingArray(o) as Float32Array).buffer, view.buffer);
  tf.dispose([a, b, ...outs]);
});

test('an output shared by a reshape or clone is not recycled until the last holder is disposed', () => {
  const a = ramp(0),
    b = ramp(2);
  const t = tf.add(a, b);
  const r = tf.reshape(t, [N]),
    c = tf.clone(t);
  const arr = backingArray(t);
  const want = Float32Array.from(arr as Float32Array);
  t.dispose();
  r.dispose();
  const u = tf.mul(a, b);
  assert.notEqual(backingArray(u), arr, 'still held by the clone');
  assert.deepEqual(c.dataSync(), want);
  tf.dispose([a, b, u, c]);
});

test('an array that entered the backend twice (a view, a second tensor) is not recycled', () => {
  const be = tf.backend() as unknown as PoolableBackend & { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo };
  const arr = outputF32(N);
  arr.fill(3);
  const t1 = be.makeTensorInfo(shape, 'float32', arr);
  const t2 = be.makeTensorInfo([N / 2], 'float32', arr.subarray(0, N / 2)); // a zero-copy view of it
  const released = outputPoolStats.released;
  be.disposeData(t1.dataId);
  assert.equal(outputPoolStats.released, released, 'shared: not released');
  const again = outputF32(N);
  assert.notEqual(again.buffer, arr.buffer);
  assert.equal((backingArray(t2) as Float32Array)[0], 3);
  be.disposeData(t2.dataId);
});

test('arrays a user gives tfjs are never taken by the pool', () => {
  const mine = new Float32Array(N).fill(7);
  const t = tf.tensor(mine, shape);
  t.dispose();
  const outs = [tf.relu(ramp(0)), tf.relu(ramp(1))];
  for (const o of outs) assert.notEqual(backingArray(o), mine);
  assert.equal(mine[0], 7);
  tf.dispose(outs);
});

test('CLARA_OUTPUT_POOL_MB: 0 leaves the pool off, a bad value is refused by name', () => {
  unregisterNativeKernels(); // takes the pool off the cpu backend
  try {
    const fake = { write: () => 0 } as unknown as PoolableBackend;
    const write = fake.write;
    assert.equal(installOutputPool(fake, { CLARA_OUTPUT_POOL_MB: '0' }), false);
    assert.equal(fake.write, write, 'nothing hooked');
    assert.equal(outputF32(N).length, N);
    assert.throws(() => installOutputPool(fake, { CLARA_OUTPUT_POOL_MB: 'lots' }), /CLARA_OUTPUT_POOL_MB: expected a number of MiB >= 0, got 'lots'/);
  } finally {
    registerNativeKernels();
  }
});

test('over CLARA_OUTPUT_POOL_MB the longest-unused length is evicted first', () => {
  unregisterNativeKernels();
  const be = tf.backend() as unknown as PoolableBackend & { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo };
  try {
    assert.equal(installOutputPool(be, { CLARA_OUTPUT_POOL_MB: String((3 * 16384 * 4) / 2 ** 20) }), true); // room for 3 arrays of 16384
    const cycle = (n: number) => {
      const a = outputF32(n);
      be.disposeData(be.makeTensorInfo([n], 'float32', a).dataId);
      return a;
    };
    const a = cycle(16384),
      b = cycle(16383),
      c = cycle(16382);
    const evicted = outputPoolStats.evicted;
    cycle(16381); // a fourth length: the oldest (a's) goes
    assert.equal(outputPoolStats.evicted, evicted + 1);
    assert.notEqual(outputF32(16384).buffer, a.buffer);
    assert.equal(outputF32(16383).buffer, b.buffer);
    assert.equal(outputF32(16382).buffer, c.buffer);
  } finally {
    uninstallOutputPool();
    registerNativeKernels();
  }
});
