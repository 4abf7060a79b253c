// ClaraLabelOneHot: a loss's to_onehot_y, float32 class labels [..., 1] → float32 one-hot
// [..., depth], in one native pass (tfjs: Round, Cast, OneHot and Cast, three of them pure JS).
// Same values as tfjs's oneHot(cast(round(label), 'int32')).toFloat(). losses/common.ts runs it
// through labelOneHot3d while it is registered on the current backend; labels carry no gradient.
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs';
import { defineKernel, f32, f32Backed, runKernel } from './kernel.js';
import { outputF32 } from '../output-pool.js';

const LABEL_ONE_HOT = 'ClaraLabelOneHot';

export const labelOneHotKernel = defineKernel<'label', { depth: number }>({
  name: LABEL_ONE_HOT,
  mode: 'add',
  run({ label }, be, { depth }, k) {
    const lv = f32(be, label)!;
    const out = outputF32(lv.length * depth); // written in full
    k.labelOneHotF32(lv, out, depth);
    return be.makeTensorInfo([...label.shape.slice(0, -1), depth], 'float32', out);
  },
});

/** One-hot [..., depth] of float32 labels [..., 1]; undefined where the kernel is not registered or the label is not a Float32Array on it. */
export function labelOneHotKernelRun(label: Tensor, depth: number): Tensor | undefined {
  if (!tf.getKernel(LABEL_ONE_HOT, tf.getBackend()) || !f32Backed(label) || label.rank < 1) return undefined;
  return runKernel(LABEL_ONE_HOT, { label }, { depth });
}
