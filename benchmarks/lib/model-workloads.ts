// The product's own models as benchmark workloads: one training step exactly as the trainer
// runs it (model from the registry, MONAI DiceLoss with softmax and to_onehot_y, the product's
// Adam), on a seeded batch. Shared by the step_profile and train_step benchmarks.
//   unet-example: the synthetic example's MONAI UNet (8-16-32, strides 2, instance norm, ReLU,
//                 no residual units), batch 2 of 32³ (examples/synthetic/config/config_train.json)
//   unet-clara:   the real Clara 4 AutoML examples' UNet (16-32-64-128-256, strides 2, one
//                 residual unit, batch norm, PReLU), batch 2 of 64³ (the configs crop 96³ ×4
//                 samples: too slow to repeat here; same architecture)
//   segresnet:    MONAI's SegResNet defaults (init_filters 8, blocks_down 1,2,2,4), batch 2 of 32³
//   relu-unet-small / relu-unet-large: the train_step benchmark's fixed ReLU UNet
//                 (benchmarks/unet3d.ts: plain 3×3×3 convs, max-pool, nearest up-sampling, soft
//                 Dice on the softmax), F=8 at 32³ and F=16 at 64³, batch 2, the product's Adam
import * as tf from '@tensorflow/tfjs';
import '../../src/models/register.js';
import { registry } from '../../src/components/registry.js';
import type { SegModel } from '../../src/models/seg-model.js';
import { diceLoss } from '../../src/losses/dice.js';
import { Adam } from '../../src/optimizers/optimizer.js';
import { Rng } from '../../src/util/random.js';
import { diceLoss as softDice, forward as reluUNet, makeBatch, makeParams } from '../unet3d.js';

export const MODEL_WORKLOADS = {
  'unet-example': {
    model: 'UNet',
    D: 32,
    args: { spatial_dims: 3, in_channels: 1, out_channels: 2, channels: [8, 16, 32], strides: [2, 2], num_res_units: 0, norm: 'instance', act: 'relu' },
  },
  'unet-clara': {
    model: 'UNet',
    D: 64,
    args: { spatial_dims: 3, in_channels: 1, out_channels: 2, channels: [16, 32, 64, 128, 256], strides: [2, 2, 2, 2], num_res_units: 1, norm: 'batch' },
  },
  segresnet: { model: 'SegResNet', D: 32, args: { spatial_dims: 3, in_channels: 1, out_channels: 2, init_filters: 8 } },
  'relu-unet-small': { model: 'relu-unet', D: 32, F: 8 },
  'relu-unet-large': { model: 'relu-unet', D: 64, F: 16 },
} as const;
export type ModelWorkload = keyof typeof MODEL_WORKLOADS;
export const MODEL_WORKLOAD_NAMES = Object.keys(MODEL_WORKLOADS) as ModelWorkload[];

export interface StepRunner {
  /** One training step; returns the loss. */
  step(): number;
  dispose(): void;
}

/** Builds the workload's model, batch (2 samples, seeded), loss and optimizer. */
export function modelStep(name: ModelWorkload): StepRunner {
  const w = MODEL_WORKLOADS[name];
  if (w.model === 'relu-unet') return reluUNetStep(w.F, w.D);
  const place = { file: 'benchmark', path: `model ${name}` };
  const net = registry.require(w.model, place, 'model').factory({ ...w.args }, place) as SegModel;
  const rng = new Rng(7);
  const n = 2 * w.D ** 3;
  const xv = new Float32Array(n),
    yv = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    yv[i] = rng.random() < 0.3 ? 1 : 0;
    xv[i] = yv[i] + rng.normal(0, 0.5);
  }
  const x = tf.tensor5d(xv, [2, w.D, w.D, w.D, 1]),
    y = tf.tensor5d(yv, [2, w.D, w.D, w.D, 1]);
  const loss = diceLoss({ includeBackground: false, toOnehotY: true, softmax: true });
  const opt = new Adam({ lr: 1e-3 });
  const params = net.parameters();
  return {
    step: () => opt.minimize(() => loss(net.apply(x, true), y) as tf.Scalar, params),
    dispose: () => {
      tf.dispose([x, y]);
      opt.dispose();
      net.dispose();
    },
  };
}

function reluUNetStep(F: number, D: number): StepRunner {
  const P = makeParams(F, 1);
  const { x, y } = makeBatch(D, 2);
  const opt = new Adam({ lr: 1e-3 });
  const params = new Map(Object.entries(P));
  return {
    step: () => opt.minimize(() => softDice(reluUNet(P, x), y), params),
    dispose: () => {
      tf.dispose([x, y, ...Object.values(P)]);
      opt.dispose();
    },
  };
}
