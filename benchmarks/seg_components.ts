// npm run bench -- seg_components: time of this area's components on the current tfjs backend
// (pure 'cpu' here unless CLARA_BACKEND / the engine registers native kernels):
// UNet and SegResNet forward and train step, losses, MeanDice and sliding-window overhead.
import * as tf from '@tensorflow/tfjs';
import { segResNetFactory, unetFactory } from '../src/models/factories.js';
import { diceCELossFactory, diceLossFactory } from '../src/losses/factories.js';
import { adamFactory } from '../src/optimizers/register.js';
import { MeanDice } from '../src/metrics/mean-dice.js';
import { slidingWindowFactory } from '../src/train/inferers/register.js';
import { type Figure, printTable, timeMedian, writeResults } from './lib/results.js';

await tf.setBackend(process.env.CLARA_BACKEND ?? 'cpu');
const reps = Number(process.env.BENCH_REPS ?? 3);
const ctx = { file: 'bench', path: 'bench' };
const figures: Figure[] = [];
const rows: Record<string, string | number>[] = [];
const record = (name: string, seconds: number, extra: Record<string, string | number> = {}) => {
  figures.push({ name, value: seconds * 1000, unit: 'ms', ...extra });
  rows.push({ figure: name, ms: seconds * 1000, ...extra });
};

const size = Number(process.env.BENCH_SIZE ?? 32);
const x = tf.randomNormal([1, size, size, size, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
const label = tf.cast(tf.greater(x, 0.5), 'float32');
const loss = diceCELossFactory({ to_onehot_y: true, softmax: true }, ctx);

for (const [name, model] of [
  [
    'UNet(8,16,32; res 2; batch)',
    unetFactory({ channels: [8, 16, 32], strides: [2, 2], num_res_units: 2, norm: 'batch', in_channels: 1, out_channels: 2 }, ctx),
  ],
  [
    'SegResNet(8; 1,2,2 / 1,1; group 8)',
    segResNetFactory({ init_filters: 8, blocks_down: [1, 2, 2], blocks_up: [1, 1], in_channels: 1, out_channels: 2 }, ctx),
  ],
] as const) {
  const fwd = await timeMedian(() => tf.tidy(() => model.apply(x, false).dataSync()), reps);
  record(`${name} forward 1x${size}^3`, fwd, { params: model.paramCount() });
  const opt = adamFactory({ lr: 1e-3 }, ctx);
  const step = await timeMedian(() => opt.minimize(() => loss(model.apply(x, true), label) as tf.Scalar, model.store.params), reps);
  record(`${name} train step 1x${size}^3`, step, { params: model.paramCount() });
  opt.dispose();
  model.dispose();
}

const logits = tf.randomNormal([2, 48, 48, 48, 3], 0, 1, 'float32', 2);
const lab = tf.floor(tf.randomUniform([2, 48, 48, 48, 1], 0, 3, 'float32', 3));
record('DiceLoss 2x48^3x3', await timeMedian(() => tf.tidy(() => diceLossFactory({ to_onehot_y: true, softmax: true }, ctx)(logits, lab).dataSync()), reps));
record(
  'DiceCELoss value+grad 2x48^3x3',
  await timeMedian(
    () =>
      tf.tidy(() =>
        tf
          .grad((p: tf.Tensor) => loss(p, lab) as tf.Scalar)(logits)
          .dataSync(),
      ),
    reps,
  ),
);
record(
  'MeanDice 2x48^3x3',
  await timeMedian(() => {
    const m = new MeanDice();
    m.update(logits, lab);
    return m.compute();
  }, reps),
);

const vol = tf.randomNormal([1, 96, 96, 64, 1], 0, 1, 'float32', 4) as tf.Tensor5D;
const sw = slidingWindowFactory({ roi_size: [32, 32, 32], sw_batch_size: 4, overlap: 0.25, mode: 'gaussian' }, ctx);
const identity2 = (w: tf.Tensor5D) => tf.concat([w, w], 4) as tf.Tensor5D;
const swt = await timeMedian(() => sw.infer(vol, identity2).dispose(), reps);
record('SlidingWindow overhead 96x96x64 roi 32 gaussian (identity predictor)', swt, { Mvoxel_per_s: (96 * 96 * 64) / swt / 1e6 });

printTable(rows);
writeResults('seg_components', figures, { backend: tf.getBackend(), reps });
