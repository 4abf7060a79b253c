// The registered native kernels against tfjs's own pure-JS 'cpu' kernels, through
// the public tf ops and tf.grads, plus finite differences and a short training run.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels, nativeCallCounts } from '../../src/engine/native-kernels.js';
import { setAmp } from '../../src/engine/amp.js';
import { amxCallCounts, amxStatus, setAmx } from '../../src/native/amx.js';
import { roundBf16Array } from '../references/conv3d.js';
import { Rng } from '../../src/util/random.js';
import { CONV_CASES, randomArray, relErr } from '../native/conv-geom.js';

before(async () => {
  await tf.setBackend('cpu');
});

type Strides = number | [number, number, number];

function convAndGrads(x: tf.Tensor5D, w: tf.Tensor5D, dy: tf.Tensor, stride: Strides, pad: 'same' | 'valid') {
  return tf.tidy(() => {
    const y = tf.conv3d(x, w, stride, pad);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, stride, pad), dy)))([x, w]);
    return [y.dataSync().slice(), g[0].dataSync().slice(), g[1].dataSync().slice()] as Float32Array[];
  });
}

function withPureTfjs<T>(fn: () => T): T {
  unregisterNativeKernels();
  try {
    return fn();
  } finally {
    registerNativeKernels();
  }
}

for (const c of CONV_CASES) {
  test(`Conv3D + gradients ${c.x.join('x')} k${c.k} ->${c.cout} s${c.stride} ${c.pad}: native = tfjs cpu (1e-4 rel)`, () => {
    registerNativeKernels();
    const rng = new Rng(3);
    const fshape = [c.k, c.k, c.k, c.x[4], c.cout];
    const x = tf.tensor5d(
      randomArray(
        rng,
        c.x.reduce((a, b) => a * b),
      ),
      c.x as never,
    );
    const w = tf.tensor5d(
      randomArray(
        rng,
        fshape.reduce((a, b) => a * b),
      ),
      fshape as never,
    );
    const yshape = tf.conv3d(x, w, c.stride, c.pad).shape;
    const dy = tf.tensor(
      randomArray(
        rng,
        yshape.reduce((a, b) => a * b),
      ),
      yshape,
    );
    const calls = { ...nativeCallCounts };
    const nat = convAndGrads(x, w, dy, c.stride, c.pad);
    for (const k of ['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2']) assert.ok((nativeCallCounts[k] ?? 0) > (calls[k] ?? 0), `${k} ran natively`);
    const ref = withPureTfjs(() => convAndGrads(x, w, dy, c.stride, c.pad));
    ['forward', 'dx', 'dfilter'].forEach((what, i) => assert.ok(relErr(nat[i], ref[i]) < 1e-4, `${what}: ${relErr(nat[i], ref[i])}`));

    // use_amp: bf16 (the native kernel equals tfjs on bf16-rounded inputs, fp32 accumulation)
    // where the AMX tiles run the conv; with AMX usable, the convs it does not pay for (these
    // small ones) run fp32: bitwise the fp32 kernel's result. With AMX off (and on machines
    // without it) every conv is bf16 (the AVX-512 kernels' exact emulation).
    const xr = tf.tensor5d(roundBf16Array(x.dataSync() as Float32Array), c.x as never);
    const wr = tf.tensor5d(roundBf16Array(w.dataSync() as Float32Array), fshape as never);
    const yr = withPureTfjs(() => tf.conv3d(xr, wr, c.stride, c.pad).dataSync());
    const y32 = tf.conv3d(x, w, c.stride, c.pad).dataSync();
    const amx = amxStatus().usable;
    setAmp(true);
    try {
      const before = amxCallCounts().forward;
      const ya = tf.conv3d(x, w, c.stride, c.pad).dataSync();
      if (amxCallCounts().forward > before || !amx) assert.ok(relErr(ya, yr) < 2e-5, `use_amp forward (bf16) ${relErr(ya, yr)}`);
      else assert.deepEqual(ya, y32, 'use_amp forward (fp32 where AMX does not pay)');
      if (amx) setAmx(false);
      try {
        const yb = tf.conv3d(x, w, c.stride, c.pad).dataSync();
        assert.ok(relErr(yb, yr) < 2e-5, `use_amp forward without AMX (bf16) ${relErr(yb, yr)}`);
      } finally {
        if (amx) setAmx(true);
      }
    } finally {
      setAmp(false);
      tf.dispose([xr, wr]);
    }
    tf.dispose([x, w, dy]);
  });
}

const POOLS: { x: number[]; size: number; stride: number; pad: 'same' | 'valid' }[] = [
  { x: [2, 8, 6, 7, 3], size: 2, stride: 2, pad: 'valid' },
  { x: [2, 7, 5, 9, 5], size: 2, stride: 2, pad: 'same' },
  { x: [1, 7, 7, 6, 17], size: 3, stride: 2, pad: 'same' },
  // windows that tile the input exactly (the UNet's 2×2×2 pooling: MaxPool3DGrad's fast path)
  { x: [2, 8, 6, 4, 19], size: 2, stride: 2, pad: 'valid' },
  { x: [1, 6, 6, 6, 8], size: 3, stride: 3, pad: 'same' },
];

test('MaxPool3DGrad on exactly tiling windows with ties and NaN follows tfjs (last max wins, NaN never): exact', () => {
  registerNativeKernels();
  const shape = [2, 4, 4, 6, 5];
  const n = shape.reduce((a, b) => a * b);
  // few distinct values: many ties inside each window; a few NaN and -Infinity
  const v = Float32Array.from({ length: n }, (_, i) => (i % 37 === 0 ? NaN : i % 41 === 0 ? -Infinity : (i * 7919) % 3));
  const x = tf.tensor5d(v, shape as never);
  const run = () =>
    tf.tidy(() => {
      const mp = (a: tf.Tensor) => tf.maxPool3d(a as tf.Tensor5D, 2, 2, 'valid');
      const dy = tf.tensor(randomArray(new Rng(2), mp(x).size), mp(x).shape);
      return tf
        .grad((a: tf.Tensor) => tf.sum(tf.mul(mp(a), dy)))(x)
        .dataSync()
        .slice();
    });
  const calls = nativeCallCounts.MaxPool3DGrad ?? 0;
  const nat = run();
  assert.ok((nativeCallCounts.MaxPool3DGrad ?? 0) > calls, 'ran natively');
  assert.deepEqual(nat, withPureTfjs(run));
  x.dispose();
});

for (const c of POOLS) {
  test(`MaxPool3D/AvgPool3D + gradients ${c.x.join('x')} size ${c.size} s${c.stride} ${c.pad}: native = tfjs cpu`, () => {
    registerNativeKernels();
    const rng = new Rng(5);
    const x = tf.tensor5d(
      randomArray(
        rng,
        c.x.reduce((a, b) => a * b),
      ),
      c.x as never,
    );
    const run = () =>
      tf.tidy(() => {
        const mp = (a: tf.Tensor) => tf.maxPool3d(a as tf.Tensor5D, c.size, c.stride, c.pad);
        const ap = (a: tf.Tensor) => tf.avgPool3d(a as tf.Tensor5D, c.size, c.stride, c.pad);
        const r = mp(x);
        const dy = tf.tensor(randomArray(new Rng(9), r.size), r.shape);
        return [
          r.dataSync().slice(),
          tf
            .grad((a: tf.Tensor) => tf.sum(tf.mul(mp(a), dy)))(x)
            .dataSync()
            .slice(),
          ap(x).dataSync().slice(),
          tf
            .grad((a: tf.Tensor) => tf.sum(tf.mul(ap(a), dy)))(x)
            .dataSync()
            .slice(),
        ];
      });
    const nat = run();
    const ref = withPureTfjs(run);
    assert.deepEqual(nat[0], ref[0], 'max forward');
    // overlapping windows add into one input in a different order: float rounding only
    assert.ok(relErr(nat[1], ref[1]) < 1e-6, 'max gradient');
    assert.ok(relErr(nat[2], ref[2]) < 1e-6, 'avg forward');
    // tfjs's AvgPool3DGrad divides by the full window even where the forward pass
    // divided by the clipped count; ours is the true gradient: equal without padding.
    if (c.pad === 'valid') assert.ok(relErr(nat[3], ref[3]) < 1e-6, 'avg gradient');
    x.dispose();
  });
}

/** Central finite differences of f at a few coordinates of one input. */
function fdCheck(f: (a: tf.Tensor, b: tf.Tensor) => tf.Scalar, a: tf.Tensor, b: tf.Tensor, which: 0 | 1, rng: Rng) {
  const g = tf.grads(f)([a, b])[which].dataSync();
  const t = [a, b][which];
  const vals = t.dataSync().slice() as Float32Array;
  const eps = 1e-2;
  for (let k = 0; k < 6; k++) {
    const i = rng.int(0, vals.length);
    const at = (delta: number) => {
      const v = vals.slice();
      v[i] += delta;
      const moved = tf.tensor(v, t.shape);
      const r = which === 0 ? f(moved, b) : f(a, moved);
      const out = r.dataSync()[0];
      tf.dispose([moved, r]);
      return out;
    };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    assert.ok(Math.abs(fd - g[i]) <= 2e-2 * Math.max(1, Math.abs(fd)), `input ${which} [${i}]: fd ${fd} vs grad ${g[i]}`);
  }
}

test('finite differences agree with the native Conv3D and pooling gradients (tiny shapes)', () => {
  registerNativeKernels();
  const rng = new Rng(21);
  const x = tf.tensor5d(randomArray(rng, 2 * 5 * 4 * 5 * 3), [2, 5, 4, 5, 3]);
  const w = tf.tensor5d(randomArray(rng, 27 * 3 * 4), [3, 3, 3, 3, 4]);
  for (const [stride, pad] of [
    [1, 'same'],
    [2, 'same'],
    [2, 'valid'],
  ] as const) {
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.sigmoid(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, stride, pad)))) as tf.Scalar;
    fdCheck(f, x, w, 0, rng);
    fdCheck(f, x, w, 1, rng);
  }
  // pooling: well-separated values so that ±eps never changes which element is the max
  const perm = Array.from({ length: 2 * 5 * 4 * 5 * 3 }, (_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const xp = tf.tensor5d(
    perm.map((v) => v * 0.05),
    [2, 5, 4, 5, 3],
  );
  const pool = (a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.add(tf.maxPool3d(a as tf.Tensor5D, 2, 2, 'same'), tf.avgPool3d(a as tf.Tensor5D, 2, 2, 'same')), tf.sum(b))) as tf.Scalar;
  fdCheck(pool, xp, tf.scalar(0.7), 0, rng);
  tf.dispose([x, w, xp]);
});

function tinyCurve(): number[] {
  const rng = new Rng(99);
  const x = tf.tensor5d(randomArray(rng, 2 * 8 * 8 * 8 * 1), [2, 8, 8, 8, 1]);
  const target = tf.tensor5d(randomArray(rng, 2 * 4 * 4 * 4 * 2), [2, 4, 4, 4, 2]);
  const w1 = tf.variable(
    tf.tensor5d(
      randomArray(rng, 27 * 1 * 6).map((v) => v * 0.5),
      [3, 3, 3, 1, 6],
    ),
  );
  const w2 = tf.variable(
    tf.tensor5d(
      randomArray(rng, 27 * 6 * 2).map((v) => v * 0.2),
      [3, 3, 3, 6, 2],
    ),
  );
  const opt = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let s = 0; s < 6; s++) {
    const loss = opt.minimize(() => {
      const h = tf.relu(tf.conv3d(x, w1, 1, 'same'));
      const p = tf.maxPool3d(h, 2, 2, 'valid');
      const y = tf.conv3d(p, w2, 1, 'same');
      return tf.mean(tf.square(tf.sub(y, target))) as tf.Scalar;
    }, true)!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  tf.dispose([x, target, w1, w2]);
  opt.dispose();
  return losses;
}

test('a tiny model trains to the same loss curve with native kernels and pure tfjs (1e-3)', () => {
  const curve = tinyCurve;
  registerNativeKernels();
  const nat = curve();
  const ref = withPureTfjs(curve);
  assert.ok(nat[5] < nat[0], `the loss goes down: ${nat}`);
  nat.forEach((l, i) => assert.ok(Math.abs(l - ref[i]) <= 1e-3 * Math.max(1, Math.abs(ref[i])), `step ${i}: ${l} vs ${ref[i]}`));
});

test('use_amp (bf16 convs, fp32 variables) trains on a curve close to fp32 but not identical', () => {
  registerNativeKernels();
  const fp = tinyCurve();
  // AMX off: every conv in bf16 (with AMX, use_amp runs these small convs in fp32)
  const amx = amxStatus().usable;
  setAmp(true);
  if (amx) setAmx(false);
  let bf: number[];
  try {
    bf = tinyCurve();
  } finally {
    setAmp(false);
    if (amx) setAmx(true);
  }
  assert.ok(bf[5] < bf[0], `the bf16 loss goes down: ${bf}`);
  assert.notDeepEqual(bf, fp);
  bf.forEach((l, i) => assert.ok(Math.abs(l - fp[i]) <= 2e-2 * Math.abs(fp[i]), `step ${i}: bf16 ${l} vs fp32 ${fp[i]}`));
});
