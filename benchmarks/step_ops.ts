// npm run bench -- step_ops [--reps N] [--threads T] [--ops WORD]
// The non-conv ops of a training step at the shapes of the product's models (batch 2), each
// forward + gradient as the layers run them: on cpu-native (the engine's native kernels
// registered) against tfjs's own 'cpu' kernels (unregistered: the tensor-op path), one block of
// reps each (warm-up runs first), median µs and the ratio side by side (`<op>: speed-up native
// vs tfjs-cpu`).
//   dice loss 32³×2         MONAI DiceLoss (softmax, to_onehot_y, no background): one-hot,
//                           softmax + Dice terms and their gradient (unet-example, segresnet)
//   instance norm+relu      MONAI ADN 'NDA' of the example UNet (16³×8, 8³×32)
//   group norm+relu         SegResNet's GroupNorm(8) → ReLU (32³×8, 16³×16)
//   batch norm              unet-clara's BatchNorm3d in training (32³×16)
//   prelu                   unet-clara's PReLU, one alpha (32³×16)
//   bias add                a conv's bias add and its gradient (Sum) (32³×2, 16³×8)
// → benchmarks/results/step_ops.json (about 1 min on a quiet machine with the defaults)
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels } from '../src/engine/native-kernels.js';
import { native } from '../src/native/loader.js';
import { diceLoss } from '../src/losses/dice.js';
import { normLayer } from '../src/models/nn/norm.js';
import { actLayer } from '../src/models/nn/act.js';
import { ParamStore } from '../src/models/nn/params.js';
import { Rng } from '../src/util/random.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';

const args = process.argv.slice(2);
const opt = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const reps = Number(opt('--reps')) || 21;
const threads = Number(opt('--threads')) || 2;
const only = opt('--ops');
const load0 = loadavg()[0];
await tf.setBackend('cpu');
native().setNumThreads(threads);

const rng = new Rng(5);
const rand = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1),
    v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal(0, 1);
  return tf.tensor(v, shape);
};

interface Op {
  name: string;
  /** One forward + gradient (what it makes is disposed by the caller's tidy). */
  run(): void;
  dispose(): void;
}

/** The layer forward and its gradient to x for a given dy (a norm's kernel gives its parameters' too). */
function layerOp(name: string, shape: number[], make: (store: ParamStore) => (x: tf.Tensor5D) => tf.Tensor): Op {
  const store = new ParamStore(3);
  const layer = make(store);
  const x = rand(shape) as tf.Tensor5D,
    dy = rand(shape);
  return {
    name,
    run: () => void tf.grad((a: tf.Tensor) => layer(a as tf.Tensor5D))(x, dy),
    dispose: () => {
      tf.dispose([x, dy]);
      store.dispose();
    },
  };
}

function diceOp(d: number): Op {
  const pred = rand([2, d, d, d, 2]);
  const lv = new Float32Array(2 * d ** 3);
  for (let i = 0; i < lv.length; i++) lv[i] = rng.random() < 0.3 ? 1 : 0;
  const label = tf.tensor(lv, [2, d, d, d, 1]);
  const loss = diceLoss({ includeBackground: false, toOnehotY: true, softmax: true });
  return {
    name: `dice loss ${d}³×2`,
    run: () => void tf.grad((p: tf.Tensor) => loss(p, label) as tf.Scalar)(pred),
    dispose: () => tf.dispose([pred, label]),
  };
}

function biasOp(d: number, c: number): Op {
  const x = rand([2, d, d, d, c]),
    b = rand([c]),
    dy = rand([2, d, d, d, c]);
  return {
    name: `bias add ${d}³×${c}`,
    run: () => void tf.grads((xx: tf.Tensor, bb: tf.Tensor) => tf.add(xx, bb))([x, b], dy),
    dispose: () => tf.dispose([x, b, dy]),
  };
}

const norm = (spec: string, args: Record<string, unknown>, c: number, relu: boolean) => (store: ParamStore) =>
  normLayer(store, 'n', { name: spec, args }, c, relu ? { name: 'relu' } : undefined)! as (x: tf.Tensor5D) => tf.Tensor;

const ops: Op[] = [
  diceOp(32),
  layerOp('instance norm+relu 16³×8', [2, 16, 16, 16, 8], norm('instance', {}, 8, true)),
  layerOp('instance norm+relu 8³×32', [2, 8, 8, 8, 32], norm('instance', {}, 32, true)),
  layerOp('group norm+relu 32³×8', [2, 32, 32, 32, 8], norm('group', { num_groups: 8 }, 8, true)),
  layerOp('group norm+relu 16³×16', [2, 16, 16, 16, 16], norm('group', { num_groups: 8 }, 16, true)),
  layerOp('batch norm 32³×16', [2, 32, 32, 32, 16], norm('batch', {}, 16, false)),
  layerOp('prelu 32³×16', [2, 32, 32, 32, 16], (store) => actLayer(store, 'a', { name: 'prelu', args: {} })! as (x: tf.Tensor5D) => tf.Tensor),
  biasOp(32, 2),
  biasOp(16, 8),
].filter((o) => !only || o.name.includes(only));

const figures: Figure[] = [];
const rows: Record<string, string | number>[] = [];
for (const op of ops) {
  // one block per mode: registering the kernels re-creates their functions and the output
  // pool (unregistering drops it), so switching every rep would time cold kernels
  const t: Record<'native' | 'tfjs', number[]> = { native: [], tfjs: [] };
  for (const mode of ['native', 'tfjs'] as const) {
    if (mode === 'native') registerNativeKernels();
    else unregisterNativeKernels();
    for (let i = 0; i < reps + 2; i++) {
      const t0 = process.hrtime.bigint();
      tf.tidy(() => op.run());
      const us = Number(process.hrtime.bigint() - t0) / 1e3;
      if (i >= 2) t[mode].push(us);
    }
  }
  registerNativeKernels();
  op.dispose();
  const nat = median(t.native),
    tfj = median(t.tfjs);
  figures.push(
    { name: `${op.name}: forward+gradient native`, value: nat, unit: 'µs' },
    { name: `${op.name}: forward+gradient tfjs-cpu`, value: tfj, unit: 'µs' },
    { name: `${op.name}: speed-up native vs tfjs-cpu`, value: tfj / nat, unit: 'x' },
  );
  rows.push({ op: op.name, 'native µs': nat, 'tfjs-cpu µs': tfj, 'speed-up': tfj / nat });
}
printTable(rows);
const load1 = loadavg()[0];
console.log(`load average ${load0.toFixed(2)} → ${load1.toFixed(2)}; ${threads} threads, median of ${reps}`);
writeResults('step_ops', figures, { threads, reps, loadavg: { start: load0, end: load1 } });
