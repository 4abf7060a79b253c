// The train_step benchmark's UNet (benchmarks/unet3d.ts) at a tiny size: with the native
// kernels (native up-sampling, channel concat/split, pooling) it trains on the same loss
// curve as pure tfjs, and the native up-sampling kernel on the same curve as rank-3 tiles.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels, nativeCallCounts, UPSAMPLE_NEAREST3D_GRAD } from '../../src/engine/native-kernels.js';
import { makeBatch, makeParams, trainStep, upsample2, upsample2Tile, type Upsample } from '../../benchmarks/unet3d.js';

before(async () => {
  await tf.setBackend('cpu');
});

function curve(up: Upsample, steps = 3): number[] {
  const P = makeParams(2, 1);
  const { x, y } = makeBatch(8, 2);
  const opt = tf.train.adam(1e-2);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(trainStep(P, opt, x, y, up));
  tf.dispose([x, y, ...Object.values(P)]);
  opt.dispose();
  return losses;
}

test('UNet step: native kernels = pure tfjs loss curve (1e-5), native up-sampling = tiles', () => {
  registerNativeKernels();
  const g0 = nativeCallCounts[UPSAMPLE_NEAREST3D_GRAD] ?? 0,
    s0 = nativeCallCounts.SplitV ?? 0,
    p0 = nativeCallCounts.MaxPool3DGrad ?? 0;
  const nat = curve(upsample2);
  assert.ok(
    (nativeCallCounts[UPSAMPLE_NEAREST3D_GRAD] ?? 0) > g0 && (nativeCallCounts.SplitV ?? 0) > s0 && (nativeCallCounts.MaxPool3DGrad ?? 0) > p0,
    'native kernels ran',
  );
  const tiled = curve(upsample2Tile);
  unregisterNativeKernels();
  let pure: number[];
  try {
    pure = curve(upsample2);
  } finally {
    registerNativeKernels();
  }
  assert.ok(nat[2] < nat[0], `the loss goes down: ${nat}`);
  nat.forEach((l, i) => {
    assert.ok(Math.abs(l - pure[i]) < 1e-5, `step ${i}: native ${l} vs pure ${pure[i]}`);
    assert.ok(Math.abs(l - tiled[i]) < 1e-5, `step ${i}: kernel ${l} vs tiles ${tiled[i]}`);
  });
});
