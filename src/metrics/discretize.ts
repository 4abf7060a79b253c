// Turning predictions and labels into class-index volumes (MONAI's AsDiscrete argmax / threshold).
import * as tf from '@tensorflow/tfjs';

export interface DiscretizeOptions {
  /** Threshold single-channel predictions at 0.5 (after a sigmoid when `activate`). */
  threshold?: boolean;
  activate?: boolean;
}

/** [N, ..., C] → int32 class indices [N, ...]: argmax when C > 1, else the (thresholded) value. */
export function toIndices(t: tf.Tensor, o: DiscretizeOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    const c = t.shape[t.rank - 1];
    if (c > 1) return tf.argMax(t, -1).toInt();
    let v = tf.squeeze(t, [t.rank - 1]);
    if (o.threshold) {
      if (o.activate) v = tf.sigmoid(v);
      return tf.greater(v, 0.5).toInt();
    }
    return tf.round(v).toInt();
  });
}
