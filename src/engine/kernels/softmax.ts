// tfjs 'Softmax' over the last axis of a float32 tensor: one native pass per row (other axes:
// tfjs's own).
import { defineKernel, f32 } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const softmaxKernel = defineKernel<'logits', { dim?: number }>({
  name: 'Softmax',
  mode: 'replace',
  run({ logits }, be, attrs, k) {
    const xv = f32(be, logits);
    const dim = Number(attrs.dim ?? -1),
      r = logits.shape.length;
    if (!xv || r === 0 || (dim !== -1 && dim !== r - 1)) return undefined;
    const y = outputF32(xv.length);
    k.softmaxF32(xv, y, logits.shape[r - 1]);
    return be.makeTensorInfo(logits.shape, 'float32', y);
  },
});
