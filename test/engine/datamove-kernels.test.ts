// The registered native upsampling / channel-concat / channel-split kernels through the
// public ops and tf.grads: equal to the plain-loop op and tfjs's own kernels, finite
// differences for the upsampling gradient, and the switch back to loops when unregistered.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  registerNativeKernels,
  unregisterNativeKernels,
  nativeCallCounts,
  UPSAMPLE_NEAREST3D,
  UPSAMPLE_NEAREST3D_GRAD,
} from '../../src/engine/native-kernels.js';
import { nearestUpsampleLoops } from '../../src/engine/ops/js-ops.js';
import { upsampleNearest3d } from '../../src/engine/layers/upsampling3d.js';
import { Rng } from '../../src/util/random.js';

before(async () => {
  await tf.setBackend('cpu');
});

function rand(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1),
    v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal(0, 1);
  return tf.tensor(v, shape);
}

function upAndGrad(x: tf.Tensor5D, dy: tf.Tensor, _s: [number, number, number], up: (x: tf.Tensor5D) => tf.Tensor) {
  return tf.tidy(() => {
    const y = up(x).dataSync().slice();
    const g = tf
      .grad((a: tf.Tensor) => tf.sum(tf.mul(up(a as tf.Tensor5D), dy)))(x)
      .dataSync()
      .slice();
    return [y, g] as Float32Array[];
  });
}

for (const [shape, s] of [
  [
    [2, 3, 4, 5, 3],
    [2, 2, 2],
  ],
  [
    [1, 4, 3, 2, 8],
    [1, 2, 3],
  ],
] as [number[], [number, number, number]][]) {
  test(`upsampleNearest3d [${shape}] x[${s}] with native kernels = plain loops (exact / 1e-6)`, () => {
    registerNativeKernels();
    const rng = new Rng(5);
    const x = rand(rng, shape) as tf.Tensor5D;
    const dy = rand(rng, [shape[0], shape[1] * s[0], shape[2] * s[1], shape[3] * s[2], shape[4]]);
    const c0 = nativeCallCounts[UPSAMPLE_NEAREST3D] ?? 0,
      g0 = nativeCallCounts[UPSAMPLE_NEAREST3D_GRAD] ?? 0;
    const [y, g] = upAndGrad(x, dy, s, (a) => upsampleNearest3d(a, s));
    assert.ok((nativeCallCounts[UPSAMPLE_NEAREST3D] ?? 0) > c0 && (nativeCallCounts[UPSAMPLE_NEAREST3D_GRAD] ?? 0) > g0, 'ran natively');
    const [yr, gr] = upAndGrad(x, dy, s, (a) => nearestUpsampleLoops(a, s));
    assert.deepEqual(y, yr);
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - gr[i]) <= 1e-6 * (1 + Math.abs(gr[i])), `dx[${i}]`);
    // unregistered: the op falls back to the loops, same values
    unregisterNativeKernels();
    try {
      const c1 = nativeCallCounts[UPSAMPLE_NEAREST3D];
      const [yp, gp] = upAndGrad(x, dy, s, (a) => upsampleNearest3d(a, s));
      assert.equal(nativeCallCounts[UPSAMPLE_NEAREST3D], c1);
      assert.deepEqual(yp, yr);
      assert.deepEqual(gp, gr);
    } finally {
      registerNativeKernels();
    }
    tf.dispose([x, dy]);
  });
}

test('finite differences agree with the native upsampling gradient (tiny shape)', () => {
  registerNativeKernels();
  const rng = new Rng(8),
    shape = [1, 2, 2, 3, 2],
    s: [number, number, number] = [2, 1, 2];
  const x = rand(rng, shape) as tf.Tensor5D;
  const wgt = rand(rng, [1, 4, 2, 6, 2]);
  const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.square(upsampleNearest3d(a as tf.Tensor5D, s)), wgt));
  const g = tf.grad(f)(x).dataSync();
  const xv = x.dataSync() as Float32Array,
    eps = 1e-2;
  for (let i = 0; i < xv.length; i++) {
    const p = xv.slice(),
      m = xv.slice();
    p[i] += eps;
    m[i] -= eps;
    const fd = (f(tf.tensor(p, shape)).dataSync()[0] - f(tf.tensor(m, shape)).dataSync()[0]) / (2 * eps);
    assert.ok(Math.abs(fd - g[i]) < 2e-2 * (1 + Math.abs(fd)), `x[${i}] fd ${fd} vs ${g[i]}`);
  }
});

test('channel-axis concat and its gradient (SplitV) run natively and equal tfjs cpu (exact); other axes too', () => {
  registerNativeKernels();
  const rng = new Rng(4);
  const a = rand(rng, [2, 3, 4, 5, 3]),
    b = rand(rng, [2, 3, 4, 5, 7]),
    c = rand(rng, [2, 3, 4, 5, 1]);
  const run = (axis: number, xs: tf.Tensor[]) =>
    tf.tidy(() => {
      const dy = tf.tensor(
        Float32Array.from({ length: tf.concat(xs, axis).size }, (_, i) => Math.sin(i)),
        tf.concat(xs, axis).shape,
      );
      const y = tf.concat(xs, axis).dataSync().slice();
      const gs = tf
        .grads((...ts: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(ts, axis), dy)))(xs)
        .map((g) => g.dataSync().slice());
      return [y, ...gs];
    });
  const c0 = nativeCallCounts.Concat ?? 0,
    s0 = nativeCallCounts.SplitV ?? 0;
  const nat = run(-1, [a, b, c]);
  assert.ok((nativeCallCounts.Concat ?? 0) > c0 && (nativeCallCounts.SplitV ?? 0) > s0);
  const d = rand(rng, [2, 3, 2, 5, 3]);
  const nat2 = run(2, [a, d]);
  const ints = [
    tf.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      'int32',
    ),
    tf.tensor([[5], [6]], undefined, 'int32'),
  ];
  const ni = tf.concat(ints, 1).arraySync();
  unregisterNativeKernels();
  try {
    run(-1, [a, b, c]).forEach((r, i) => assert.deepEqual(nat[i], r));
    run(2, [a, d]).forEach((r, i) => assert.deepEqual(nat2[i], r));
    assert.deepEqual(ni, tf.concat(ints, 1).arraySync());
    assert.deepEqual(ni, [
      [1, 2, 5],
      [3, 4, 6],
    ]);
  } finally {
    registerNativeKernels();
  }
});

test('trilinear upsampling with the native axis passes = plain loops and tfjs-ops reference (1e-6), gradients too', async () => {
  const { trilinearUpsample, trilinearUpsampleLoops } = await import('../../src/engine/ops/js-ops.js');
  const { upsampleTrilinear3dOps } = await import('../../src/engine/layers/upsampling3d.js');
  registerNativeKernels();
  const rng = new Rng(12);
  for (const [shape, s] of [
    [
      [2, 3, 4, 5, 3],
      [2, 2, 2],
    ],
    [
      [1, 1, 5, 2, 4],
      [3, 2, 1],
    ],
  ] as [number[], [number, number, number]][]) {
    const x = rand(rng, shape) as tf.Tensor5D;
    const dy = rand(rng, [shape[0], shape[1] * s[0], shape[2] * s[1], shape[3] * s[2], shape[4]]);
    const [y, g] = upAndGrad(x, dy, s, (a) => trilinearUpsample(a, s));
    const [yl, gl] = upAndGrad(x, dy, s, (a) => trilinearUpsampleLoops(a, s));
    const [yo, go] = upAndGrad(x, dy, s, (a) => upsampleTrilinear3dOps(a, s));
    for (const [a, b, what] of [
      [y, yl, 'y loops'],
      [g, gl, 'dx loops'],
      [y, yo, 'y ops'],
      [g, go, 'dx ops'],
    ] as [Float32Array, Float32Array, string][]) {
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])), `${what} [${i}] ${a[i]} vs ${b[i]}`);
    }
    tf.dispose([x, dy]);
  }
});
