// torch.nn.Conv3d / ConvTranspose3d layers (src/models/nn/conv.ts) on cpu-native, where the
// padding runs inside the native conv (engine/kernels/padded-conv3d.ts), against the same layers
// on tfjs's own kernels (explicit pad, 'valid' conv, crop): outputs and the gradients of input,
// weight and bias, for the geometries MONAI's UNet and SegResNet use and a few odd ones; under
// use_amp the native kernels must stay within bf16 rounding of the fp32 result.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { conv3d, convTranspose3d } from '../../../src/models/nn/conv.js';
import { ParamStore } from '../../../src/models/nn/params.js';
import { nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { withAmp } from '../../../src/engine/amp.js';
import { ensureGradients } from '../../../src/engine/gradients/index.js';
import { nativeAndTfjs } from '../../helpers/native-vs-tfjs.js';
import { Rng } from '../../../src/util/random.js';
import { randomArray, relErr } from '../../native/conv-geom.js';

before(async () => {
  await tf.setBackend('cpu');
  ensureGradients();
});

interface Case {
  what: string;
  transpose: boolean;
  x: [number, number, number, number, number];
  outC: number;
  kernel: number | number[];
  stride: number | number[];
  padding?: number | number[];
  outputPadding?: number | number[];
}

const cases: Case[] = [
  { what: 'UNet down conv k3 s2 p1', transpose: false, x: [2, 9, 8, 7, 3], outC: 4, kernel: 3, stride: 2 },
  { what: 'conv k3 s1 p0 (valid)', transpose: false, x: [1, 6, 5, 7, 2], outC: 3, kernel: 3, stride: 1, padding: 0 },
  { what: 'conv k5 s(1,2,3) p(2,1,0)', transpose: false, x: [1, 7, 8, 9, 2], outC: 3, kernel: 5, stride: [1, 2, 3], padding: [2, 1, 0] },
  { what: 'conv k1 s2 p0 (residual projection)', transpose: false, x: [2, 6, 6, 6, 3], outC: 5, kernel: 1, stride: 2, padding: 0 },
  { what: 'UNet up conv k3 s2 p1 op1', transpose: true, x: [2, 4, 5, 3, 4], outC: 3, kernel: 3, stride: 2 },
  {
    what: 'transposed conv k3 s2 p0 op1 (output_padding past the data)',
    transpose: true,
    x: [1, 3, 4, 3, 2],
    outC: 2,
    kernel: 3,
    stride: 2,
    padding: 0,
    outputPadding: 1,
  },
  { what: 'transposed conv k3 s1 p1 op0', transpose: true, x: [1, 5, 4, 6, 3], outC: 2, kernel: 3, stride: 1, padding: 1, outputPadding: 0 },
  { what: 'SegResNet up-sample k2 s2 p0 op0', transpose: true, x: [2, 3, 4, 3, 4], outC: 4, kernel: 2, stride: 2, padding: 0, outputPadding: 0 },
];

function run(c: Case) {
  const store = new ParamStore(7);
  const inC = c.x[4];
  const o = { kernel: c.kernel, stride: c.stride, padding: c.padding, outputPadding: c.outputPadding };
  const layer = c.transpose ? convTranspose3d(store, 'l', inC, c.outC, o) : conv3d(store, 'l', inC, c.outC, o);
  const x = tf.tensor5d(
    randomArray(
      new Rng(11),
      c.x.reduce((a, b) => a * b, 1),
    ),
    c.x,
  );
  const y0 = layer(x, true);
  const dy = tf.tensor(randomArray(new Rng(12), y0.size), y0.shape);
  const vars = store.trainable();
  const f = () => tf.sum(tf.mul(layer(x, true), dy)) as tf.Scalar;
  const { grads } = tf.variableGrads(f, vars);
  const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer(xx as tf.Tensor5D, true), dy)))(x);
  const out = { shape: y0.shape, values: [y0, dx, ...vars.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync())) };
  tf.dispose([x, y0, dy, dx, ...Object.values(grads)]);
  store.dispose();
  return out;
}

for (const c of cases) {
  test(`${c.what}: native padded conv equals the pad/crop path (output, dx, dweight, dbias)`, () => {
    const k0 = (nativeCallCounts.ClaraConv3D ?? 0) + (nativeCallCounts.ClaraConv3DBackpropInput ?? 0);
    const [nat, ref] = nativeAndTfjs(() => run(c));
    const k1 = (nativeCallCounts.ClaraConv3D ?? 0) + (nativeCallCounts.ClaraConv3DBackpropInput ?? 0);
    assert.ok(k1 > k0, 'the padded native kernels ran');
    assert.deepEqual(nat.shape, ref.shape);
    nat.values.forEach((v, i) => assert.ok(relErr(v, ref.values[i]) < 1e-5, `${['y', 'dx', 'dweight', 'dbias'][i]}: rel err ${relErr(v, ref.values[i])}`));
    const [amp] = nativeAndTfjs(() => withAmp(true, () => run(c)));
    amp.values.forEach((v, i) =>
      assert.ok(relErr(v, ref.values[i]) < 2e-2, `use_amp ${['y', 'dx', 'dweight', 'dbias'][i]}: rel err ${relErr(v, ref.values[i])}`),
    );
  });
}
