// A real (tiny) tfjs network and data for exercising the training loop in tests:
// one 3x3x3 conv 1→2 channels; label = image > 0.5.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/random.js';
import type { BatchSource, Case, CaseSource, LossFn } from '../../src/train/components.js';
import type { TrainableNetwork } from '../../src/train/network.js';

let made = 0;
export function tinyNet(seed = 1): TrainableNetwork {
  const id = made++;
  const rng = new Rng(seed);
  const k = tf.variable(
    tf.tensor5d(
      Float32Array.from({ length: 27 * 2 }, () => rng.normal(0, 0.2)),
      [3, 3, 3, 1, 2],
    ),
    true,
    `tiny${id}/kernel`,
  );
  const b = tf.variable(tf.zeros([2]), true, `tiny${id}/bias`);
  const w = [
    { name: 'conv/kernel', variable: k, trainable: true },
    { name: 'conv/bias', variable: b, trainable: true },
  ];
  return {
    inner: null,
    apply: (x) => tf.add(tf.conv3d(x as tf.Tensor5D, k as unknown as tf.Tensor5D, 1, 'same'), b),
    namedWeights: () => w,
  };
}

export const ceLoss: LossFn = (logits, label) =>
  tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(tf.squeeze(label, [4]), 'int32'), 2), logits) as tf.Scalar);

function volume(rng: Rng, n: number): { img: Float32Array; lab: Float32Array } {
  const img = Float32Array.from({ length: n ** 3 }, () => rng.random());
  const lab = img.map((v) => (v > 0.5 ? 1 : 0));
  return { img, lab };
}

export function tinyData(seed: number, batches = 3, n = 8, batch = 2): BatchSource {
  return {
    batchesPerEpoch: () => batches,
    async *epoch(e: number) {
      const rng = new Rng(seed * 1000 + e);
      for (let i = 0; i < batches; i++) {
        const vs = Array.from({ length: batch }, () => volume(rng, n));
        yield {
          image: tf.tensor5d(Float32Array.from(vs.flatMap((v) => [...v.img])), [batch, n, n, n, 1]),
          label: tf.tensor5d(Float32Array.from(vs.flatMap((v) => [...v.lab])), [batch, n, n, n, 1]),
        };
      }
    },
  };
}

export function tinyCases(seed: number, count = 2, n = 8): CaseSource {
  return {
    length: () => count,
    async *cases(): AsyncIterable<Case> {
      const rng = new Rng(seed);
      for (let i = 0; i < count; i++) {
        const v = volume(rng, n);
        yield { id: `case${i}`, image: tf.tensor5d(v.img, [1, n, n, n, 1]), label: tf.tensor5d(v.lab, [1, n, n, n, 1]) };
      }
    },
  };
}
