// tfjs 'Step' (x > 0 ? 1 : alpha, NaN kept) on float32: one native pass.
import { defineKernel, f32 } from './kernel.js';
import { outputF32 } from '../output-pool.js';

export const stepKernel = defineKernel<'x', { alpha?: number }>({
  name: 'Step',
  mode: 'replace',
  run({ x }, be, attrs, k) {
    const xv = f32(be, x);
    if (!xv) return undefined;
    const y = outputF32(xv.length);
    k.stepF32(xv, y, Number(attrs.alpha ?? 0));
    return be.makeTensorInfo(x.shape, 'float32', y);
  },
});
