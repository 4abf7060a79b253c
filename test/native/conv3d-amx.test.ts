// The AMX bf16 conv3d kernels (native/kernels/conv3d_amx.cc) through the addon: against the
// plain-TS reference on bf16-rounded inputs, and against tfjs's fp32 conv3d and its
// gradients within the bf16 rounding bound; the non-finite fallback; the opt-in fp32 mode
// (three bf16 products) against a float64 reference; `clara-train info`'s amx line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { conv3dBackpropFilter, conv3dBackpropInput, conv3dForward, convSizes, type Conv3DGeometry } from '../../src/native/kernels.js';
import { conv3dBackpropFilterRef, conv3dBackpropInputRef, conv3dForwardRef } from '../references/conv3d.js';
import { amxLine, amxStatus, setAmx, setAmxFp32 } from '../../src/native/amx.js';
import { native } from '../../src/native/loader.js';
import { Rng } from '../../src/util/random.js';
import { convGeometry, randomArray, relErr } from './conv-geom.js';
import { runCli } from '../helpers/run-cli.js';

const status = amxStatus();
const skip = status.usable ? false : `AMX not usable here: ${status.reason}`;

// Channel counts of 8 and more on both sides (the AMX path's; 2 input channels: only the input gradient), not multiples of 16 or 32,
// stride 1 and 2, 'same' and 'valid', even filters, pointwise, batch 2, rows wider than a tile.
const CASES: { x: number[]; k: number; cout: number; stride: number | [number, number, number]; pad: 'same' | 'valid' }[] = [
  { x: [2, 5, 6, 9, 16], k: 3, cout: 24, stride: 1, pad: 'same' },
  { x: [1, 7, 6, 9, 12], k: 3, cout: 20, stride: 2, pad: 'same' },
  { x: [1, 5, 5, 19, 40], k: 3, cout: 33, stride: 1, pad: 'valid' },
  { x: [2, 6, 5, 7, 8], k: 2, cout: 8, stride: 2, pad: 'valid' },
  { x: [1, 4, 4, 37, 32], k: 1, cout: 17, stride: 1, pad: 'same' },
  { x: [1, 6, 7, 35, 16], k: 3, cout: 16, stride: [1, 2, 2], pad: 'same' },
  // 2 input channels: the input gradient (a transposed conv's forward) on AMX, the others not
  { x: [1, 7, 6, 9, 2], k: 3, cout: 16, stride: 2, pad: 'same' },
];

const abs = (a: Float32Array) => a.map(Math.abs);
const name = (c: (typeof CASES)[number]) => `${c.x.join('x')} k${c.k} ->${c.cout} s${c.stride} ${c.pad}`;

/** Largest |a - b| / bound elementwise (bound: the error allowed at each element). */
function worstRatio(a: ArrayLike<number>, b: ArrayLike<number>, bound: ArrayLike<number>): number {
  let r = 0;
  for (let i = 0; i < a.length; i++) r = Math.max(r, Math.abs(a[i] - b[i]) / bound[i]);
  return r;
}

function operands(g: Conv3DGeometry, seed: number) {
  const rng = new Rng(seed),
    s = convSizes(g);
  return { x: randomArray(rng, s.x), w: randomArray(rng, s.filter), dy: randomArray(rng, s.y) };
}

for (const threads of [1, 2]) {
  for (const c of CASES) {
    test(`AMX bf16 conv3d ${name(c)}, ${threads} thread(s): = TS reference on bf16-rounded inputs (1e-5)`, { skip }, () => {
      const before = native().info().threads;
      native().setNumThreads(threads);
      try {
        const g = convGeometry(c.x, [c.k, c.k, c.k, c.x[4], c.cout], c.stride, c.pad);
        const { x, w, dy } = operands(g, 3);
        const o = { bf16: true };
        assert.ok(relErr(conv3dForward(g, x, w, o), conv3dForwardRef(g, x, w, o)) < 1e-5, 'forward');
        assert.ok(relErr(conv3dBackpropInput(g, dy, w, o), conv3dBackpropInputRef(g, dy, w, o)) < 1e-5, 'backprop-input');
        assert.ok(relErr(conv3dBackpropFilter(g, x, dy, o), conv3dBackpropFilterRef(g, x, dy, o)) < 1e-5, 'backprop-filter');
      } finally {
        native().setNumThreads(before);
      }
    });
  }
}

// bf16 rounding moves each operand by at most 2^-9 of itself, so each product x*w by at most
// (2^-8 + 2^-18)|x||w|: an output is within 2^-8 * sum|x||w| of the exact sum (plus the fp32
// accumulation of both sides, K * 2^-24 * sum|x||w| at most, K <= 27*40 here: below 2^-13).
const BF16_BOUND = 2 ** -8 + 2 ** -13;

for (const c of CASES) {
  test(`AMX bf16 conv3d ${name(c)}: tfjs fp32 conv3d and its gradients within the bf16 bound`, { skip }, () => {
    const g = convGeometry(c.x, [c.k, c.k, c.k, c.x[4], c.cout], c.stride, c.pad);
    const { x, w, dy } = operands(g, 5);
    const xt = tf.tensor5d(x, c.x as [number, number, number, number, number]);
    const wt = tf.tensor5d(w, [c.k, c.k, c.k, c.x[4], c.cout]);
    const yt = tf.conv3d(xt, wt, c.stride, c.pad);
    const dyt = tf.tensor(dy, yt.shape);
    const [dxt, dwt] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf
        .conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.stride, c.pad)
        .mul(dyt)
        .sum(),
    )([xt, wt]);
    const bound = (a: Float32Array) => a.map((v) => BF16_BOUND * v + 1e-6);
    const o = { bf16: true };
    const fwd = worstRatio(conv3dForward(g, x, w, o), yt.dataSync(), bound(conv3dForwardRef(g, abs(x), abs(w))));
    const bin = worstRatio(conv3dBackpropInput(g, dy, w, o), dxt.dataSync(), bound(conv3dBackpropInputRef(g, abs(dy), abs(w))));
    const bfl = worstRatio(conv3dBackpropFilter(g, x, dy, o), dwt.dataSync(), bound(conv3dBackpropFilterRef(g, abs(x), abs(dy))));
    tf.dispose([xt, wt, yt, dyt, dxt, dwt]);
    assert.ok(fwd <= 1, `forward: ${fwd} of the bound`);
    assert.ok(bin <= 1, `backprop-input: ${bin} of the bound`);
    assert.ok(bfl <= 1, `backprop-filter: ${bfl} of the bound`);
    // and the bound is not vacuous: bf16 really moved the results by a good part of it
    assert.ok(fwd > 0.01, `forward used ${fwd} of the bound`);
  });
}

test('AMX: a non-finite input falls back to the AVX-512 kernels (Inf and NaN reach only the outputs they feed)', { skip }, () => {
  const c = CASES[0];
  const g = convGeometry(c.x, [c.k, c.k, c.k, c.x[4], c.cout], c.stride, c.pad);
  const { x, w, dy } = operands(g, 9);
  x[17] = Infinity;
  x[4000] = NaN;
  dy[123] = -Infinity;
  const o = { bf16: true };
  const amx = [conv3dForward(g, x, w, o), conv3dBackpropInput(g, dy, w, o), conv3dBackpropFilter(g, x, dy, o)];
  setAmx(false);
  try {
    const ref = [conv3dForward(g, x, w, o), conv3dBackpropInput(g, dy, w, o), conv3dBackpropFilter(g, x, dy, o)];
    for (let i = 0; i < 3; i++) {
      let bad = 0;
      for (let j = 0; j < ref[i].length; j++) {
        if (!Number.isFinite(ref[i][j])) {
          bad++;
          assert.ok(Object.is(amx[i][j], ref[i][j]), `pass ${i} element ${j}: ${amx[i][j]} vs ${ref[i][j]}`);
        } else assert.ok(Math.abs(amx[i][j] - ref[i][j]) <= 1e-5 * Math.max(1, Math.abs(ref[i][j])), `pass ${i} element ${j}`);
      }
      assert.ok(bad > 0 && bad < ref[i].length, `pass ${i}: some outputs and not all are non-finite (${bad})`);
    }
  } finally {
    setAmx(true);
  }
});

// hi = bf16(v) and lo = bf16(v - hi) leave |v - hi - lo| <= 2^-18 |v|; the three products
// drop lo*lo (<= 2^-18 |x||w|) and those residuals: each product within 2^-16 |x||w| of x*w.
test('AMX fp32 mode (hi*hi + hi*lo + lo*hi): within 2^-16 * sum|x||w| of a float64 reference; off by default', { skip }, () => {
  assert.equal(amxStatus().fp32ThreeProducts, process.env.CLARA_AMX_FP32 === '1');
  setAmxFp32(true);
  try {
    for (const c of CASES) {
      const g = convGeometry(c.x, [c.k, c.k, c.k, c.x[4], c.cout], c.stride, c.pad);
      const { x, w, dy } = operands(g, 13);
      const bound = (a: Float32Array) => a.map((v) => 2 ** -16 * v + 1e-6);
      // the TS references accumulate in float64
      const r = [
        worstRatio(conv3dForward(g, x, w), conv3dForwardRef(g, x, w), bound(conv3dForwardRef(g, abs(x), abs(w)))),
        worstRatio(conv3dBackpropInput(g, dy, w), conv3dBackpropInputRef(g, dy, w), bound(conv3dBackpropInputRef(g, abs(dy), abs(w)))),
        worstRatio(conv3dBackpropFilter(g, x, dy), conv3dBackpropFilterRef(g, x, dy), bound(conv3dBackpropFilterRef(g, abs(x), abs(dy)))),
      ];
      for (const v of r) assert.ok(v <= 1, `${name(c)}: ${r.join(', ')} of the bound`);
    }
  } finally {
    setAmxFp32(false);
  }
});

test('clara-train info prints the amx line (yes, or no with the reason; CLARA_AMX=0 says so)', async () => {
  assert.match(amxLine(), /^(yes|no \(.+\))$/);
  assert.equal(amxLine() === 'yes', status.usable);
  const env = { ...process.env, CLARA_AMX: '0' };
  const text = await runCli(['info'], { env });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^amx +no \(disabled by CLARA_AMX=0\)$/m);
  const json = await runCli(['info', '--json'], { env });
  assert.equal(JSON.parse(json.stdout.trim().split('\n').pop()!).amx, 'no (disabled by CLARA_AMX=0)');
  if (status.usable) assert.match((await runCli(['info'])).stdout, /^amx +yes$/m);
});
