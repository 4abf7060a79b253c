// Loads a MONAI/PyTorch state_dict (name → {shape, data}, torch layout) into a model's store.
// Conv weights [out, in, kd, kh, kw] and ConvTranspose weights [in, out, kd, kh, kw] both become
// [kd, kh, kw, in|out, out|in] by the same transpose (2, 3, 4, 1, 0).
import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from './nn/params.js';

export interface TorchTensor {
  shape: number[];
  data: number[] | Float32Array;
}

export function loadTorchStateDict(store: ParamStore, state: Record<string, TorchTensor>): void {
  const ours = new Map(store.named());
  const missing = [...ours.keys()].filter((k) => !(k in state));
  const extra = Object.keys(state).filter((k) => !ours.has(k));
  if (missing.length || extra.length) {
    throw new Error(`state_dict does not match the model: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`);
  }
  tf.tidy(() => {
    for (const [name, v] of ours) {
      const t = state[name];
      let value = tf.tensor(Float32Array.from(t.data), t.shape.length ? t.shape : []);
      if (t.shape.length === 5) value = tf.transpose(value, [2, 3, 4, 1, 0]);
      if (value.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`state_dict '${name}': shape [${t.shape}] does not fit the model's [${v.shape}]`);
      }
      v.assign(value);
    }
  });
}
