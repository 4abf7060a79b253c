// Class indices from channels-last logits [1, D, H, W, K], as one pass over the downloaded
// values: argmax over K (the first maximum wins, as tf.argMax), or logit > 0 for one channel
// (sigmoid > 0.5). tfjs-cpu's argMax over the last axis of a volume took longer than the
// blending of all sliding windows (about 26 ms of a 48³ validation case with K = 2).
import type * as tf from '@tensorflow/tfjs';

export async function logitsToLabels(logits: tf.Tensor): Promise<{ labels: Int32Array; shape: number[] }> {
  const k = logits.shape[logits.shape.length - 1] as number;
  const v = (await logits.data()) as Float32Array;
  const n = v.length / k;
  const labels = new Int32Array(n);
  if (k === 1) {
    for (let i = 0; i < n; i++) labels[i] = v[i] > 0 ? 1 : 0;
  } else {
    for (let i = 0, o = 0; i < n; i++, o += k) {
      let best = 0,
        max = v[o];
      for (let c = 1; c < k; c++)
        if (v[o + c] > max) {
          max = v[o + c];
          best = c;
        }
      labels[i] = best;
    }
  }
  return { labels, shape: logits.shape.slice(1, -1) as number[] };
}
