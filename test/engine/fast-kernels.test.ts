// Slice / SplitV / Tile (TypeScript run copies) and the native element-wise kernels
// against tfjs's own cpu kernels, plus the TS references of the native ops.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { nativeCallCounts } from '../../src/engine/native-kernels.js';
import { binary, relu, reluGrad, softmax, step, tileGrad, type BinaryOpName } from '../../src/native/elementwise.js';
import { binaryRef, reluGradRef, reluRef, softmaxRef, stepRef, tileGradRef } from '../references/elementwise.js';
import { nativeAndTfjs } from '../helpers/native-vs-tfjs.js';
import { Rng } from '../../src/util/random.js';
import { randomArray, relErr } from '../native/conv-geom.js';
import { concatCopy, sliceCopy, tileCopy } from '../../src/engine/strided-copy.js';

before(async () => {
  await tf.setBackend('cpu');
});

const both = nativeAndTfjs;

const rng = new Rng(17);
const t = (shape: number[]) =>
  tf.tensor(
    randomArray(
      rng,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );

test('Slice, SplitV and Tile equal tfjs (float32 and int32, odd shapes)', () => {
  const x = t([2, 5, 3, 4, 7]);
  const xi = tf.tensor(
    Array.from({ length: 60 }, (_, i) => i),
    [3, 4, 5],
    'int32',
  );
  const before = { ...nativeCallCounts };
  const [a, b] = both(() =>
    tf.tidy(() =>
      [
        tf.slice(x, [1, 1, 0, 1, 2], [1, 3, 3, 2, 4]),
        tf.slice(x, [0, 2, 0, 0, 0], [2, 2, -1, -1, -1]),
        tf.slice(x, [0, 0, 0, 0, 3], [-1, -1, -1, -1, 4]),
        tf.slice(xi, [1, 0, 2], [2, 4, 2]),
        ...tf.split(x, [2, 5], -1),
        ...tf.split(x, [1, 3, 1], 1),
        tf.tile(x, [1, 2, 1, 3, 2]),
        tf.tile(tf.reshape(x, [10, 1, 84]), [1, 2, 1]),
        tf.tile(xi, [2, 1, 3]),
        tf.concat([x, tf.slice(x, [0, 0, 0, 0, 0], [-1, -1, -1, -1, 3])], -1),
        tf.concat([x, x, tf.slice(x, [0, 1, 0, 0, 0], [-1, 2, -1, -1, -1])], 1),
        tf.concat([xi, xi], 0),
      ].map((r) => Array.from(r.dataSync())),
    ),
  );
  assert.deepEqual(a, b);
  for (const k of ['Slice', 'SplitV', 'Tile', 'Concat']) assert.ok((nativeCallCounts[k] ?? 0) > (before[k] ?? 0), `${k} replaced`);
  tf.dispose([x, xi]);
});

test('Add/Sub/Multiply/RealDiv with broadcasting, Relu, Step, Softmax equal tfjs', () => {
  const a = t([2, 3, 4, 5, 6]),
    b = t([2, 3, 4, 5, 1]),
    c = t([6]),
    s = tf.scalar(0.3),
    d = t([1, 3, 1, 5, 1]);
  const [nat, ref] = both(() =>
    tf.tidy(() =>
      [
        tf.add(a, b),
        tf.sub(a, c),
        tf.mul(s, a),
        tf.div(a, tf.add(tf.abs(d), 0.5)),
        tf.mul(a, a),
        tf.relu(a),
        tf.softmax(a),
        tf.softmax(tf.reshape(a, [-1, 2])),
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), tf.softmax(v))))(a),
      ].map((r) => r.dataSync().slice()),
    ),
  );
  nat.forEach((v, i) => assert.ok(relErr(v, ref[i]) < 1e-6, `output ${i}: ${relErr(v, ref[i])}`));
  tf.dispose([a, b, c, s, d]);
});

test('native element-wise ops equal their TS references', () => {
  const shapes: [number[], number[]][] = [
    [
      [3, 4, 5],
      [3, 4, 5],
    ],
    [[3, 4, 5], [5]],
    [[1], [3, 1, 5]],
    [
      [2, 1, 3, 1],
      [1, 4, 1, 6],
    ],
    [[], [2, 2]],
  ];
  for (const [sa, sb] of shapes) {
    const a = randomArray(
        rng,
        sa.reduce((p, q) => p * q, 1),
      ),
      b = randomArray(
        rng,
        sb.reduce((p, q) => p * q, 1),
      ).map((v) => v + 2);
    for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOpName[]) {
      const n = binary(op, a, sa, b, sb),
        r = binaryRef(op, a, sa, b, sb);
      assert.deepEqual(n.shape, r.shape);
      assert.ok(relErr(n.values, r.values) < 1e-7, `${op} [${sa}] [${sb}]`);
    }
  }
  assert.throws(() => binary('add', new Float32Array(6), [2, 3], new Float32Array(4), [4]), /do not broadcast/);
  const x = randomArray(rng, 300);
  x[3] = NaN;
  assert.deepEqual(Array.from(relu(x)), Array.from(reluRef(x)));
  assert.deepEqual(Array.from(step(x, 0.25)), Array.from(stepRef(x, 0.25)));
  assert.ok(
    relErr(
      softmax(
        x.map((v) => (Number.isNaN(v) ? 0 : v)),
        5,
      ),
      softmaxRef(
        x.map((v) => (Number.isNaN(v) ? 0 : v)),
        5,
      ),
    ) < 1e-6,
  );
});

test('native strided copy (Slice, Concat) equals the TypeScript run copies', () => {
  const shape = [3, 4, 5, 6];
  const x = randomArray(rng, 360);
  const cases: [number[], number[]][] = [
    [
      [0, 1, 2, 3],
      [3, 2, 3, 3],
    ],
    [
      [1, 0, 0, 0],
      [1, 4, 5, 6],
    ],
    [
      [0, 0, 0, 5],
      [3, 4, 5, 1],
    ],
    [
      [2, 3, 4, 5],
      [1, 1, 1, 1],
    ],
    [
      [0, 0, 0, 0],
      [3, 0, 5, 6],
    ],
  ];
  for (const [b, s] of cases) {
    const n = s.reduce((p, q) => p * q, 1);
    const a1 = new Float32Array(n),
      a2 = new Float32Array(n);
    sliceCopy(x, shape, b, s, a1, true);
    sliceCopy(x, shape, b, s, a2, false);
    assert.deepEqual(a1, a2, `slice ${b} ${s}`);
  }
  const y = randomArray(rng, 3 * 4 * 5 * 2),
    xi = Int32Array.from({ length: 360 }, (_, i) => i),
    yi = Int32Array.from({ length: 120 }, (_, i) => -i);
  for (const [xs, useInt] of [
    [[x, y], false],
    [[xi, yi], true],
  ] as const) {
    const o1 = useInt ? new Int32Array(480) : new Float32Array(480),
      o2 = useInt ? new Int32Array(480) : new Float32Array(480);
    concatCopy(xs as never, [shape, [3, 4, 5, 2]], 3, o1, true);
    concatCopy(xs as never, [shape, [3, 4, 5, 2]], 3, o2, false);
    assert.deepEqual(o1, o2);
  }
});

test('Relu and Tile gradients run natively and equal tfjs gradients (Tile ranks 1-4, as far as tfjs goes; NaN kept)', () => {
  const x = t([2, 5, 3, 4, 7]);
  const xn = tf.tensor([-1, NaN, 0, 2, -0.5, 3], [6]);
  const before = { ...nativeCallCounts };
  const w = t([2, 5, 3, 4, 7]);
  const tiles: [number[], number[]][] = [
    [[6], [3]],
    [
      [4, 7],
      [2, 3],
    ],
    [
      [10, 1, 84],
      [1, 2, 1],
    ],
    [
      [2, 5, 12],
      [2, 1, 3],
    ],
    [
      [2, 5, 3, 28],
      [1, 2, 2, 1],
    ],
  ];
  const ms = tiles.map(([shape, reps]) => t(shape.map((s, i) => s * reps[i])));
  const [nat, ref] = both(() =>
    tf.tidy(() => {
      const g1 = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), w)))(x);
      const g2 = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), tf.range(0, 6).toFloat())))(xn);
      const gs = tiles.map(([shape, reps], j) => {
        const v = tf.reshape(
          tf.slice(
            tf.reshape(x, [-1]),
            0,
            shape.reduce((p, q) => p * q, 1),
          ),
          shape,
        );
        return tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.tile(u, reps), ms[j])))(v);
      });
      return [g1, g2, ...gs].map((r) => Array.from(r.dataSync()));
    }),
  );
  nat.forEach((v, i) =>
    assert.ok(relErr(v, ref[i]) < 1e-6 || (i === 1 && Number.isNaN(v[1]) && Number.isNaN(ref[i][1])), `gradient ${i}: ${relErr(v, ref[i])}`),
  );
  assert.ok(Number.isNaN(nat[1][1]), 'NaN input gives a NaN gradient, as dy * step(x) does');
  assert.deepEqual(
    nat[1].filter((_, i) => i !== 1),
    ref[1].filter((_, i) => i !== 1),
  );
  for (const k of ['ClaraReluGrad', 'ClaraTileGrad']) assert.ok((nativeCallCounts[k] ?? 0) > (before[k] ?? 0), `${k} ran`);
  tf.dispose([x, xn, w, ...ms]);
});

test('native ReLU and Tile gradients and tile copy equal their TS references', () => {
  const x = randomArray(rng, 257),
    dy = randomArray(rng, 257);
  x[5] = NaN;
  x[6] = 0;
  const a = reluGrad(dy, x),
    r = reluGradRef(dy, x);
  assert.ok(Number.isNaN(a[5]) && Number.isNaN(r[5]));
  assert.deepEqual(
    Array.from(a).filter((_, i) => i !== 5),
    Array.from(r).filter((_, i) => i !== 5),
  );
  assert.equal(Math.abs(a[6]), 0);
  const cases: [number[], number[]][] = [
    [[5], [3]],
    [
      [3, 4],
      [2, 1],
    ],
    [
      [2, 3, 4],
      [3, 2, 2],
    ],
    [
      [2, 1, 3, 2],
      [1, 4, 1, 2],
    ],
    [
      [3, 2],
      [1, 1],
    ],
    [],
  ].filter((c) => c.length) as [number[], number[]][];
  for (const [shape, reps] of cases) {
    const n = shape.reduce((p, q) => p * q, 1) * reps.reduce((p, q) => p * q, 1);
    const g = randomArray(rng, n);
    assert.ok(relErr(tileGrad(shape, reps, g), tileGradRef(shape, reps, g)) < 1e-6, `tileGrad [${shape}] x [${reps}]`);
    const xs = randomArray(
      rng,
      shape.reduce((p, q) => p * q, 1),
    );
    const o1 = new Float32Array(n),
      o2 = new Float32Array(n);
    tileCopy(xs, shape, reps, o1, true);
    tileCopy(xs, shape, reps, o2, false);
    assert.deepEqual(o1, o2, `tileCopy [${shape}] x [${reps}]`);
  }
  assert.throws(() => tileGrad([2, 3], [2], new Float32Array(12)), /rank/);
  assert.throws(() => tileGrad([2, 3], [2, 2], new Float32Array(10)), /needs 24/);
});

test('kernels flush denormals (FTZ/DAZ) while the JS thread keeps IEEE denormals', () => {
  const tiny = new Float32Array([1e-40, -3e-39, 2]);
  assert.ok(tiny[0] > 0, 'the input holds a float32 denormal');
  const out = binary('mul', tiny, [3], new Float32Array([1]), [1]).values;
  assert.deepEqual(Array.from(out).map(Math.abs), [0, 0, 2]);
  const d = new Float64Array([Number.MIN_VALUE]);
  assert.ok(d[0] * 1.5 > 0 && d[0] / 2 === 0 && d[0] * 3 > d[0], 'JS arithmetic after the call still has denormals');
});
